"""The faust side of the ports: the app's own producer for records, a table for the states.

``FaustPublisher`` hands each record to faust's producer (``app.producer.send``, the transport's
producer that faust flushes before it commits offsets) and keeps the acknowledgement; ``flush``
waits for them all. ``topic.send`` would do the same through faust's per-message machinery
(a ``FutureMessage``, callbacks, sensors): several times the cost per record at 10,000 records/s.

``FaustStateTable`` keeps each ``KeyState`` encoded (``state.encode``) in a faust table, whose
changelog topic faust writes and restores; the decoded state of each key is cached while the
table holds the very bytes it was made from (a record restored from the changelog is another
object and is decoded again).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterator
from typing import Any

import faust
from faust.types import TableT

from planwatch_evaluator.state import KeyState, decode, encode

__all__ = ["FaustPublisher", "FaustStateTable"]


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
