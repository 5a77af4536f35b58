"""The evaluator's agent through faust's ``test_context()``: no broker, real embedded store.

Events are put straight into the agent; its outputs go to a recording publisher (the topics
are what a broker would add, and the integration tests cover them on a real one). The store is
the real embedded SQLite store, wrapped where a test needs it to be down for a while.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from faust.types import TP, Message

from planwatch.catalog import default_catalog
from planwatch.domain.events import (
    AssessmentEvent,
    DeadLetter,
    Status,
    StatusChange,
    SubmissionEvent,
    Topics,
)
from planwatch.settings import CommonSettings
from planwatch.tsstore import EmbeddedSeriesStore, Point
from planwatch_evaluator.adapters.embedded import EmbeddedSink
from planwatch_evaluator.app import Evaluator
from planwatch_evaluator.settings import Settings

CATALOG = default_catalog()
RD = CATALOG.get("gsbase-rd-expenditure")
TODAY = datetime(2026, 11, 24, 9, tzinfo=UTC)


class RecordingPublisher:
    """Stands in for the output topics: keeps what was sent, in order."""

    def __init__(self, probe: Callable[[], int] = lambda: 0) -> None:
        self.sent: list[tuple[str, bytes | None, bytes]] = []
        self.probed: list[int] = []  # what ``probe`` said at each send
        self.changelog: list[tuple[int | None, bytes | None, bytes, bool]] = []
        self.probe = probe
        self.flushes = 0

    async def send(
        self, topic: str, key: bytes | None, value: bytes, partition: int | None = None
    ) -> None:
        if topic.endswith("-changelog"):  # the state table's records
            self.changelog.append((partition, key, value, False))
            return
        self.sent.append((topic, key, value))
        self.probed.append(self.probe())

    async def send_alone(self, topic: str, partition: int, key: bytes, value: bytes) -> None:
        assert topic.endswith("-changelog")
        self.changelog.append((partition, key, value, True))

    async def flush(self) -> None:
        self.flushes += 1

    def on(self, topic: Topics) -> list[bytes]:
        return [value for t, _, value in self.sent if t == str(topic)]


class Partition0:
    """Stands in for the broker's partition 0 where records left out of the stream are read
    again (the harness has no broker; tests/integration/evaluator reads a real one)."""

    def __init__(self) -> None:
        self.records: dict[int, SubmissionEvent] = {}
        self.reads: list[range] = []
        self.acknowledged: list[int] = []

    async def read(self, topic: str, partition: int, offsets: range) -> list[Message]:
        assert (topic, partition) == ("submissions", 0)
        self.reads.append(offsets)
        return [
            Message(topic, 0, o, 0.0, 0, None, e.key, e.to_bytes(), None, tp=TP(topic, 0))
            for o, e in sorted(self.records.items())
            if o in offsets
        ]

    def acknowledge(self, messages: Sequence[Message]) -> None:
        self.acknowledged.extend(m.offset for m in messages)

    async def close(self) -> None:
        return None


class OutageSink(EmbeddedSink):
    """The real embedded store, unreachable for its first ``failures`` writes."""

    def __init__(self, path: Path, failures: int = 0) -> None:
        super().__init__(path)
        self.failures, self.attempts = failures, 0

    def write(self, points: Sequence[Point]) -> None:
        self.attempts += 1
        if self.attempts <= self.failures:
            raise ConnectionError("time-series store unreachable")
        super().write(points)


def submission(period: str, value: float, vintage: int = 1, **kw: Any) -> SubmissionEvent:
    fields: dict[str, Any] = {
        "catalog_version": CATALOG.version,
        "submission_id": f"{period}-{vintage}",
        "indicator_id": RD.id,
        "jurisdiction": RD.jurisdiction,
        "period": period,
        "value": value,
        "unit": RD.unit,
        "vintage": vintage,
        "submitted_by": "甘肃省统计局",
    }
    return SubmissionEvent(**{**fields, **kw})


async def until(predicate: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.005)


class Harness:
    def __init__(self, tmp_path: Path, failures: int = 0) -> None:
        settings = Settings(
            common=CommonSettings(data_dir=tmp_path),
            retry_initial_s=0.01,
            retry_max_s=0.02,
            batch_within_s=0.01,
        )
        self.sink = OutageSink(tmp_path / "timeseries.db", failures)
        self.store = EmbeddedSeriesStore(tmp_path / "timeseries.db")
        self.publisher = RecordingPublisher(probe=lambda: self.store.count("observation"))
        self.broker = Partition0()
        self.evaluator = Evaluator(
            settings,
            CATALOG,
            self.sink,
            clock=lambda: TODAY,
            publisher=self.publisher,
            refetcher=self.broker,
        )
        self.evaluator.app.finalize()
        self.evaluator.app.conf.store = "memory://"
        self.agent: Any = None

    async def put(self, *events: SubmissionEvent | bytes, expect: int | None = None) -> None:
        """Put events in; wait until ``expect`` records (default: one per event) were sent."""
        before = len(self.publisher.sent)
        for event in events:
            if isinstance(event, bytes):
                await self.agent.put(event, key=b"x")
            else:
                await self.agent.put(event.to_bytes(), key=event.key)
        want = before + (len(events) if expect is None else expect)
        await until(lambda: len(self.publisher.sent) >= want, f"{want} records sent")
        await asyncio.sleep(0.03)  # one more batch window: anything extra would show up

    def changes(self) -> list[StatusChange]:
        return [StatusChange.from_bytes(v) for v in self.publisher.on(Topics.STATUS_CHANGES)]

    def state(self) -> dict[str, Any]:
        return orjson.loads(self.evaluator.state.get(KEY))


KEY = submission("2024", 0).key  # the (indicator, jurisdiction) key of every event here


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    h = Harness(tmp_path)
    async with h.evaluator.agent.test_context() as agent:
        h.agent = agent
        yield h


async def test_a_submission_is_stored_assessed_and_published(harness: Harness) -> None:
    first = submission("2024", 150)
    await harness.put(first)
    [row] = harness.store.query("observation", {"indicator_id": RD.id})
    assert row["time"] == datetime(2024, 12, 31, tzinfo=UTC)
    assert (row["value"], row["vintage"], row["tags"]["jurisdiction"]) == (150.0, 1, "甘肃省")
    assert harness.store.latest("assessment", {"indicator_id": RD.id})["status"] == "no_data"
    [raw] = harness.publisher.on(Topics.ASSESSMENTS)
    assessment = AssessmentEvent.from_bytes(raw)
    assert assessment.submission_event_id == first.event_id and assessment.period == "2024"
    assert assessment.target["id"] == RD.id
    assert harness.changes() == []  # a baseline alone says nothing about progress
    assert harness.state()["obs"] == {"2024": [1, 150.0]}
    # the state went to the changelog on the event's partition, then a marker alone
    (p, key, value, alone), marker = harness.publisher.changelog
    assert (p, key, alone) == (0, KEY, False) and orjson.loads(value)["obs"] == {"2024": [1, 150.0]}
    # ... whose value is the next submissions offset expected on the partition
    assert marker == (0, b"\x00changelog-end-0", b"next=1", True)


async def test_records_left_out_of_the_stream_are_read_from_the_broker(harness: Harness) -> None:
    """faust may leave records out of its stream around a rebalance: an event past the offset
    expected next has the records in between read from the broker and assessed first."""
    figures = [submission(str(year), 120 + 10 * i) for i, year in enumerate(range(2021, 2026))]
    harness.broker.records = dict(enumerate(figures))
    await harness.put(figures[0])  # offset 0
    harness.agent.sent_offset = 3  # offsets 1 and 2 never reach the agent
    await harness.put(figures[3], expect=3)
    assert harness.broker.reads == [range(1, 3)]
    periods = [r["time"].year for r in harness.store.query("observation", {"indicator_id": RD.id})]
    assert periods == [2021, 2022, 2023, 2024]
    assessments = harness.publisher.on(Topics.ASSESSMENTS)
    assert [AssessmentEvent.from_bytes(v).period for v in assessments] == [
        "2021",
        "2022",
        "2023",
        "2024",
    ]
    assert harness.broker.acknowledged == [1, 2]  # so the consumer's commits can pass them
    assert harness.evaluator.sequence.expected(0) == 4
    assert harness.publisher.changelog[-1] == (0, b"\x00changelog-end-0", b"next=4", True)
    # one of them delivered late by the stream after all: a redelivery, not assessed twice
    harness.agent.sent_offset = 1
    await harness.put(figures[1], expect=0)
    assert len(harness.publisher.on(Topics.ASSESSMENTS)) == 4


async def test_records_left_out_at_the_end_are_found_once_the_stream_is_idle(
    harness: Harness,
) -> None:
    """Nothing after them shows the hole: the tail check compares with the high watermark."""
    figures = [submission(str(year), 120 + 10 * i) for i, year in enumerate(range(2021, 2024))]
    harness.broker.records = dict(enumerate(figures))
    await harness.put(figures[0])
    harness.evaluator._last_batch -= harness.evaluator.settings.tail_idle_s
    await harness.evaluator.process([], tails={0: 3})
    assert harness.broker.reads == [range(1, 3)]
    periods = [r["time"].year for r in harness.store.query("observation", {"indicator_id": RD.id})]
    assert periods == [2021, 2022, 2023]
    assert harness.evaluator.sequence.expected(0) == 3


async def test_a_status_change_is_published_once_even_when_the_event_comes_again(
    harness: Harness,
) -> None:
    second = submission("2025", 160)
    await harness.put(submission("2024", 150), second)
    points = harness.store.count("observation") + harness.store.count("status_change")
    await harness.put(second, expect=0)  # a redelivery
    [change] = harness.changes()
    assert (change.from_status, change.to_status) == (None, Status.LIMITED_PROGRESS)
    assert change.cause_event_id == second.event_id and change.lead_agencies == RD.lead_agencies
    assert len(harness.publisher.on(Topics.ASSESSMENTS)) == 2
    assert harness.store.count("observation") + harness.store.count("status_change") == points
    assert harness.evaluator.metrics.events.labels("duplicate")._value.get() == 1


async def test_a_revision_overwrites_its_point_and_moves_the_status(harness: Harness) -> None:
    await harness.put(submission("2024", 150), submission("2025", 160))
    await harness.put(submission("2025", 181, vintage=2))
    rows = harness.store.query("observation", {"indicator_id": RD.id})
    assert [(r["value"], r["vintage"]) for r in rows] == [(150.0, 1), (181.0, 2)]
    assert [(c.from_status, c.to_status) for c in harness.changes()] == [
        (None, Status.LIMITED_PROGRESS),
        (Status.LIMITED_PROGRESS, Status.ACHIEVED),
    ]


async def test_bad_events_go_to_dead_letters_and_the_stream_goes_on(harness: Harness) -> None:
    nan = submission("2025", 1).to_bytes().replace(b'"value":1.0', b'"value":NaN')
    bad = [
        b"{broken",
        submission("2025", 1, indicator_id="no-such-indicator").to_bytes(),
        submission("2025", 1, jurisdiction="青海省").to_bytes(),
        submission("2025", 1, unit="万元").to_bytes(),
        submission("2025-13", 1).to_bytes(),
        nan,
    ]
    for raw in bad:
        await harness.agent.put(raw, key=b"x")
    await harness.put(submission("2024", 150), expect=1)
    letters = [DeadLetter.model_validate_json(v) for v in harness.publisher.on(Topics.DEAD_LETTER)]
    expected = [
        ("ValidationError", "Invalid JSON"),
        ("KeyError", "indicator_id: unknown indicator 'no-such-indicator'"),
        ("KeyError", "jurisdiction: gsbase-rd-expenditure is not an indicator of '青海省'"),
        ("ValueError", "unit: '万元' is not the catalog's unit '亿元'"),
        ("PeriodError", "period '2025-13' is not YYYY, YYYY-Qn or YYYY-MM"),
        ("ValueError", "value: nan is not a finite number"),
    ]
    assert len(letters) == len(expected)
    for letter, (kind, says) in zip(letters, expected, strict=True):
        assert letter.reason.startswith(kind + ":") and says in letter.reason
    assert "no-such-indicator" in letters[1].reason and "青海省" in letters[2].reason
    assert letters[0].payload == "{broken" and letters[0].source_topic == "submissions"
    assert harness.store.count("observation") == 1  # the good one after them was assessed


async def test_a_sink_outage_is_retried_and_nothing_is_published_before_the_points_are_stored(
    tmp_path: Path,
) -> None:
    h = Harness(tmp_path, failures=3)
    async with h.evaluator.agent.test_context() as agent:
        h.agent = agent
        await h.put(submission("2024", 150), submission("2025", 160), expect=3)
    assert h.sink.attempts >= 4
    assert h.evaluator.metrics.write_errors._value.get() == 3
    assert [r["value"] for r in h.store.query("observation")] == [150.0, 160.0]
    assert h.store.count("status_change") == 1
    assert len(h.changes()) == 1
    assert min(h.publisher.probed) >= 1  # every event was sent after its batch was stored


async def test_several_figures_of_one_key_in_one_batch_build_on_each_other(
    harness: Harness,
) -> None:
    await harness.put(
        submission("2024", 150),
        submission("2025", 160),
        submission("2025", 181, vintage=2),
        expect=5,
    )
    assert harness.state()["obs"] == {"2024": [1, 150.0], "2025": [2, 181.0]}
    assert harness.changes()[-1].to_status is Status.ACHIEVED


async def test_overdue_figure_once_then_its_arrival_is_a_change(harness: Harness) -> None:
    await harness.put(submission("2024", 150))
    # R&D spending of 2025 can exist from 30 November 2026 and is due on 30 December (the
    # reporting calendar): on the injected clock's day (24 November) it is not chased
    await harness.evaluator._check_overdue()  # the timer's body, with the injected clock
    assert harness.changes() == []
    assert await harness.evaluator.check_overdue(date(2027, 1, 5)) == 1
    assert await harness.evaluator.check_overdue(date(2027, 1, 6)) == 0  # once per period
    [overdue] = harness.changes()
    assert overdue.to_status is Status.OVERDUE and overdue.reason == "overdue"
    assert (overdue.overdue_period, overdue.due_date) == ("2025", "2026-12-30")
    assert overdue.reporting_jurisdiction == "甘肃省" and overdue.publisher == "甘肃省统计局"
    [point] = harness.store.query("overdue", {"indicator_id": RD.id})
    assert point["period"] == "2025" and point["days_overdue"] == 6
    await harness.put(submission("2025", 160), expect=2)
    arrival = harness.changes()[-1]
    assert (arrival.from_status, arrival.to_status) == (Status.OVERDUE, Status.LIMITED_PROGRESS)
