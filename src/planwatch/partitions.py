"""How many partitions a topic has, asked of the broker.

The evaluator keeps per-partition state and must use the partition count the topics were created
with (docs/scaling.md): asking the broker makes that one number, decided where the topics are
created (kafka-init in compose, ``planwatch run`` locally), instead of one more setting to keep
equal by hand. Called once at start-up, before the worker joins its group.
"""

from __future__ import annotations

import asyncio
import time

__all__ = ["TopicMissing", "partition_count"]


class TopicMissing(RuntimeError):
    """The topic does not exist (yet) on the broker."""


def partition_count(bootstrap: str, topic: str, timeout: float = 60.0) -> int:
    """The partitions of ``topic`` on the cluster of ``bootstrap``.

    Waits up to ``timeout`` seconds for the broker to answer and the topic to exist (a worker
    may start while kafka-init still creates it); then raises ``TopicMissing`` naming both.
    """
    return asyncio.run(_partition_count(bootstrap, topic, timeout))


async def _partition_count(bootstrap: str, topic: str, timeout: float) -> int:
    from aiokafka import AIOKafkaClient
    from aiokafka.errors import KafkaError

    deadline = time.monotonic() + timeout
    last = "the topic does not exist"
    while True:
        client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
        try:
            await client.bootstrap()
            metadata = await client.fetch_all_metadata()
            found = metadata.partitions_for_topic(topic)
            if found:
                return len(found)
        except KafkaError as exc:
            last = f"the broker does not answer ({type(exc).__name__}: {exc})"
        finally:
            await client.close()
        if time.monotonic() > deadline:
            raise TopicMissing(
                f"cannot learn the partitions of topic {topic!r} from {bootstrap} "
                f"after {timeout:g} s: {last}"
            )
        await asyncio.sleep(0.5)
