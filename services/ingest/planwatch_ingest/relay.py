"""The outbox relay: publishes ledger rows in order and republishes what a broker lost.

Runs as one background task owned by the app's lifespan. The publish cursor (last seq known to
be on the broker) lives in the ledger. Before every round the relay asks whether the broker
still holds what it was given; when not (Tansu restarted empty, a new cluster), it recreates the
topics, reads back what already reached the new topic, and republishes every other ledger row
from the start. Consumers dedupe by ``event_id``; republishing skips what is already there, so
the topic holds each event once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, TypeVar

from planwatch_ingest.ports import EventPublisher, Ledger

__all__ = ["Relay", "RelayState"]

log = logging.getLogger("planwatch_ingest.relay")
T = TypeVar("T")


@dataclass
class RelayState:
    broker_up: bool = False
    published: int = 0
    restores: int = 0
    last_error: str | None = None


class Relay:
    def __init__(
        self,
        ledger: Ledger,
        publisher: EventPublisher,
        executor: Executor,
        *,
        batch_rows: int = 5000,
        check_s: float = 1.0,
        retry_max_s: float = 5.0,
        on_published: Callable[[int], None] | None = None,
    ) -> None:
        self._ledger = ledger
        self._publisher = publisher
        self._executor = executor
        self._batch_rows = batch_rows
        self._check_s = check_s
        self._retry_max_s = retry_max_s
        self._on_published = on_published or (lambda n: None)
        self.state = RelayState()
        self._started = False
        self._sent: set[int] = set()  # seqs past the cursor the broker already acknowledged
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _db(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def notify(self) -> None:
        """New rows are in the ledger: publish without waiting for the idle timer."""
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="ingest-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        if self._started:
            await self._publisher.stop()
            self._started = False

    async def run(self) -> None:
        delay = 0.1
        while True:
            try:
                await self.run_once()
                delay = 0.1
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the broker is down or flaky: back off and retry
                self.state.broker_up = False
                self.state.last_error = repr(exc)
                log.warning("publishing failed, retrying in %.1fs: %r", delay, exc)
                if self._started:
                    try:
                        await self._publisher.stop()
                    except Exception:  # a dead broker may fail the stop too
                        pass
                    self._started = False
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._retry_max_s)

    async def run_once(self) -> None:
        """Connect if needed, check the broker, publish until the ledger is drained, then idle."""
        if not self._started:
            await self._publisher.start()
            self._started = True
        skip: set[str] = set()
        while True:
            if not await self._publisher.intact():
                skip = await self._restore()
            self.state.broker_up = True
            cursor = await self._db(self._ledger.cursor)
            rows = await self._db(self._ledger.pending, cursor, self._batch_rows)
            if not rows:
                skip.clear()
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), self._check_s)
                except TimeoutError:
                    pass
                continue
            sent = self._sent
            todo = [r for r in rows if r.event_id not in skip and r.seq not in sent]
            done = await self._publisher.publish(todo) if todo else set()
            sent |= done
            # Advance over the prefix that is on the broker; the rest is sent again.
            last = cursor
            for row in rows:
                if row.seq in sent or row.event_id in skip:
                    last = row.seq
                    sent.discard(row.seq)
                else:
                    break
            if last != cursor:
                await self._db(self._ledger.set_cursor, last)
            self.state.published += len(done)
            self._on_published(len(done))
            if len(done) < len(todo):
                raise RuntimeError(
                    f"{len(todo) - len(done)} of {len(todo)} events not acknowledged"
                )

    async def _restore(self) -> set[str]:
        log.warning("the broker does not hold the published events: republishing the ledger")
        await self._db(self._ledger.set_cursor, 0)
        self._sent.clear()
        skip = await self._publisher.restore()
        self.state.restores += 1
        return skip
