"""The Apache Kafka broker of the integration tests.

Where Docker exists and ``PLANWATCH_TEST_KAFKA=container``, testcontainers starts Apache Kafka;
otherwise the broker of ``planwatch run`` (the jars of deploy/kafka/pom.xml, run with Java) runs
as a subprocess with its log in a temp folder. Both are the real Apache Kafka.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from support.docker import docker_available
from support.kafka import KafkaNode, new_broker


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    if docker_available() and os.environ.get("PLANWATCH_TEST_KAFKA") == "container":
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer().with_kraft() as kafka:
            yield kafka.get_bootstrap_server()
        return
    broker = new_broker().start()
    try:
        yield broker.bootstrap
    finally:
        broker.stop()
        shutil.rmtree(broker.data_dir, ignore_errors=True)


@pytest.fixture
def kafka_broker() -> Iterator[KafkaNode]:
    """A broker of the test's own, for tests that kill, stop and restart it."""
    broker = new_broker().start()
    try:
        yield broker
    finally:
        broker.stop()
        shutil.rmtree(broker.data_dir, ignore_errors=True)
