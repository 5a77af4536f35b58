"""The worker writing through the InfluxDB v2 write API of a real server, which goes away."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from planwatch.catalog import default_catalog
from planwatch.domain.events import StatusChange, SubmissionEvent, Topics
from support.influx import V2WriteServer
from support.kafka import KafkaNode
from support.kafka_io import produce, read_topic
from support.metrics import sample
from support.services import ServiceProcess, evaluator_process
from support.waiting import wait_until

pytestmark = pytest.mark.integration
CATALOG = default_catalog()
RD = CATALOG.get("gsbase-rd-expenditure")
Y2024, Y2025 = 1735603200000, 1767139200000  # period ends, epoch ms


def event(period: str, value: float, vintage: int = 1) -> SubmissionEvent:
    return SubmissionEvent(
        catalog_version=CATALOG.version,
        submission_id=f"{period}-{vintage}",
        indicator_id=RD.id,
        jurisdiction=RD.jurisdiction,
        period=period,
        value=value,
        unit=RD.unit,
        vintage=vintage,
        submitted_by="甘肃省统计局",
    )


def metric(port: int, name: str) -> float:
    return sample(f"http://127.0.0.1:{port}", name, default=0.0)


@pytest.fixture
def worker(
    kafka_broker: KafkaNode, influx_v2_write: V2WriteServer, tmp_path: Path
) -> Iterator[tuple[ServiceProcess, int]]:
    process, port = evaluator_process(
        kafka_broker.bootstrap,
        tmp_path,
        {
            "PLANWATCH_EVALUATOR_INFLUX_URL": influx_v2_write.url,
            "PLANWATCH_EVALUATOR_INFLUX_TOKEN": influx_v2_write.token,
            "PLANWATCH_EVALUATOR_INFLUX_ORG": influx_v2_write.org,
            "PLANWATCH_EVALUATOR_INFLUX_BUCKET": influx_v2_write.bucket,
            "PLANWATCH_EVALUATOR_RETRY_MAX_S": "1",
        },
    )
    try:
        yield process, port
    finally:
        process.stop()


def test_points_reach_influx_and_an_outage_loses_and_duplicates_nothing(
    worker: tuple[ServiceProcess, int], kafka_broker: KafkaNode, influx_v2_write: V2WriteServer
) -> None:
    _, port = worker
    server, bootstrap = influx_v2_write, kafka_broker.bootstrap

    def observed() -> list[tuple[int, float]]:
        return server.samples("observation", "value", indicator_id=RD.id)

    produce(bootstrap, "submissions", [(e.key, e.to_bytes()) for e in (event("2024", 150),)])
    produce(bootstrap, "submissions", [(e.key, e.to_bytes()) for e in (event("2025", 160),)])
    wait_until(lambda: len(observed()) == 2, what="both figures in the v2-write server")
    assert observed() == [(Y2024, 150.0), (Y2025, 160.0)]
    status = server.samples("assessment", "status_code", indicator_id=RD.id)[-1]
    assert status == (Y2025, 2.0)  # 2025 missed for good; the 2030 path needs acceleration

    server.halt()
    revision = event("2025", 181, vintage=2)
    produce(bootstrap, "submissions", [(revision.key, revision.to_bytes())])
    wait_until(
        lambda: metric(port, "planwatch_evaluator_write_errors_total") >= 2,
        what="failed writes to be counted while the server is down",
    )
    # nothing is published for a batch whose points are not stored yet: the two changes there
    # are the 2025 figure's (2025 missed for good, told as a final change; the 2030 headline)
    assert len(read_topic(bootstrap, str(Topics.STATUS_CHANGES), expect=2, settle=0.5)) == 2
    server.resume()
    wait_until(lambda: len(observed()) >= 3, what="the revision written after the outage")
    time.sleep(1.0)  # a duplicate write, if any, would land by now
    assert observed() in (
        [(Y2024, 150.0), (Y2025, 160.0), (Y2025, 181.0)],
        [(Y2024, 150.0), (Y2025, 181.0), (Y2025, 160.0)],  # same time: either order
        [(Y2024, 150.0), (Y2025, 181.0)],  # a server that overwrites (InfluxDB 2)
    )
    changes = [
        StatusChange.from_bytes(v)
        for v in read_topic(bootstrap, str(Topics.STATUS_CHANGES), expect=4)
    ]
    assert [(c.reason, c.to_status.value) for c in changes] == [
        ("final", "not_achieved"),
        ("assessment", "needs_acceleration"),
        ("final", "achieved"),  # the revised 181 meets 2025's 180
        ("assessment", "on_track"),
    ]

    def lags() -> list[float]:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        prefix = "planwatch_evaluator_lag{"
        return [float(line.split()[-1]) for line in text.splitlines() if line.startswith(prefix)]

    assert len(lags()) == 4  # one per assigned partition
    wait_until(lambda: lags() == [0.0] * 4, what="the lag to read zero once caught up", timeout=10)
    assert metric(port, "planwatch_evaluator_latency_seconds_count") == 3
    assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json()["assigned"] is True
