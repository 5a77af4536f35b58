"""Records the stream left out, read from the broker with a consumer of their own.

A plain aiokafka consumer, assigned the partition (no group, nothing committed), sought to the
first missing offset and read up to the last one. It is started on the first hole and kept.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import faust
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from faust.types import TP, Message

__all__ = ["BrokerRefetcher"]


def _message(record: ConsumerRecord[bytes, bytes]) -> Message:
    return Message(
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        timestamp=record.timestamp / 1000.0,
        timestamp_type=record.timestamp_type,
        headers=list(record.headers),
        key=record.key,
        value=record.value,
        checksum=record.checksum,
        serialized_key_size=record.serialized_key_size,
        serialized_value_size=record.serialized_value_size,
        tp=TP(record.topic, record.partition),
    )


class BrokerRefetcher:
    def __init__(self, app: faust.App, bootstrap: str, timeout_s: float = 30.0) -> None:
        self._app = app
        self._bootstrap = bootstrap
        self._timeout_s = timeout_s
        self._consumer: AIOKafkaConsumer | None = None

    async def _ensure(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self._bootstrap,
                enable_auto_commit=False,
                # records no longer on the broker (retention): start at the first one that is
                auto_offset_reset="earliest",
                fetch_max_wait_ms=10,
            )
            await consumer.start()
            self._consumer = consumer
        return self._consumer

    async def read(self, topic: str, partition: int, offsets: range) -> list[Message]:
        consumer = await self._ensure()
        tp = TopicPartition(topic, partition)
        consumer.assign([tp])
        consumer.seek(tp, offsets.start)
        found: list[Message] = []
        deadline = time.monotonic() + self._timeout_s
        while await consumer.position(tp) < offsets.stop:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{topic}[{partition}]: offsets {offsets.start}-{offsets.stop - 1} not read "
                    f"within {self._timeout_s:.0f} s"
                )
            batch = await consumer.getmany(tp, timeout_ms=500)
            found.extend(_message(r) for r in batch.get(tp, []) if r.offset in offsets)
        return found

    def acknowledge(self, messages: Sequence[Message]) -> None:
        for message in messages:
            self._app.consumer.ack(message)

    async def close(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None
