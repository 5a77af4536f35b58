"""The publisher on the faust app's own producer (the one faust flushes before committing).

Records go to the transport's aiokafka producer as whole record batches, one per topic
partition and flush, rather than through ``Topic.send`` or one ``send`` per record: faust's
per-message machinery (futures, callbacks, sensors) cost about 0.2 ms a record, as much as
assessing the submission that caused it, and a batch the producer fills record by record is
sent only once its linger time has passed, twice per processed batch. A closed batch is sent
at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import faust

__all__ = ["FaustPublisher"]


class FaustPublisher:
    def __init__(self, app: faust.App, topics: list[str]) -> None:
        self._app = app
        raw: dict[str, Any] = {"key_type": bytes, "value_type": bytes}
        raw.update(key_serializer="raw", value_serializer="raw")
        # declared so that the worker knows them (and creates them where the broker allows)
        self._topics = {name: app.topic(name, **raw) for name in topics}
        self._pending: list[Awaitable[Any]] = []
        # records not yet handed to the producer, in order, by (topic, partition)
        self._queued: dict[tuple[str, int], list[tuple[bytes | None, bytes]]] = {}
        self._known: set[str] = set()  # topics whose metadata was checked since the last flush

    def _producer(self) -> Any:
        # faust offers no batch API: its aiokafka producer does (``_ensure_producer`` is how
        # faust itself reaches it)
        return self._app.producer._ensure_producer()  # type: ignore[attr-defined]

    async def send(
        self, topic: str, key: bytes | None, value: bytes, partition: int | None = None
    ) -> None:
        if partition is None:
            producer = self._producer()
            if topic not in self._known:
                await producer.client._wait_on_metadata(topic)  # as producer.send does
                self._known.add(topic)
            # the producer's own partitioner, as producer.send would choose
            partition = producer._partition(topic, None, None, None, key, value)
        self._queued.setdefault((topic, partition), []).append((key, value))

    async def _submit(self, topic: str, partition: int) -> None:
        """Hand what is queued for a partition to the producer, in closed batches, in order."""
        records = self._queued.pop((topic, partition), None)
        if not records:
            return
        producer = self._producer()
        batch = producer.create_batch()
        for key, value in records:
            if batch.append(key=key, value=value, timestamp=None) is None:  # full
                batch.close()
                self._pending.append(await producer.send_batch(batch, topic, partition=partition))
                batch = producer.create_batch()
                if batch.append(key=key, value=value, timestamp=None) is None:
                    raise ValueError(f"a record of {len(value)} bytes exceeds the batch size")
        batch.close()
        self._pending.append(await producer.send_batch(batch, topic, partition=partition))

    async def send_alone(self, topic: str, partition: int, key: bytes, value: bytes) -> None:
        # what is queued for the partition goes first; a batch submitted whole is queued
        # after the partition's earlier batches, so the record follows everything sent before
        # it, in a batch of its own
        await self._submit(topic, partition)
        producer = self._producer()
        batch = producer.create_batch()
        batch.append(key=key, value=value, timestamp=None)
        batch.close()
        self._pending.append(await producer.send_batch(batch, topic, partition=partition))

    async def flush(self) -> None:
        for topic, partition in list(self._queued):
            await self._submit(topic, partition)
        self._known.clear()  # metadata is checked again in the next round
        pending, self._pending = self._pending, []
        await self._app.producer.flush()
        # the acknowledgements: a record the broker refused raises here
        await asyncio.gather(*pending)
