"""How many partitions a topic has, asked of the broker.

The evaluator keeps per-partition state and must use the partition count the topics were created
with (docs/scaling.md): asking the broker makes that one number, decided where the topics are
created (kafka-init in compose, ``planwatch run`` locally), instead of one more setting to keep
equal by hand. Called once at start-up, before the worker joins its group.
"""

from __future__ import annotations

import asyncio
import time

__all__ = ["BrokerSilent", "PartitionsUnknown", "TopicMissing", "partition_count"]


class PartitionsUnknown(RuntimeError):
    """The partition count could not be learnt."""


class TopicMissing(PartitionsUnknown):
    """The broker answers, and the topic does not exist (yet) on it."""


class BrokerSilent(PartitionsUnknown):
    """No broker of the bootstrap list answered a metadata request."""


def partition_count(
    bootstrap: str, topic: str, timeout: float = 60.0, topic_wait: float | None = None
) -> int:
    """The partitions of ``topic`` on the cluster of ``bootstrap``.

    Waits up to ``timeout`` seconds for the broker to answer, then raises ``BrokerSilent``; once
    it answers, waits up to ``topic_wait`` seconds (default: ``timeout``) for the topic to exist
    (a worker may start while kafka-init still creates it), then raises ``TopicMissing``. Both
    name the topic and the bootstrap servers.
    """
    wait = timeout if topic_wait is None else topic_wait
    return asyncio.run(_partition_count(bootstrap, topic, timeout, wait))


async def _partition_count(bootstrap: str, topic: str, timeout: float, topic_wait: float) -> int:
    from aiokafka import AIOKafkaClient
    from aiokafka.errors import KafkaError

    start = time.monotonic()
    answered_at: float | None = None  # when the broker first answered
    while True:
        client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
        silent = ""
        try:
            await client.bootstrap()
            metadata = await client.fetch_all_metadata()
            found = metadata.partitions_for_topic(topic)
            if found:
                return len(found)
            if answered_at is None:
                answered_at = time.monotonic()
        except KafkaError as exc:
            silent = f"{type(exc).__name__}: {exc}"
        finally:
            await client.close()
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
