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
import time
from collections.abc import Awaitable, Iterator, Sequence
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

    async def positions(self, tps: Sequence[Any]) -> dict[Any, int]:
        """Where the group resumes each of ``tps``: its committed offset, or the log's first
        offset when nothing is committed (``consumer_auto_offset_reset="earliest"``), in one
        question to the broker. Asked again for up to 30 s while the broker cannot say (a group
        coordinator that just died); then nothing, with a warning, and each partition's first
        event is taken as its start."""
        if not tps:
            return {}
        started = time.monotonic()
        try:
            async for attempt in AsyncRetrying(
                wait=wait_exponential(multiplier=0.5, max=4),
                stop=stop_after_delay(30),
                reraise=True,
            ):
                with attempt:
                    found = await self._ask(tps)
        except Exception:
            log.warning(
                "where %s resumes is unknown; the first event of each is taken as its start",
                ", ".join(f"{tp.topic}[{tp.partition}]" for tp in tps),
                exc_info=True,
            )
            return {}
        took = time.monotonic() - started
        if took >= 1:
            log.info("where %d partitions resume took %.1f s to learn", len(tps), took)
        return found

    async def ends(self, tps: Sequence[Any]) -> dict[Any, int]:
        if not tps:
            return {}
        found = await asyncio.wait_for(self.app.consumer.highwaters(*tps), 10)
        return {tp: int(offset) for tp, offset in found.items()}

    async def _ask(self, tps: Sequence[Any]) -> dict[Any, int]:
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
                    self.settings.app_id,
                    partitions=[TopicPartition(tp.topic, tp.partition) for tp in tps],
                ),
                10,
            )
        finally:
            await admin.close()
        out: dict[Any, int] = {}
        for tp in tps:
            meta = committed.get(TopicPartition(tp.topic, tp.partition))
            if meta is not None and meta.offset >= 0:
                out[tp] = int(meta.offset)
        fresh = [tp for tp in tps if tp not in out]
        if fresh:
            earliest = await asyncio.wait_for(self.app.consumer.earliest_offsets(*fresh), 10)
            out.update({tp: int(earliest[tp]) for tp in fresh})
        return out
