"""The faust worker: submissions in; time series, assessments and status changes out.

Events are taken in batches (``take_events``): one sink write and one burst of sends per batch
instead of per event. The state table is written with ``use_partitioner=True`` so each key's
changelog record lands on the partition of its submissions (same key, same partitioner),
whichever event of the batch is current.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import faust
import orjson
from aiokafka.partitioner import murmur2
from prometheus_client import generate_latest
from tenacity import AsyncRetrying, retry_if_exception_type, wait_exponential

from planwatch.catalog import Catalog
from planwatch.domain.events import DeadLetter, SubmissionEvent, Topics
from planwatch.domain.model import Frequency
from planwatch.tsstore import Point
from planwatch_evaluator import transport
from planwatch_evaluator.core import evaluate, lookup, new_state, overdue_change
from planwatch_evaluator.metrics import Metrics
from planwatch_evaluator.ports import SeriesSink
from planwatch_evaluator.settings import Settings

__all__ = ["MARKER_PREFIX", "Evaluator"]

MARKER_PREFIX = b"\x00changelog-end-"


def _marker_keys(partitions: int) -> list[bytes]:
    """One marker key per partition: the key the default partitioner sends to it."""
    keys: dict[int, bytes] = {}
    n = 0
    while len(keys) < partitions:
        key = MARKER_PREFIX + str(n).encode()
        keys.setdefault((murmur2(key) & 0x7FFFFFFF) % partitions, key)
        n += 1
    return [keys[p] for p in range(partitions)]


log = logging.getLogger("planwatch.evaluator")


class Evaluator:
    """The faust app and its wiring; ``app`` is what the worker runs."""

    def __init__(
        self,
        settings: Settings,
        catalog: Catalog,
        sink: SeriesSink,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings, self.catalog, self.sink, self.clock = settings, catalog, sink, clock
        self.metrics = Metrics()
        self.healthy = False
        transport.Transport.fetch_max_wait_ms = settings.fetch_max_wait_ms
        session = settings.session_timeout_s
        app = faust.App(
            settings.app_id,
            broker=f"{transport.SCHEME}://{settings.common.kafka_bootstrap}",
            store="memory://",
            autodiscover=False,
            topic_partitions=settings.topic_partitions,
            topic_replication_factor=1,
            broker_session_timeout=session,
            broker_heartbeat_interval=max(session / 4, 0.5),
            broker_request_timeout=max(session * 3, 30.0),
            consumer_auto_offset_reset="earliest",
            producer_linger_ms=5,
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
        self.assessments = app.topic(str(Topics.ASSESSMENTS), **raw)
        self.changes = app.topic(str(Topics.STATUS_CHANGES), **raw)
        self.dead = app.topic(str(Topics.DEAD_LETTER), **raw)
        self.state = app.Table(
            "state",
            default=None,
            key_type=bytes,
            value_type=bytes,
            partitions=settings.topic_partitions,
            use_partitioner=True,
        )
        self._markers = _marker_keys(settings.topic_partitions)
        self.due_days = {
            Frequency.ANNUAL: settings.annual_due_days,
            Frequency.QUARTERLY: settings.quarterly_due_days,
            Frequency.MONTHLY: settings.monthly_due_days,
        }
        app.agent(self.submissions, name="evaluate")(self._consume)
        app.timer(settings.overdue_check_s, name="overdue")(self._check_overdue)
        app.page("/healthz")(self._healthz)
        app.page("/metrics")(self._metrics)
        app.on_partitions_assigned.connect(self._on_assigned)

    # ---- stream ----

    async def _consume(self, stream: Any) -> None:
        async for events in stream.take_events(
            self.settings.batch_size, within=self.settings.batch_within_s
        ):
            await self.process(events)

    async def process(self, events: list[Any]) -> None:
        points: list[Point] = []
        out: list[tuple[bytes, bytes, bytes | None, float]] = []
        for ev in events:
            raw = ev.value
            try:
                event = SubmissionEvent.from_bytes(raw)
                entry = lookup(self.catalog, event)
            except Exception as exc:  # malformed or unknown: park it, never stop the stream
                await self._dead_letter(ev, exc)
                continue
            key = event.key
            stored = self.state.get(key)
            state = orjson.loads(stored) if stored else new_state()
            outcome = evaluate(entry, state, event, self.catalog.version)
            if outcome.duplicate:
                self.metrics.events.labels("duplicate").inc()
                continue
            self.state[key] = orjson.dumps(outcome.state)
            points.extend(outcome.points)
            assert outcome.assessment is not None
            change = outcome.change.to_bytes() if outcome.change else None
            out.append((key, outcome.assessment.to_bytes(), change, event.received_at.timestamp()))
            if outcome.change:
                self.metrics.status_changes.labels(outcome.change.to_status.value).inc()
        await self._write(points)
        await self._seal_changelog({ev.message.partition for ev in events})
        now = time.time()
        for key, assessment, change, received in out:
            await self.assessments.send(key=key, value=assessment)
            if change is not None:
                await self.changes.send(key=key, value=change)
            self.metrics.latency.observe(max(now - received, 0.0))
            self.metrics.events.labels("assessed").inc()

    async def _seal_changelog(self, partitions: set[int]) -> None:
        """Close each touched changelog partition with a marker record in a batch of its own.

        Tansu reports a partition's end offset as the base offset of its last record batch
        + 1, and faust restores a table only up to that end offset: without the marker, the
        last records of a batch would be left out of the restored state after a restart.
        On Apache Kafka the marker is merely one small extra record per partition and batch.
        """
        if not partitions:
            return
        await self.app.producer.flush()
        for partition in partitions:
            self.state[self._markers[partition % len(self._markers)]] = b"1"

    async def _write(self, points: list[Point]) -> None:
        """Store a batch; on failure retry with backoff (a rewrite replaces, never duplicates)."""
        if not points:
            return
        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(Exception),
            wait=wait_exponential(multiplier=0.2, max=5.0),
            reraise=True,
        ):
            with attempt:
                try:
                    await asyncio.to_thread(self.sink.write, points)
                except Exception:
                    self.metrics.write_errors.inc()
                    log.warning("time-series write failed; retrying", exc_info=True)
                    raise

    async def _dead_letter(self, ev: Any, exc: Exception) -> None:
        message = ev.message
        letter = DeadLetter(
            source_topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            key=(message.key or b"").decode("utf-8", "replace"),
            payload=(ev.value or b"").decode("utf-8", "replace")[:100_000],
            reason=f"{type(exc).__name__}: {exc}"[:2000],
        )
        await self.dead.send(key=message.key, value=letter.to_bytes())
        self.metrics.events.labels("dead_letter").inc()
        log.warning(
            "dead letter at %s[%s]@%s: %s",
            message.topic,
            message.partition,
            message.offset,
            letter.reason,
        )

    # ---- overdue data ----

    async def _check_overdue(self) -> None:
        await self.check_overdue(self.clock().date())

    async def check_overdue(self, today: date) -> int:
        """Emit an overdue status change for each local key whose owed figure is missing."""
        sent = 0
        points: list[Point] = []
        for key, stored in list(self.state.items()):
            if key.startswith(MARKER_PREFIX):
                continue
            indicator_id, _, _jurisdiction = key.decode().partition("|")
            entry = self.catalog.get(indicator_id)
            if entry is None or not stored:
                continue
            state = orjson.loads(stored)
            new, change, point = overdue_change(
                entry, state, today, self.due_days, self.catalog.version
            )
            if change is None:
                continue
            self.state[key] = orjson.dumps(new)
            await self.changes.send(key=key, value=change.to_bytes())
            if point is not None:
                points.append(point)
            sent += 1
        await self._write(points)
        return sent

    # ---- web ----

    async def _on_assigned(self, *args: Any, **kwargs: Any) -> None:
        self.healthy = True

    async def _healthz(self, request: Any) -> Any:
        return self.app.web.json({"status": "ok", "assigned": self.healthy})

    async def _metrics(self, request: Any) -> Any:
        for tp in self.app.consumer.assignment():
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
