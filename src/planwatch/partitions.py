"""How many partitions a topic has, and on how many brokers each is replicated, asked of the
broker.

The evaluator keeps per-partition state and must use the partition count the topics were created
with (docs/scaling.md): asking the broker makes that one number, decided where the topics are
created (kafka-init in compose, ``planwatch run`` locally), instead of one more setting to keep
equal by hand. The replication factor is learnt the same way, for the topics the worker creates
itself (its state changelog): on a three-broker cluster a changelog of one replica goes offline
with its broker, and every batch then waits for it. Called once at start-up, before the worker
joins its group.
"""

from __future__ import annotations

import asyncio
import time
from typing import NamedTuple

__all__ = [
    "BrokerSilent",
    "PartitionsUnknown",
    "TopicLayout",
    "TopicMissing",
    "partition_count",
    "topic_layout",
]


class TopicLayout(NamedTuple):
    partitions: int
    replication: int  # replicas of each partition (the fewest, were they to differ)


class PartitionsUnknown(RuntimeError):
    """The partition count could not be learnt."""


class TopicMissing(PartitionsUnknown):
    """The broker answers, and the topic does not exist (yet) on it."""


class BrokerSilent(PartitionsUnknown):
    """No broker of the bootstrap list answered a metadata request."""


def partition_count(
    bootstrap: str, topic: str, timeout: float = 60.0, topic_wait: float | None = None
) -> int:
    """The partitions of ``topic`` on the cluster of ``bootstrap`` (``topic_layout``)."""
    return topic_layout(bootstrap, topic, timeout, topic_wait).partitions


def topic_layout(
    bootstrap: str, topic: str, timeout: float = 60.0, topic_wait: float | None = None
) -> TopicLayout:
    """The partitions of ``topic`` on the cluster of ``bootstrap``, and their replication.

    Waits up to ``timeout`` seconds for the broker to answer, then raises ``BrokerSilent``; once
    it answers, waits up to ``topic_wait`` seconds (default: ``timeout``) for the topic to exist
    (a worker may start while kafka-init still creates it), then raises ``TopicMissing``. Both
    name the topic and the bootstrap servers.
    """
    wait = timeout if topic_wait is None else topic_wait
    return asyncio.run(_topic_layout(bootstrap, topic, timeout, wait))


async def _topic_layout(
    bootstrap: str, topic: str, timeout: float, topic_wait: float
) -> TopicLayout:
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.errors import KafkaError

    start = time.monotonic()
    answered_at: float | None = None  # when the broker first answered
    while True:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
        silent = ""
        try:
            await admin.start()
            described = await admin.describe_topics([topic])
            partitions = [p for t in described if t["topic"] == topic for p in t["partitions"]]
            if partitions:
                replication = min(len(p["replicas"]) for p in partitions)
                return TopicLayout(len(partitions), max(replication, 1))
            if answered_at is None:
                answered_at = time.monotonic()
        except KafkaError as exc:
            silent = f"{type(exc).__name__}: {exc}"
        finally:
            await admin.close()
        now = time.monotonic()
        if silent and now - start > timeout:
            raise BrokerSilent(
                f"cannot learn the partitions of topic {topic!r} from {bootstrap}: "
                f"the broker does not answer after {timeout:g} s ({silent})"
            )
        if answered_at is not None and now - answered_at >= topic_wait:
            raise TopicMissing(
                f"cannot learn the partitions of topic {topic!r} from {bootstrap}: "
                f"the topic does not exist (waited {topic_wait:g} s)"
            )
        await asyncio.sleep(0.5)
