"""The evaluator's /readyz on a real broker and real stores: ready only once the worker holds
partitions with its table restored and the broker and the time-series store answer."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from planwatch.catalog import default_catalog
from planwatch.domain.events import Topics
from planwatch.settings import CommonSettings
from planwatch_evaluator.adapters.embedded import EmbeddedSink
from planwatch_evaluator.adapters.influx import InfluxSink
from planwatch_evaluator.app import Evaluator
from planwatch_evaluator.ports import SeriesSink
from planwatch_evaluator.settings import Settings
from support.influx import V2WriteServer
from support.kafka import KafkaNode, create_topics
from support.services import ServiceProcess, evaluator_process
from support.waiting import wait_until

pytestmark = pytest.mark.integration


def readiness(evaluator: Evaluator) -> tuple[int, dict[str, Any]]:
    """The worker's /readyz page, called as faust's view calls it."""
    response = asyncio.run(evaluator.readyz(None))
    return response.status, json.loads(response.body)


def not_started(bootstrap: str, tmp_path: Path, sink: SeriesSink) -> Evaluator:
    settings = Settings(common=CommonSettings(data_dir=tmp_path, kafka_bootstrap=bootstrap))
    return Evaluator(settings, default_catalog(), sink)


def test_not_ready_before_it_joins_even_with_broker_and_store_up(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    evaluator = not_started(kafka_bootstrap, tmp_path, EmbeddedSink(tmp_path / "timeseries.db"))
    status, body = readiness(evaluator)
    assert status == 503
    assert body["status"] == "not ready"
    checks = body["checks"]
    assert checks["broker"] == "up" and checks["store"] == "up"
    assert checks["group"].startswith("down: NotReady: 尚未加入消费组 planwatch-evaluator")
    assert "Not yet in consumer group planwatch-evaluator" in checks["group"]


def test_an_influxdb_that_stops_answering_is_named(
    kafka_bootstrap: str, tmp_path: Path, influx_v2_write: V2WriteServer
) -> None:
    server = influx_v2_write
    sink = InfluxSink(server.url, server.token, server.org, server.bucket)
    sink.ping()  # the real server answers /ping
    evaluator = not_started(kafka_bootstrap, tmp_path, sink)
    assert readiness(evaluator)[1]["checks"]["store"] == "up"
    server.halt()
    try:
        with pytest.raises(Exception, match="Connection refused"):
            sink.ping()
        status, body = readiness(evaluator)
        assert status == 503
        assert body["checks"]["store"].startswith("down: ")
        assert "Connection refused" in body["checks"]["store"]
        assert body["checks"]["broker"] == "up"
    finally:
        server.resume()
    wait_until(lambda: readiness(evaluator)[1]["checks"]["store"] == "up", 30, "InfluxDB back")


def get(port: int, path: str) -> httpx.Response:
    return httpx.get(f"http://127.0.0.1:{port}{path}", timeout=10)


@pytest.fixture
def six_partitions(kafka_broker: KafkaNode) -> str:
    """A broker of the test's own whose submissions topic has 6 partitions (the evaluator's
    default setting is 4)."""
    create_topics(kafka_broker.bootstrap, [str(Topics.SUBMISSIONS)], partitions=6)
    return kafka_broker.bootstrap


@pytest.fixture
def worker(six_partitions: str, tmp_path: Path) -> Iterator[tuple[ServiceProcess, int]]:
    process, port = evaluator_process(six_partitions, tmp_path)
    try:
        yield process, port
    finally:
        process.stop()


def test_a_worker_learns_six_partitions_becomes_ready_and_names_a_lost_store(
    worker: tuple[ServiceProcess, int], six_partitions: str, tmp_path: Path
) -> None:
    process, port = worker

    def ready() -> bool:
        return get(port, "/readyz").status_code == 200

    wait_until(ready, 90, lambda: f"/readyz 200: {get(port, '/readyz').text}\n{process.tail()}")
    assert get(port, "/readyz").json() == {
        "status": "ready",
        "checks": {"group": "up", "broker": "up", "store": "up"},
    }
    assert get(port, "/healthz").json()["assigned"] is True
    # the state table follows the broker's count, not the setting's 4
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=six_partitions)
    try:
        [changelog] = admin.describe_topics(["planwatch-evaluator-state-changelog"])
    finally:
        admin.close()
    assert len(changelog["partitions"]) == 6
    # the embedded store's file goes away under the worker (a lost volume)
    for name in ("timeseries.db", "timeseries.db-wal", "timeseries.db-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    answer = get(port, "/readyz")
    assert answer.status_code == 503
    checks = answer.json()["checks"]
    assert checks["store"] == "down: OperationalError: unable to open database file"
    assert checks["group"] == "up" and checks["broker"] == "up"
    assert get(port, "/healthz").status_code == 200  # alive, not ready


def test_a_configured_count_other_than_the_brokers_stops_the_start(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    from planwatch.partitions import partition_count

    create_topics(kafka_bootstrap, [str(Topics.SUBMISSIONS)])
    on_broker = partition_count(kafka_bootstrap, str(Topics.SUBMISSIONS), timeout=30)
    wrong = on_broker + 1
    with pytest.raises(RuntimeError, match="exited early") as failed:
        evaluator_process(
            kafka_bootstrap,
            tmp_path,
            {
                "PLANWATCH_EVALUATOR_APP_ID": f"mismatch-{uuid.uuid4().hex[:8]}",
                "PLANWATCH_EVALUATOR_TOPIC_PARTITIONS": str(wrong),
            },
        )
    said = str(failed.value)
    assert f"PLANWATCH_EVALUATOR_TOPIC_PARTITIONS 设为 {wrong}" in said
    assert f"有 {on_broker} 个分区" in said
    assert f"is {wrong}, but topic 'submissions' on the broker {kafka_bootstrap} has" in said
