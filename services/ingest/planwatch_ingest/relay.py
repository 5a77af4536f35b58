"""The outbox relay: publishes ledger rows in order and acknowledges them as Kafka takes them.

Runs as background tasks owned by the app's lifespan. Each round reads the rows still to publish
(in ledger order), produces them with the idempotent producer, and acknowledges in the ledger the
prefix the broker acknowledged; rows acknowledged past a failed one are not sent again, the rest
are, after a back-off. A row is therefore on the topic at least once and, unless a batch failed
after the broker had written it, exactly once; consumers drop repeats by ``event_id``.

A second task asks the broker every ``check_s`` whether it answers: that is ``/readyz``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, TypeVar

from planwatch_ingest.ports import EventPublisher, Outbox

__all__ = ["Relay", "RelayState"]

log = logging.getLogger("planwatch_ingest.relay")
T = TypeVar("T")


@dataclass
class RelayState:
    broker_up: bool = False
    published: int = 0
    failures: int = 0  # rounds that failed since the last success (0 once recovered)


class NotAcknowledged(Exception):
    """The broker did not acknowledge every event of a round."""


class Relay:
    def __init__(
        self,
        outbox: Outbox,
        publisher: EventPublisher,
        executor: Executor,
        *,
        batch_rows: int = 5000,
        check_s: float = 1.0,
        retry_max_s: float = 5.0,
        on_published: Callable[[int], None] | None = None,
    ) -> None:
        self._outbox = outbox
        self._publisher = publisher
        self._executor = executor
        self._batch_rows = batch_rows
        self._check_s = check_s
        self._retry_max_s = retry_max_s
        self._on_published = on_published or (lambda n: None)
        self.state = RelayState()
        self._started = False
        self._sent: set[int] = set()  # seqs past a failed row that the broker acknowledged
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def _db(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def notify(self) -> None:
        """New rows are in the ledger: publish without waiting for the idle timer."""
        self._wake.set()

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self.run(), name="ingest-relay"),
            asyncio.create_task(self._probe(), name="ingest-broker-probe"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
        self._tasks = []
        await self._disconnect()

    async def _disconnect(self) -> None:
        if self._started:
            self._started = False
            try:
                await self._publisher.stop()
            except Exception:  # a dead broker may fail the stop too
                log.debug("stopping the producer failed", exc_info=True)

    async def _probe(self) -> None:
        while True:
            self.state.broker_up = self._started and await self._publisher.reachable()
            await asyncio.sleep(self._check_s)

    async def run(self) -> None:
        delay = 0.1
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the broker is down or flaky: back off and retry
                self.state.broker_up = False
                self.state.failures += 1
                log.warning("publishing failed, retrying in %.1fs: %r", delay, exc)
                await self._disconnect()  # a fresh producer for the next round
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._retry_max_s)
            else:
                delay = 0.1

    async def run_once(self) -> None:
        """Connect if needed, then publish until the ledger is drained; idle in between."""
        if not self._started:
            await self._publisher.start()
            self._started = True
            self.state.broker_up = True
        while True:
            rows = await self._db(self._outbox.pending, self._batch_rows)
            if not rows:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), self._check_s)
                except TimeoutError:
                    pass
                continue
            sent = self._sent
            todo = [r for r in rows if r.seq not in sent]
            done = await self._publisher.publish(todo) if todo else set()
            sent |= done
            # Acknowledge the prefix that is on the broker; the rest is sent again.
            prefix = []
            for row in rows:
                if row.seq not in sent:
                    break
                prefix.append(row)
                sent.discard(row.seq)
            if prefix:
                await self._db(self._outbox.acknowledge, prefix)
            self.state.published += len(done)
            self._on_published(len(done))
            if len(done) < len(todo):
                raise NotAcknowledged(f"{len(todo) - len(done)} of {len(todo)} events")
            self.state.failures = 0
            self.state.broker_up = True
