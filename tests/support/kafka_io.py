"""Produce events to and read topics from a real broker, from synchronous tests."""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

__all__ = ["produce", "read_topic"]


def produce(bootstrap: str, topic: str, messages: list[tuple[bytes | None, bytes]]) -> None:
    async def run() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
        await producer.start()
        try:
            for key, value in messages:
                await producer.send_and_wait(topic, value, key=key)
        finally:
            await producer.stop()

    asyncio.run(run())


def read_topic(
    bootstrap: str, topic: str, expect: int, timeout: float = 30.0, settle: float = 1.0
) -> list[bytes]:
    """Everything on ``topic`` from the start: wait for ``expect`` records, then ``settle``
    seconds more so that an extra (duplicate) record would be seen too."""

    async def run() -> list[bytes]:
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=10,
            enable_auto_commit=False,
        )
        await consumer.start()
        got: list[bytes] = []
        deadline = time.monotonic() + timeout
        extra_until: float | None = None
        try:
            while time.monotonic() < deadline:
                batch = await consumer.getmany(timeout_ms=200)
                for records in batch.values():
                    got.extend(r.value for r in records if r.value is not None)
                if len(got) >= expect and extra_until is None:
                    extra_until = time.monotonic() + settle
                if extra_until is not None and time.monotonic() >= extra_until:
                    break
        finally:
            await consumer.stop()
        return got

    return asyncio.run(run())
