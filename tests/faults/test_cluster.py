"""A three-broker cluster loses a node, and an evaluator worker dies, in the middle of a backfill.

Three Apache Kafka nodes form one KRaft quorum (``KafkaNode.cluster``: each broker and
controller); every topic has replication factor 3 and min.insync.replicas 2, so a write
acknowledged by ``acks=all`` is on two nodes at least. Ingest, two evaluator workers of one
consumer group (each with its own state folder, both writing to one InfluxDB-v2-compatible
store) and alerts run on it. While a backfill is pushed, one broker and one evaluator worker are
SIGKILLed; then the same counts as every fault test (``faults/pipeline.py``): every accepted
figure assessed exactly once, every lagging indicator alerted exactly once.

Two ingest replicas share one ledger on a real PostgreSQL server (idempotency keys, revision
numbers and the outbox are the database's, not a process's): the push sends its batches to each
in turn, as a load balancer would, and a batch sent again through the other replica is answered
as duplicates and published nowhere. The services are given one node as bootstrap (faust's
broker URL takes one ``host:port`` list in its own syntax); clients learn the whole cluster from
it, and the killed node is another one.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from faults.pipeline import (
    KEY,
    Figure,
    Pipeline,
    assert_assessed_once,
    assert_mailed_once,
    wait_until,
    workload,
)
from planwatch.stack.broker import KafkaNode, create_topics
from planwatch.stack.run import TOPIC_PARTITIONS
from support.influx import V2WriteServer
from support.metrics import sample
from support.net import free_port
from support.services import ServiceProcess

pytestmark = [pytest.mark.faults, pytest.mark.timeout(600)]
REPLICATION, MIN_ISR = 3, 2


@dataclass
class Cluster:
    """Three nodes behind the interface ``Pipeline`` uses for its one broker."""

    root: Path
    nodes: list[KafkaNode] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.nodes = KafkaNode.cluster(self.root, 3, heap="384m")

    @property
    def bootstrap(self) -> str:
        return self.nodes[0].bootstrap

    @property
    def all_bootstraps(self) -> str:
        return ",".join(n.bootstrap for n in self.nodes)

    def start(self) -> Cluster:
        for node in self.nodes:  # a quorum forms only when a majority runs: start all first
            node.launch()
        for node in self.nodes:
            node.wait_ready(180)
        return self

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


class ClusterPipeline(Pipeline):
    def create_topics(self) -> None:
        create_topics(
            self.broker.all_bootstraps,  # type: ignore[attr-defined]
            [(str(t), n) for t, n in TOPIC_PARTITIONS.items()],
            replication=REPLICATION,
            configs={"min.insync.replicas": str(MIN_ISR)},
            timeout=120,
        )

    def start_second_evaluator(self) -> ServiceProcess:
        first = self.services["evaluator"]
        port = free_port()
        (self.root / "evaluator-2").mkdir()
        second = ServiceProcess(
            "evaluator",
            {
                **first.env,
                "PLANWATCH_DATA_DIR": str(self.root / "evaluator-2"),
                "PLANWATCH_EVALUATOR_WEB_PORT": str(port),
            },
            health_url=f"http://127.0.0.1:{port}/healthz",
        )
        self.services["evaluator-2"] = second
        self.ports["evaluator-2"] = port
        second.start()
        return second


@pytest.fixture
def cluster_pipeline(
    tmp_path: Path, influx_v2_write: V2WriteServer, postgres_url: str
) -> Iterator[ClusterPipeline]:
    cluster = Cluster(tmp_path / "kafka")
    running = ClusterPipeline(
        tmp_path,
        store=influx_v2_write,
        broker=cluster,  # type: ignore[arg-type]
        ingest_replicas=2,
        ingest_settings={"PLANWATCH_INGEST_LEDGER_URL": postgres_url},
    )
    try:
        running.start()
        running.start_second_evaluator()
        yield running
    finally:
        running.stop()


CHANGELOG = "planwatch-evaluator-state-changelog"  # the topic faust creates for the table


def _topic_replicas(bootstrap: str, topics: list[str]) -> dict[str, set[int]]:
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="planwatch-test")
    try:
        described = admin.describe_topics(topics)
    finally:
        admin.close()
    return {
        t.get("name", t.get("topic")): {len(p["replica_nodes"]) for p in t["partitions"]}
        for t in described
    }


# Measured 2026-12-02 before two fixes: the evaluator stopped storing after about 200 of 2,003
# figures, because its state changelog was created with one replica (faust's topic replication
# factor was 1) and went offline with its broker, and because aiokafka fetched from the dead
# leader until its metadata aged out (5 minutes). The changelog now has the replication of
# submissions, read from the broker, and every client refreshes its metadata every 5 s.
@pytest.mark.parametrize("kill_worker", [False, True], ids=["broker-only", "and-a-worker"])
def test_a_lost_broker_and_a_lost_worker_lose_and_double_nothing(
    cluster_pipeline: ClusterPipeline, kill_worker: bool
) -> None:
    pipeline = cluster_pipeline
    cluster: Cluster = pipeline.broker  # type: ignore[assignment]
    topics = [str(t) for t in TOPIC_PARTITIONS] + [CHANGELOG]
    # the changelog too: the workers read the replication of submissions from the broker
    assert _topic_replicas(cluster.all_bootstraps, topics) == {t: {3} for t in topics}
    # both workers hold partitions of the one group before the push starts
    for name in ("evaluator", "evaluator-2"):
        wait_until(
            lambda name=name: (
                httpx.get(f"{pipeline.url(name)}/healthz", timeout=5).json().get("assigned")
            ),
            90,
            f"{name}'s partitions",
        )

    figures, lagging = workload(2000, tag="cluster")
    push = pipeline.push_in_background(figures, batch=100, pause_s=0.1)
    wait_until(
        lambda: len(push.accepted) >= 600,
        what="a third of the backfill accepted",
    )
    victim_broker = cluster.nodes[2]
    victim_broker.kill()
    worker = pipeline.services["evaluator-2"]
    if kill_worker:
        worker.kill()
        assert worker.proc is not None and worker.proc.returncode == -signal.SIGKILL
    killed_at = time.monotonic()
    assert victim_broker.proc is not None and victim_broker.proc.returncode == -signal.SIGKILL

    accepted = push.result(timeout=300)
    pushed_after_kill = time.monotonic() - killed_at
    assert accepted == figures, "ingest refused figures while one broker of three was down"
    assert pushed_after_kill > 1, "the kills came after the last figure: too late"
    # the first batch went to the first replica: through the second it is a duplicate, as the
    # shared ledger knows it, and nothing is published again (the counts below would see it)
    again = resend(pipeline, "ingest-2", figures[:100])
    assert (again["rows"], again["duplicate"]) == (100, 100), again
    assert {r["vintage"] for r in again["results"]} == {1}
    assert_assessed_once(pipeline, accepted)
    assert_mailed_once(pipeline, lagging, timeout=120)
    # both replicas took figures: each answered batches of the push
    for name in pipeline.ingests:
        assert received(pipeline, name) > 0, f"{name} took no figure"


def resend(pipeline: ClusterPipeline, replica: str, figures: list[Figure]) -> dict[str, Any]:
    answer = httpx.post(
        f"{pipeline.url(replica)}/v1/submissions",
        json=[f.row() for f in figures],
        headers={"Authorization": f"Bearer {KEY}"},
        timeout=30,
    )
    assert answer.status_code == 202, answer.text
    return dict(answer.json())


def received(pipeline: ClusterPipeline, replica: str) -> float:
    """Rows ``replica`` answered 202 (its ``planwatch_ingest_rows_total`` metric, any outcome)."""
    return sample(pipeline.url(replica), "planwatch_ingest_rows_total", default=0.0)
