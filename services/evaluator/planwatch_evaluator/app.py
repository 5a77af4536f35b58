"""The faust worker: submissions in; time series, assessments and status changes out.

Events are taken in batches (``take_events``): one sink write and one burst of sends per batch
instead of per event. Each batch is committed in an order that loses nothing on a crash:

1. the points are stored (retried with backoff; a rewrite replaces, so a retry never duplicates);
2. the assessments and status changes are published and acknowledged;
3. the new state of each key (observations, seen event ids, last status) goes to the table's
   changelog, on the partition of the key's submissions, and the changelog is sealed.

A crash before 3 redelivers the batch: its points are rewritten in place and its events are sent
again with the same event ids (``core.derived_id``), which consumers dedupe. After 3, a
redelivered event is recognised by its id in the state and dropped.

The changelog marker of each partition also records the next submissions offset expected there
(``sequence.py``): a record the stream left out, around a rebalance or a restart, is read again
instead of being lost.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import faust
import orjson
from faust.types import Message
from prometheus_client import generate_latest
from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential

from planwatch.catalog import Catalog
from planwatch.domain.events import DeadLetter, SubmissionEvent, Topics
from planwatch.domain.model import Frequency
from planwatch.tsstore import Point
from planwatch_evaluator import transport
from planwatch_evaluator.adapters.kafka import FaustPublisher
from planwatch_evaluator.adapters.refetch import BrokerRefetcher
from planwatch_evaluator.core import (
    evaluate,
    lookup,
    new_state,
    overdue_change,
    saved,
    to_json,
)
from planwatch_evaluator.metrics import Metrics
from planwatch_evaluator.ports import Publisher, Refetcher, SeriesSink
from planwatch_evaluator.sequence import Sequence, marker_value, parse_marker
from planwatch_evaluator.settings import Settings

__all__ = ["MARKER_PREFIX", "Evaluator"]

MARKER_PREFIX = b"\x00changelog-end-"

log = logging.getLogger("planwatch.evaluator")

Send = tuple[str, bytes | None, bytes]  # topic, key, value
Staged = dict[bytes, tuple[int | None, dict[str, Any]]]  # key → (partition, state)


T = TypeVar("T")


def _marker_key(partition: int) -> bytes:
    return MARKER_PREFIX + str(partition).encode()


@dataclass
class _Batch:
    """What a batch makes: points to store, records to publish, the new state of each key."""

    points: list[Point] = field(default_factory=list)
    sends: list[Send] = field(default_factory=list)
    staged: Staged = field(default_factory=dict)
    received: list[float] = field(default_factory=list)  # the events' times of receipt
    partitions: set[int] = field(default_factory=set)  # submissions partitions read
    refetched: list[Message] = field(default_factory=list)  # read outside the stream


@dataclass(frozen=True)
class _Refetched:
    """A record read outside the stream, shaped like a stream event (``value``, ``message``)."""

    value: bytes | None
    message: Message


class Evaluator:
    """The faust app and its wiring; ``app`` is what the worker runs.

    ``publisher`` defaults to the app's own producer; ``clock`` gives the date the overdue
    check runs for; ``refetcher`` (which reads records the stream left out straight from the
    broker) defaults to a consumer of its own on the app's broker.
    """

    def __init__(
        self,
        settings: Settings,
        catalog: Catalog,
        sink: SeriesSink,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        publisher: Publisher | None = None,
        refetcher: Refetcher | None = None,
    ) -> None:
        self.settings, self.catalog, self.sink, self.clock = settings, catalog, sink, clock
        self.metrics = Metrics()
        self.healthy = False
        transport.Transport.fetch_max_wait_ms = settings.fetch_max_wait_ms
        session = settings.session_timeout_s
        app = faust.App(
            settings.app_id,
            broker=f"{transport.SCHEME}://{settings.common.kafka_bootstrap}",
            store="memory://",  # the state is rebuilt from the changelog topic on start
            datadir=str(settings.common.data_dir / "faust"),
            autodiscover=False,
            topic_partitions=settings.topic_partitions,
            topic_replication_factor=1,
            # a group join takes about half the session timeout (faust's default is 60 s)
            broker_session_timeout=session,
            broker_heartbeat_interval=max(session / 4, 0.5),
            broker_request_timeout=max(session * 3, 30.0),
            consumer_auto_offset_reset="earliest",
            producer_linger_ms=5,
            # an assessment event is 2-3 kB: with the default 16 kB batch, every sixth send
            # waits for a broker round trip; one batch per partition and flush instead
            producer_max_batch_size=settings.producer_batch_bytes,
            producer_max_request_size=max(settings.producer_batch_bytes * 4, 1 << 20),
            producer_acks=-1,
            web_enabled=True,
            web_bind=settings.web_bind,
            web_port=settings.web_port,
            web_host=settings.web_bind,
            table_standby_replicas=0,
            key_serializer="raw",
            value_serializer="raw",
        )
        self.app = app
        raw: dict[str, Any] = {"key_type": bytes, "value_type": bytes}
        raw.update(key_serializer="raw", value_serializer="raw")
        self.submissions = app.topic(str(Topics.SUBMISSIONS), **raw)
        outputs = [str(t) for t in (Topics.ASSESSMENTS, Topics.STATUS_CHANGES, Topics.DEAD_LETTER)]
        self.publisher = publisher or FaustPublisher(app, outputs)
        self.state = app.Table(
            "state",
            default=None,
            key_type=bytes,
            value_type=bytes,
            partitions=settings.topic_partitions,
            use_partitioner=True,
        )
        self.changelog = self.state.changelog_topic.get_topic_name()
        # key → (the table's record, the state it was made from, with its in-memory caches):
        # valid while the table holds that very record (evaluate never changes a state it is
        # given); a record restored from the changelog is another object and is decoded again
        self._live: dict[bytes, tuple[bytes, dict[str, Any]]] = {}
        self.sequence = Sequence()
        self.refetcher = refetcher or BrokerRefetcher(app, settings.common.kafka_bootstrap)
        # one batch, overdue check or tail check at a time: each reads and saves the state
        self._lock = asyncio.Lock()
        self._last_batch = time.monotonic()
        self._recovered = False  # the table is restored since the last assignment
        self.due_days = {
            Frequency.ANNUAL: settings.annual_due_days,
            Frequency.QUARTERLY: settings.quarterly_due_days,
            Frequency.MONTHLY: settings.monthly_due_days,
        }
        self.agent = app.agent(self.submissions, name="evaluate")(self._consume)
        app.timer(settings.overdue_check_s, name="overdue")(self._check_overdue)
        app.timer(settings.tail_check_s, name="tail")(self.check_tail)
        # bound methods: faust's view class calls them with the request alone, which its
        # annotations (a function of view and request) do not express
        app.page("/healthz")(self._healthz)  # type: ignore[arg-type]
        app.page("/metrics")(self._metrics)  # type: ignore[arg-type]
        app.on_partitions_assigned.connect(self._on_assigned)
        app.on_rebalance_complete.connect(self._on_recovered)

    # ---- stream ----

    async def _consume(self, stream: Any) -> None:
        async for events in stream.take_events(
            self.settings.batch_size, within=self.settings.batch_within_s
        ):
            async with self._lock:
                await self.process(events)

    def _load(self, key: bytes, staged: Staged) -> dict[str, Any]:
        if key in staged:
            return staged[key][1]
        stored = self.state.get(key)
        if not stored:
            return new_state()
        live = self._live.get(key)
        if live is not None and live[0] is stored:
            return live[1]  # the very record this worker saved: its state, caches included
        return orjson.loads(stored)

    async def process(self, events: list[Any], tails: dict[int, int] | None = None) -> None:
        """Assess a batch of submission events (faust events: ``.value``, ``.message``).

        Records the stream left out before an event are read from the broker and processed
        first; ``tails`` (partition → high watermark) asks for those at a partition's end.
        """
        self._last_batch = time.monotonic()
        if events:
            self.metrics.batch_size.observe(len(events))
        batch = _Batch()
        for partition, end in (tails or {}).items():
            await self._fill(partition, self._missing(partition, end), batch)
        for ev in events:
            missing = self._missing(ev.message.partition, ev.message.offset)
            if missing:
                await self._fill(ev.message.partition, missing, batch)
            self._take(ev, batch)
        await self._write(batch.points)
        stored_at = time.time()
        for at in batch.received:
            self.metrics.latency.observe(max(stored_at - at, 0.0))
        await self._commit(batch.sends, batch.staged, batch.partitions)
        self.refetcher.acknowledge(batch.refetched)
        self.metrics.events.labels("assessed").inc(len(batch.received))

    def _take(self, ev: Any, batch: _Batch) -> None:
        """Assess one event into the batch (its points, sends and the key's new state)."""
        partition = ev.message.partition
        self.sequence.done(partition, ev.message.offset)
        batch.partitions.add(partition)
        try:
            event = SubmissionEvent.from_bytes(ev.value)
            entry = lookup(self.catalog, event)
            key = event.key
            outcome = evaluate(entry, self._load(key, batch.staged), event, self.catalog.version)
        except Exception as exc:  # malformed, unknown or not assessable: park it, go on
            batch.sends.append(self._dead_letter(ev, exc))
            return
        if outcome.duplicate:
            self.metrics.events.labels("duplicate").inc()
            return
        batch.staged[key] = (partition, outcome.state)
        batch.points.extend(outcome.points)
        assert outcome.assessment is not None
        batch.sends.append((str(Topics.ASSESSMENTS), key, to_json(outcome.assessment)))
        if outcome.change:
            batch.sends.append((str(Topics.STATUS_CHANGES), key, to_json(outcome.change)))
            self.metrics.status_changes.labels(outcome.change.to_status.value).inc()
        batch.received.append(event.received_at.timestamp())

    def _expected(self, partition: int) -> int | None:
        """The next offset expected on ``partition``; after an assignment, from its marker."""
        if not self.sequence.started(partition):
            marker = self.state.data.get(_marker_key(partition))
            self.sequence.start(partition, parse_marker(marker))
        return self.sequence.expected(partition)

    def _missing(self, partition: int, offset: int) -> range:
        """The offsets the stream left out before ``offset`` (see ``sequence.py``)."""
        self._expected(partition)
        return self.sequence.missing(partition, offset)

    async def _fill(self, partition: int, missing: range, batch: _Batch) -> None:
        """Read the ``missing`` offsets from the broker and take them into the batch."""
        if not missing:
            return
        log.warning(
            "submissions[%d]: offsets %d-%d were left out of the stream; reading them again",
            partition,
            missing.start,
            missing.stop - 1,
        )
        records = await self._retrying(
            lambda: self.refetcher.read(str(Topics.SUBMISSIONS), partition, missing),
            "reading left-out submissions",
        )
        self.metrics.refetched.inc(len(records))
        if len(records) < len(missing):
            log.warning(
                "submissions[%d]: %d of offsets %d-%d are not on the broker any more",
                partition,
                len(missing) - len(records),
                missing.start,
                missing.stop - 1,
            )
        for message in records:
            self._take(_Refetched(message.value, message), batch)
        batch.refetched.extend(records)
        self.sequence.done(partition, missing.stop - 1)

    async def check_tail(self) -> None:
        """Records left out at the end of a partition: nothing after them shows the hole, so
        when the stream has been idle for a while, compare with the high watermarks."""
        if not self._recovered or self.app.rebalancing:
            return  # the markers are not all back yet
        if time.monotonic() - self._last_batch < self.settings.tail_idle_s:
            return
        async with self._lock:
            tails: dict[int, int] = {}
            for tp in self.app.consumer.assignment():
                if tp.topic != str(Topics.SUBMISSIONS):
                    continue
                end = self.app.consumer.highwater(tp)
                expected = self._expected(tp.partition)
                if end is not None and expected is not None and end > expected:
                    tails[tp.partition] = end
            if tails:
                await self.process([], tails)

    async def _commit(
        self, sends: list[Send], staged: Staged, partitions: set[int] | None = None
    ) -> None:
        """Publish, then save the state (see the module docstring for why in this order);
        seal the changelog partitions of the saved states and of ``partitions`` (those whose
        submissions the batch read).

        The state records are not waited for: faust flushes the producer before it commits
        the offsets of the batch, so they are stored before the batch counts as done.
        """
        for topic, key, value in sends:
            await self.publisher.send(topic, key, value)
        if sends:
            await self.publisher.flush()
        touched: set[int] = set(partitions or ())
        for key, (partition, state) in staged.items():
            value = orjson.dumps({**saved(state), "p": partition})
            if partition is None:  # a state saved before "p" was kept: the default partitioner
                partition = self.app.producer.key_partition(self.changelog, key).partition
            # the partition is given, not hashed: the state of a key sits on the changelog
            # partition numbered like its submissions partition, whatever partitioner the
            # producer of the submissions used; faust restores partition n for input n
            await self.publisher.send(self.changelog, key, value, partition)
            self.state.data[key] = value
            self._live[key] = (value, state)
            touched.add(partition)
        for partition in touched:
            await self._seal_changelog(partition)

    async def _seal_changelog(self, partition: int) -> None:
        """Close a changelog partition with a marker record in a batch of its own.

        Tansu reports a partition's end offset as the base offset of its last record batch
        + 1, and faust restores a table only up to that end offset: without the marker, the
        last records of a batch would be left out of the restored state after a restart.
        On Apache Kafka the marker is merely one small extra record per partition and batch.
        The marker's value is the next submissions offset expected on the partition.
        """
        key = _marker_key(partition)
        expected = self.sequence.expected(partition)
        value = marker_value(expected) if expected is not None else self.state.data.get(key)
        value = value or marker_value(None)
        await self.publisher.send_alone(self.changelog, partition, key, value)
        self.state.data[key] = value

    async def _write(self, points: list[Point]) -> None:
        """Store a batch; on failure retry with backoff (a rewrite replaces, never duplicates).

        The retries never give up: the batch's offsets are not committed while they run, and
        dropping points would lose figures. The broker session stays alive meanwhile (faust
        heartbeats from its consumer thread). One agent serves every partition of the worker,
        so an outage holds them all until the store answers again; each retry comes at most
        ``retry_max_s`` after the store is back.
        """
        if not points:
            return
        await self._retrying(
            lambda: asyncio.to_thread(self.sink.write, points),
            "time-series write",
            on_error=self.metrics.write_errors.inc,
        )

    async def _retrying(
        self,
        call: Callable[[], Awaitable[T]],
        what: str,
        on_error: Callable[[], None] = lambda: None,
    ) -> T:
        """``call()``, retried with backoff (``retry_initial_s`` doubling up to ``retry_max_s``)
        until it succeeds."""
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(Exception),
            wait=wait_exponential(
                multiplier=self.settings.retry_initial_s, max=self.settings.retry_max_s
            ),
            reraise=True,
        ):
            with attempt:
                try:
                    return await call()
                except Exception:
                    on_error()
                    log.warning(
                        "%s failed (attempt %d); retrying",
                        what,
                        attempt.retry_state.attempt_number,
                        exc_info=True,
                    )
                    raise
        raise AssertionError("unreachable: the retries never stop")

    def _dead_letter(self, ev: Any, exc: Exception) -> Send:
        message = ev.message
        letter = DeadLetter(
            source_topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            key=(message.key or b"").decode("utf-8", "replace"),
            payload=(ev.value or b"").decode("utf-8", "replace")[:100_000],
            reason=f"{type(exc).__name__}: {exc}"[:2000],
        )
        self.metrics.events.labels("dead_letter").inc()
        log.warning(
            "dead letter at %s[%s]@%s: %s",
            message.topic,
            message.partition,
            message.offset,
            letter.reason,
        )
        return str(Topics.DEAD_LETTER), message.key, letter.to_bytes()

    # ---- overdue data ----

    async def _check_overdue(self) -> None:
        async with self._lock:
            await self.check_overdue(self.clock().date())

    async def check_overdue(self, today: date) -> int:
        """Emit an overdue status change for each local key whose owed figure is missing."""
        sends: list[Send] = []
        staged: Staged = {}
        points: list[Point] = []
        for key, stored in list(self.state.items()):
            if key.startswith(MARKER_PREFIX) or not stored:
                continue
            indicator_id, _, _jurisdiction = key.decode().partition("|")
            entry = self.catalog.get(indicator_id)
            if entry is None:
                continue
            state = orjson.loads(stored)
            new, change, point = overdue_change(
                entry, state, today, self.due_days, self.catalog.version
            )
            if change is None:
                continue
            staged[key] = (state.get("p"), new)
            sends.append((str(Topics.STATUS_CHANGES), key, to_json(change)))
            self.metrics.status_changes.labels(change.to_status.value).inc()
            if point is not None:
                points.append(point)
        await self._write(points)
        await self._commit(sends, staged)
        return len(sends)

    # ---- web ----

    async def _on_assigned(self, *args: Any, **kwargs: Any) -> None:
        self.sequence.reset()  # the restored markers say where each partition stands
        self._recovered = False
        self.healthy = True

    async def _on_recovered(self, *args: Any, **kwargs: Any) -> None:
        self._recovered = True

    async def _healthz(self, request: Any) -> Any:
        return self.app.web.json({"status": "ok", "assigned": self.healthy})

    async def _metrics(self, request: Any) -> Any:
        for tp in self.app.consumer.assignment():
            # the assignment holds the state changelog's partitions too, read only on recovery
            if tp.topic != str(Topics.SUBMISSIONS):
                continue
            try:
                hw = self.app.consumer.highwater(tp)
                pos = await self.app.consumer.position(tp)
                if hw is not None and pos is not None:
                    self.metrics.lag.labels(str(tp.partition)).set(max(hw - pos, 0))
            except Exception:  # metrics never fail the scrape
                pass
        return self.app.web.bytes(
            generate_latest(self.metrics.registry), content_type="text/plain; version=0.0.4"
        )
