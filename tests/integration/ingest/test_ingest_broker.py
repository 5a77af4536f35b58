"""Against the real broker: every figure that got a 202 is on the topic exactly once.

The service runs as its own process (``python -m planwatch_ingest``); the topic is read back
to its end and counted by event id. With its own broker, the broker is stopped (or killed)
during the push and started again on its log: the ledger holds what arrives meanwhile.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support.ingest import IngestProcess, batch_rows, read_event_ids
from support.kafka import KafkaNode

pytestmark = pytest.mark.integration


@pytest.fixture
def topic() -> str:
    return f"submissions-{uuid.uuid4().hex[:8]}"


def push(service: IngestProcess, batch: int, accepted: list[str]) -> None:
    response = httpx.post(
        f"{service.url}/v1/submissions",
        json=batch_rows(batch),
        headers={"Authorization": f"Bearer {service.key}"},
        timeout=30,
    )
    assert response.status_code == 202, response.text
    accepted.extend(r["event_id"] for r in response.json()["results"])


def drained(service: IngestProcess, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while service.backlog() > 0:
        assert time.monotonic() < deadline, "the outbox did not drain"
        time.sleep(0.1)


@pytest.fixture
def service_on(tmp_path: Path, topic: str) -> Iterator[object]:
    started: list[IngestProcess] = []

    def start(bootstrap: str) -> IngestProcess:
        service = IngestProcess(bootstrap, tmp_path, topic).start()
        started.append(service)
        return service

    yield start
    for service in started:
        service.stop()


async def test_every_accepted_figure_is_on_the_topic_once(
    kafka_bootstrap: str, service_on, topic: str
) -> None:
    service = service_on(kafka_bootstrap)
    accepted: list[str] = []
    for batch in range(10):
        push(service, batch, accepted)
    drained(service)
    on_topic = await read_event_ids(kafka_bootstrap, topic, len(accepted))
    assert len(accepted) == 500
    assert Counter(on_topic) == Counter(accepted)


async def test_nothing_is_lost_when_the_broker_restarts_during_a_push(
    kafka_broker: KafkaNode, service_on, topic: str
) -> None:
    service = service_on(kafka_broker.bootstrap)
    accepted: list[str] = []
    for batch in range(5):
        push(service, batch, accepted)
    drained(service)
    kafka_broker.stop()
    for batch in range(5, 10):
        push(service, batch, accepted)  # still 202: the ledger holds them
    ready = httpx.get(f"{service.url}/readyz", timeout=5)
    assert ready.status_code == 503 and ready.headers["content-type"] == "application/problem+json"
    kafka_broker.start()
    for batch in range(10, 15):
        push(service, batch, accepted)
    drained(service)
    on_topic = await read_event_ids(kafka_broker.bootstrap, topic, len(accepted))
    assert len(accepted) == 750
    assert Counter(on_topic) == Counter(accepted)  # every 202, exactly once
    assert httpx.get(f"{service.url}/readyz", timeout=5).status_code == 200


async def test_a_restart_mid_stream_loses_nothing(
    kafka_broker: KafkaNode, service_on, topic: str
) -> None:
    service = service_on(kafka_broker.bootstrap)
    accepted: list[str] = []
    for batch in range(20):
        push(service, batch, accepted)
        if batch == 7:
            kafka_broker.kill()  # while the relay is publishing
            kafka_broker.start()
    drained(service)
    on_topic = await read_event_ids(kafka_broker.bootstrap, topic, len(accepted))
    assert Counter(on_topic) == Counter(accepted)
