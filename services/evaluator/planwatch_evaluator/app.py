"""The faust worker: submissions in; time series, assessments and status changes out.

One agent reads ``submissions`` (keyed by indicator and jurisdiction) in batches
(``stream.take_events``); each batch is handled by ``process`` in an order that loses nothing
on a crash, at least once with effects idempotent by event id:

1. every event is assessed against its key's state (``core.evaluate``, plain functions);
2. the batch's points are stored in one write (retried with backoff; a rewrite replaces);
3. the assessments and status changes are sent with faust's producer and acknowledged;
4. the new state of each key touched goes to the state table, once per key and batch (faust
   writes its changelog and flushes the producer before it commits the batch's offsets, which
   it does only once the agent has finished with the batch).

A crash before 4 has its batch delivered again: its points are rewritten in place and its
events sent again with the same event ids (``core.derived_id``), which consumers dedupe.
After 4, a redelivered event is recognised by its id in the state and dropped.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, cast

import faust
from aiokafka.partitioner import murmur2
from faust.exceptions import ConsumerNotStarted
from faust.tables.manager import TableManager
from prometheus_client import generate_latest
from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential

from planwatch.catalog import Catalog
from planwatch.domain.events import DeadLetter, SubmissionEvent, Topics
from planwatch.readiness import Check, broker_check, probe, readiness_body
from planwatch.tsstore import Point
from planwatch_evaluator.adapters.kafka import (
    BrokerGroupOffsets,
    FaustPublisher,
    FaustStateTable,
)
from planwatch_evaluator.core import evaluate, lookup, overdue_changes, to_json
from planwatch_evaluator.cursors import Admission, Cursors
from planwatch_evaluator.metrics import Metrics
from planwatch_evaluator.ports import GroupOffsets, Publisher, SeriesSink, StateTable
from planwatch_evaluator.settings import Settings
from planwatch_evaluator.state import KeyState
from planwatch_evaluator.watchdog import EXIT_STALLED, RecoveryWatch, Watchdog, waiting

__all__ = ["Evaluator", "NotReady"]

log = logging.getLogger("planwatch.evaluator")
STUCK_S = 30.0  # a batch waiting longer on one step is logged (each ``patience_s``)

Send = tuple[str, bytes | None, bytes]  # topic, key, value


@dataclass
class Batch:
    """What a batch makes: points to store, records to publish, the new state of each key."""

    points: list[Point] = field(default_factory=list)
    sends: list[Send] = field(default_factory=list)
    states: dict[bytes, KeyState] = field(default_factory=dict)
    received: list[float] = field(default_factory=list)  # the assessed events' times of receipt


def hold_back(events: Sequence[Any]) -> None:
    """Keep faust from counting these events as handled: marked acknowledged already, their
    messages never reach the consumer's acknowledged offsets (``Message.ack`` does nothing for
    an acknowledged message), so no commit passes them; the records are read again."""
    for ev in events:
        ev.message.acked = True


class NotReady(Exception):
    """The worker is not assessing what it holds yet (``/readyz``)."""


class Evaluator:
    """The faust app and its wiring; ``app`` is what the worker runs.

    ``publisher`` defaults to the app's own producer and ``states`` to the app's ``state``
    table; ``clock`` gives the date the overdue check runs for.
    """

    def __init__(
        self,
        settings: Settings,
        catalog: Catalog,
        sink: SeriesSink,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        publisher: Publisher | None = None,
        states: StateTable | None = None,
        offsets: GroupOffsets | None = None,
        exit: Callable[[int], Any] = os._exit,
    ) -> None:
        self.settings, self.catalog, self.sink, self.clock = settings, catalog, sink, clock
        self.metrics = Metrics()
        self.healthy = False
        session = settings.session_timeout_s
        app = faust.App(
            settings.app_id,
            broker=f"kafka://{settings.common.kafka_bootstrap}",
            store="memory://",  # the state is rebuilt from the changelog topic on start
            datadir=str(settings.common.data_dir / "faust"),
            autodiscover=False,
            topic_partitions=settings.topic_partitions,
            # the changelog as replicated as submissions: on a cluster it outlives a broker
            topic_replication_factor=settings.topic_replication,
            # how soon the group notices a worker gone without leaving (a crash): its
            # partitions wait that long (faust's default is 60 s)
            broker_session_timeout=session,
            broker_heartbeat_interval=max(session / 4, 0.5),
            consumer_auto_offset_reset="earliest",
            # a partition whose leader broker died is fetched from its new leader this soon
            # (faust's default, 5 minutes, stalls it that long)
            consumer_metadata_max_age_ms=settings.common.kafka_metadata_max_age_ms,
            producer_metadata_max_age_ms=settings.common.kafka_metadata_max_age_ms,
            producer_linger_ms=5,
            # an assessment event is 2-3 kB: room for a whole batch per partition
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
        # declared so that the worker knows them; the broker creates none implicitly
        for topic in (Topics.ASSESSMENTS, Topics.STATUS_CHANGES, Topics.DEAD_LETTER):
            app.topic(str(topic), **raw)
        self.table = app.Table(
            "state",
            default=None,
            key_type=bytes,
            value_type=bytes,
            partitions=settings.topic_partitions,
            # a key's changelog partition by the producer's partitioner (murmur2 of the key),
            # which is how ingest partitions submissions: the state of a key is restored on the
            # worker that holds its submissions partition
            use_partitioner=True,
        )
        self.publisher: Publisher = publisher or FaustPublisher(app)
        self.states: StateTable = states or FaustStateTable(self.table)
        self.offsets: GroupOffsets = offsets or BrokerGroupOffsets(app, settings)
        # one batch or overdue check at a time: each reads and saves states across awaits
        self.lock = asyncio.Lock()
        self.recovered = False  # the table is restored since the last assignment
        self.cursors = Cursors()  # where each partition stands
        self.generation = 0  # assignments so far: a question asked across one is asked again
        # what the batch in hand is waiting for, since when (a batch stuck there is logged)
        self.step: tuple[str, float] | None = None
        # the watchdog (watchdog.py): when the worker last moved, and how it leaves when it
        # has stopped (``exit``: the process ends at once, for its supervisor to restart it)
        self.progress_at = time.monotonic()
        self.recovery_watch = RecoveryWatch(settings.stall_s)
        self.suspect_at: float | None = None  # records were owed at this check, nothing read
        self.exit = exit
        self.agent = app.agent(self.submissions, name="evaluate")(self.consume)
        app.timer(settings.overdue_check_s, name="overdue")(self.overdue_tick)
        app.timer(self.cursors.patience_s, name="reseek")(self.reseek_stalled)
        # the watchdog runs beside the app, from the worker's start (watchdog.py): the worker
        # is given ``services()``
        self.watchdog = (
            Watchdog(self.watch, min(10.0, settings.stall_s / 3)) if settings.stall_s > 0 else None
        )
        # bound methods: faust's view class calls them with the request alone, which its
        # annotations (a function of view and request) do not express
        app.page("/healthz")(self.healthz)  # type: ignore[arg-type]
        app.page("/readyz")(self.readyz)  # type: ignore[arg-type]
        app.page("/metrics")(self.metrics_page)  # type: ignore[arg-type]
        app.on_partitions_assigned.connect(self.on_assigned)
        app.on_rebalance_complete.connect(self.on_recovered)

    # ---- stream ----

    async def consume(self, stream: Any) -> None:
        """The agent: batches of events, each handled whole before faust acks its events.

        Only each partition's next offsets are assessed (``cursors.py``: faust's fetch loop
        can pass over records). A batch that fails is read again from its first event; one
        cut short by the worker stopping is left for the next owner of its partitions. Either
        way its events are held back from faust's acknowledgements (which ``take_events``
        gives every event of a batch, even one that was never handled), so that no offset
        past them is committed.
        """
        async for events in stream.take_events(
            self.settings.batch_size, within=self.settings.batch_within_s
        ):
            async with self.lock:
                self.at("admission")
                admitted = await self.admit(events)
                try:
                    await self.process(admitted)
                except Exception:
                    log.exception(
                        "a batch of %d submissions failed; its partitions are read again "
                        "from its first event",
                        len(admitted),
                    )
                    hold_back(admitted)
                    await self.read_again(admitted)
                except BaseException:  # cancelled: the worker is stopping
                    hold_back(admitted)
                    raise
                finally:
                    self.step = None

    def at(self, step: str) -> None:
        self.step = (step, time.monotonic())

    async def admit(self, events: Sequence[Any]) -> list[Any]:
        """The events that are their partition's next; rewind a partition that skipped some."""
        admitted = []
        for ev in events:
            message = ev.message
            tp = message.tp
            if tp not in self.cursors.expected:  # the partition's first event since assignment
                await self.begin_assigned(tp)
            verdict = self.cursors.admit(tp, message.offset)
            if verdict is Admission.ASSESS:
                admitted.append(ev)
                continue
            if verdict is Admission.DONE:
                self.metrics.events.labels("redelivered").inc()
                continue
            hold_back([ev])  # it comes again after the seek, and is acknowledged then
            self.metrics.events.labels("passed_over").inc()
            offset = self.cursors.rewind_to(tp)
            if offset is not None:
                log.warning(
                    "%s[%s]: offset %s arrived while %s was next; reading again from %s",
                    message.topic,
                    message.partition,
                    message.offset,
                    offset,
                    offset,
                )
                await self.seek(tp, offset)
        return admitted

    async def begin_assigned(self, tp: Any) -> None:
        """Start the cursors of ``tp`` and of every other assigned partition of its topic not
        followed yet where the group resumes them, learnt in one question to the broker (asked
        again if a rebalance came meanwhile: its assignment starts afresh)."""
        for _ in range(3):
            generation = self.generation
            try:
                assigned = {t for t in self.app.consumer.assignment() if t.topic == tp.topic}
            except Exception:  # not joined (the agent's test context): this partition alone
                assigned = set()
            wanted = sorted((assigned | {tp}) - self.cursors.expected.keys(), key=str)
            positions = await self.offsets.positions(wanted)
            if generation == self.generation:
                for partition, offset in positions.items():
                    self.cursors.begin(partition, offset)
                return

    async def read_again(self, events: Sequence[Any]) -> None:
        first: dict[Any, int] = {}
        for ev in events:
            tp, offset = ev.message.tp, ev.message.offset
            first[tp] = min(offset, first.get(tp, offset))
        self.cursors.give_back(first)
        for tp, offset in first.items():
            await self.seek(tp, offset)

    async def seek(self, tp: Any, offset: int) -> None:
        if self.step is not None:
            self.at(f"seek of {tp.topic}[{tp.partition}] to {offset}")
        started = time.monotonic()
        try:
            # in the consumer's own thread, with faust's read position moved back too
            await self.app.consumer.seek_wait({tp: offset})
        except Exception:  # a partition revoked meanwhile: its next owner starts from the commit
            log.warning("could not seek %s to %s", tp, offset, exc_info=True)
        took = time.monotonic() - started
        if took >= 5:
            log.warning("seeking %s[%s] to %s took %.0f s", tp.topic, tp.partition, offset, took)

    async def process(self, events: Sequence[Any]) -> None:
        """Assess a batch of submission events (faust events: ``.value``, ``.message``)."""
        self.metrics.batch_size.observe(len(events))
        batch = Batch()
        for ev in events:
            self.take(ev, batch)
        self.at("time-series write")
        await self.write(batch.points)
        stored_at = time.time()
        for at in batch.received:
            self.metrics.latency.observe(max(stored_at - at, 0.0))
        await self.commit(batch)
        self.metrics.events.labels("assessed").inc(len(batch.received))
        self.progress_at = time.monotonic()

    def load(self, key: bytes, batch: Batch) -> KeyState:
        state = batch.states.get(key)
        if state is None:
            state = self.states.get(key) or KeyState()
        return state

    def take(self, ev: Any, batch: Batch) -> None:
        """Assess one event into the batch (its points, sends and the key's new state)."""
        try:
            event = SubmissionEvent.from_bytes(ev.value)
            entry = lookup(self.catalog, event)
            key = event.key
            outcome = evaluate(entry, self.load(key, batch), event, self.catalog.version)
        except Exception as exc:  # malformed, unknown or not assessable: park it, go on
            batch.sends.append(self.dead_letter(ev, exc))
            return
        if outcome.duplicate:
            self.metrics.events.labels("duplicate").inc()
            return
        batch.states[key] = outcome.state
        batch.points.extend(outcome.points)
        assert outcome.assessment is not None
        batch.sends.append((str(Topics.ASSESSMENTS), key, to_json(outcome.assessment)))
        # a missed target year first, then the headline that moved on from it
        for change in (*outcome.finals, outcome.change):
            if change is not None:
                batch.sends.append((str(Topics.STATUS_CHANGES), key, to_json(change)))
                self.metrics.status_changes.labels(change.to_status.value).inc()
        batch.received.append(event.received_at.timestamp())

    async def commit(self, batch: Batch) -> None:
        """Publish and wait for the acknowledgements, then keep the new states (see the module
        docstring for why in this order)."""
        self.at("publish")
        for topic, key, value in batch.sends:
            await self.publisher.send(topic, key, value)
        if batch.sends:
            self.at("publish acknowledgements")
            await self.publisher.flush()
        for key, state in batch.states.items():
            self.states.put(key, state)

    async def write(self, points: list[Point]) -> None:
        """Store a batch; on failure retry with backoff (a rewrite replaces, never duplicates).

        The retries never give up: the batch's events are not acked while they run, so their
        offsets are not committed, and dropping points would lose figures. The broker session
        stays alive meanwhile (faust heartbeats from its consumer thread). One agent serves
        every partition of the worker, so an outage holds them all until the store answers
        again; each retry comes at most ``retry_max_s`` after the store is back.
        """
        if not points:
            return
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(Exception),
            wait=wait_exponential(
                multiplier=self.settings.retry_initial_s, max=self.settings.retry_max_s
            ),
            reraise=True,
        ):
            with attempt:
                try:
                    await asyncio.to_thread(self.sink.write, points)
                except Exception:
                    self.metrics.write_errors.inc()
                    log.warning(
                        "time-series write failed (attempt %d); retrying",
                        attempt.retry_state.attempt_number,
                        exc_info=True,
                    )
                    raise

    def dead_letter(self, ev: Any, exc: Exception) -> Send:
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

    async def reseek_stalled(self) -> None:
        """The timer: a partition sought back whose record has not come is sought again; a
        batch waiting on one step for long is logged (each time, with how long)."""
        if self.step is not None:
            step, since = self.step
            waited = time.monotonic() - since
            if waited >= STUCK_S:
                log.warning("a batch has waited %.0f s for its %s", waited, step)
        for tp, offset in self.cursors.stalled():
            log.warning("%s: offset %s has not come again; seeking to it once more", tp, offset)
            await self.seek(tp, offset)

    # ---- the watchdog ----

    async def watch(self) -> None:
        """The timer: stop the worker when it has stopped reading (watchdog.py)."""
        now = time.monotonic()
        recovery = cast(TableManager, self.app.tables).recovery
        in_recovery = bool(recovery.in_recovery)
        remaining = recovery.active_remaining_total() if in_recovery else 0
        still = self.recovery_watch.observe(in_recovery, remaining, now)
        if still is not None:
            self.stalled(
                f"表状态恢复已停滞 {still:.0f} 秒（尚有 {remaining} 条变更日志未读）。"
                f" The table recovery has read no changelog record for {still:.0f} s"
                f" ({remaining} still to read)."
            )
            return
        if in_recovery or self.step is not None or self.generation == 0:
            # restoring, busy with a batch (a store down is retried, not a stall), or not
            # assigned anything yet (starting up: nothing held, nothing owed)
            return
        idle = now - self.progress_at
        if idle < self.settings.stall_s:
            self.suspect_at = None
            return
        owed = await self.owed()
        if not owed or self.step is not None or self.progress_at > now:
            self.suspect_at = None  # nothing waits, or the worker moved meanwhile
            return
        if self.suspect_at is None or self.suspect_at < self.progress_at:
            # records just produced may not be fetched yet: owed again at the next check, with
            # nothing read in between, is a stall
            self.suspect_at = now
            return
        where = ", ".join(
            f"{tp.topic}[{tp.partition}]: {n}"
            for tp, n in sorted(owed.items(), key=lambda item: str(item[0]))
        )
        self.stalled(
            f"已 {idle:.0f} 秒未读到任何记录，而分区中仍有待评估的记录（{where}）。"
            f" Nothing read for {idle:.0f} s while records wait ({where})."
        )

    def services(self) -> list[Any]:
        """The services to start with the worker, before the app: the watchdog."""
        return [self.watchdog] if self.watchdog is not None else []

    def assigned(self) -> list[Any]:
        """The partitions of submissions this worker holds."""
        try:
            tps = self.app.consumer.assignment()
        except ConsumerNotStarted:
            return []
        return [tp for tp in tps if tp.topic == str(Topics.SUBMISSIONS)]

    async def owed(self) -> dict[Any, int]:
        """The records of this worker's submissions partitions past where it stands (the next
        offset it assesses, or where the group resumes a partition it has not read yet)."""
        assigned = self.assigned()
        if not assigned:
            return {}
        starts = {tp: self.cursors.expected[tp] for tp in assigned if tp in self.cursors.expected}
        starts.update(await self.offsets.positions([tp for tp in assigned if tp not in starts]))
        return waiting(await self.offsets.ends(assigned), starts)

    def stalled(self, why: str) -> None:
        log.error(
            "%s 进程退出（%d），由守护进程重新启动。 Exiting (%d) for the supervisor to start the"
            " worker again.",
            why,
            EXIT_STALLED,
            EXIT_STALLED,
        )
        for handler in logging.getLogger().handlers:
            handler.flush()
        self.exit(EXIT_STALLED)

    # ---- overdue data ----

    async def overdue_tick(self) -> None:
        """The timer: check once the table is restored (a state half restored would be an
        old one)."""
        if not self.recovered or self.app.rebalancing:
            return
        await self.check_overdue(self.clock().date())

    async def check_overdue(self, today: date) -> int:
        """Emit an overdue status change for each key this worker owns whose owed figure is
        missing by the reporting calendar, a key that never reported included, and a reminder
        (``reason="reminder"``, a notice that is no change of status) for each figure soon due."""
        async with self.lock:
            batch = Batch()
            states = dict(self.states.items())
            owed = overdue_changes(
                self.catalog, states, today, self.settings.calendar_policy(), owns=self.owns
            )
            for key, new, change, point in owed:
                batch.states[key] = new
                batch.sends.append((str(Topics.STATUS_CHANGES), key, to_json(change)))
                if change.reason != "reminder":  # a reminder leaves the status as it is
                    self.metrics.status_changes.labels(change.to_status.value).inc()
                if point is not None:
                    batch.points.append(point)
            try:
                await self.write(batch.points)
                await self.commit(batch)
            finally:
                self.step = None
            return len(batch.sends)

    def owns(self, key: bytes) -> bool:
        """Whether this worker holds the submissions partition of ``key`` (the producer's
        partitioner, murmur2, as ingest's): only its owner chases a key that never reported."""
        try:
            assignment = self.app.consumer.assignment()
        except ConsumerNotStarted:  # a worker that has not joined its group owns nothing
            return False
        assigned = {tp.partition for tp in assignment if tp.topic == str(Topics.SUBMISSIONS)}
        if not assigned:
            return False
        partition = (murmur2(key) & 0x7FFFFFFF) % self.settings.topic_partitions
        return partition in assigned

    # ---- group and web ----

    async def on_assigned(self, *args: Any, **kwargs: Any) -> None:
        self.recovered = False
        self.progress_at = time.monotonic()  # a new assignment: the watchdog's clock too
        self.generation += 1
        # each partition is followed from the first event the new assignment brings
        self.cursors.start({})
        self.healthy = True

    async def on_recovered(self, *args: Any, **kwargs: Any) -> None:
        self.recovered = True

    async def healthz(self, request: Any) -> Any:
        return self.app.web.json({"status": "ok", "assigned": self.healthy})

    def group_check(self) -> Check:
        """Joined with partitions of submissions and the state table restored: what the worker
        holds is being assessed. Decided now, on the event loop; the check reports it."""
        try:
            assignment = self.app.consumer.assignment()
        except ConsumerNotStarted:
            assignment = set()
        reason = None
        if not any(tp.topic == str(Topics.SUBMISSIONS) for tp in assignment):
            reason = (
                f"尚未加入消费组 {self.settings.app_id}，或未分到 submissions 的分区。"
                f" Not yet in consumer group {self.settings.app_id} with partitions of"
                " submissions."
            )
        elif self.app.rebalancing or not self.recovered:
            reason = "状态表正在恢复。 The state table is being restored after a rebalance."

        def check() -> None:
            if reason is not None:
                raise NotReady(reason)

        return check

    async def readyz(self, request: Any) -> Any:
        """200 when the worker has joined its group with partitions and restored its table, the
        broker answers a metadata request and the time-series store answers its ping; else 503,
        with what each said (``planwatch.readiness``)."""
        checks: dict[str, Check] = {
            "group": self.group_check(),
            "broker": broker_check(self.settings.common.kafka_bootstrap),
            "store": self.sink.ping,
        }
        status, body = readiness_body(await probe(checks))
        return self.app.web.json(body, status=status)

    async def metrics_page(self, request: Any) -> Any:
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
