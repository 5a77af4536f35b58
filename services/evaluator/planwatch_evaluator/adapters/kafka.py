"""The faust side of the ports: the app's own producer for records, a table for the states.

``FaustPublisher`` hands each record to faust's producer (``app.producer.send``, the transport's
producer that faust flushes before it commits offsets) and keeps the acknowledgement; ``flush``
waits for them all. ``topic.send`` would do the same through faust's per-message machinery
(a ``FutureMessage``, callbacks, sensors): several times the cost per record at 10,000 records/s.

``FaustStateTable`` keeps each ``KeyState`` encoded (``state.encode``) in a faust table, whose
changelog topic faust writes and restores; the decoded state of each key is cached while the
table holds the very bytes it was made from (a record restored from the changelog is another
object and is decoded again).

``BrokerGroupOffsets`` asks the broker where the consumer group resumes a partition (the
evaluator starts a partition's cursor there: aiokafka does not seek a committed offset of 0 or
none, so records fetched before a rebalance could otherwise be passed over).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Iterator
from typing import Any

import faust
from faust.types import TableT
from tenacity import AsyncRetrying, stop_after_delay, wait_exponential

from planwatch_evaluator.settings import Settings
from planwatch_evaluator.state import KeyState, decode, encode

__all__ = ["BrokerGroupOffsets", "FaustPublisher", "FaustStateTable"]

log = logging.getLogger("planwatch.evaluator")


class FaustPublisher:
    def __init__(self, app: faust.App) -> None:
        self.app = app
        self.pending: list[Awaitable[Any]] = []

    async def send(self, topic: str, key: bytes | None, value: bytes) -> None:
        # partition None: the producer's partitioner (murmur2 of the key, as ingest's)
        self.pending.append(await self.app.producer.send(topic, key, value, None, None, None))

    async def flush(self) -> None:
        pending, self.pending = self.pending, []
        await self.app.producer.flush()
        await asyncio.gather(*pending)  # a record the broker refused raises here


class FaustStateTable:
    def __init__(self, table: TableT[bytes, bytes]) -> None:
        self.table = table
        self.cache: dict[bytes, tuple[bytes, KeyState]] = {}

    def get(self, key: bytes) -> KeyState | None:
        stored = self.table.get(key)
        if not stored:
            return None
        cached = self.cache.get(key)
        if cached is not None and cached[0] is stored:
            return cached[1]
        state = decode(stored)
        self.cache[key] = (stored, state)
        return state

    def put(self, key: bytes, state: KeyState) -> None:
        value = encode(state)
        self.table[key] = value  # and to the changelog, partitioned like the key's submissions
        self.cache[key] = (value, state)

    def items(self) -> Iterator[tuple[bytes, KeyState]]:
        for key in list(self.table.keys()):
            state = self.get(key)
            if state is not None:
                yield key, state


class BrokerGroupOffsets:
    def __init__(self, app: faust.App, settings: Settings) -> None:
        self.app, self.settings = app, settings

    async def resumes_at(self, tp: Any) -> int | None:
        """Where the group resumes ``tp``: its committed offset, or the log's first offset when
        nothing is committed (``consumer_auto_offset_reset="earliest"``). Asked again for up to
        30 s while the broker cannot say (a group coordinator that just died); then None, with
        a warning, and the first event is taken as the start."""
        try:
            async for attempt in AsyncRetrying(
                wait=wait_exponential(multiplier=0.5, max=4),
                stop=stop_after_delay(30),
                reraise=True,
            ):
                with attempt:
                    return await self._ask(tp)
        except Exception:
            log.warning(
                "where %s[%s] resumes is unknown; its first event is taken as the start",
                tp.topic,
                tp.partition,
                exc_info=True,
            )
        return None

    async def _ask(self, tp: Any) -> int:
        from aiokafka import TopicPartition
        from aiokafka.admin import AIOKafkaAdminClient

        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.settings.common.kafka_bootstrap,
            client_id=f"{self.settings.app_id}-offsets",
            request_timeout_ms=10_000,
        )
        try:
            await asyncio.wait_for(admin.start(), 10)
            committed = await asyncio.wait_for(
                admin.list_consumer_group_offsets(
                    self.settings.app_id, partitions=[TopicPartition(tp.topic, tp.partition)]
                ),
                10,
            )
            found = committed.get(tp)
            if found is not None and found.offset >= 0:
                return int(found.offset)
            earliest = await asyncio.wait_for(self.app.consumer.earliest_offsets(tp), 10)
            return int(earliest[tp])
        finally:
            await admin.close()
