"""The evaluator's agent through faust's ``test_context()``: no broker, real embedded store.

Events are put straight into the agent; its outputs go to a recording publisher and its states
to a dict (the topics and the table's changelog are what a broker adds, and the integration and
fault tests cover them on a real one). The store is the real embedded SQLite store, wrapped where
a test needs it to be down for a while.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

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
from planwatch_evaluator.state import KeyState, decode, encode

CATALOG = default_catalog()
RD = CATALOG.get("gsbase-rd-expenditure")
TODAY = datetime(2026, 11, 24, 9, tzinfo=UTC)


class RecordingPublisher:
    """Stands in for the output topics: keeps what was sent, in order."""

    def __init__(self, probe: Callable[[], int] = lambda: 0) -> None:
        self.sent: list[tuple[str, bytes | None, bytes]] = []
        self.probed: list[int] = []  # what ``probe`` said at each send
        self.probe = probe
        self.flushes = 0

    async def send(self, topic: str, key: bytes | None, value: bytes) -> None:
        self.sent.append((topic, key, value))
        self.probed.append(self.probe())

    async def flush(self) -> None:
        self.flushes += 1

    def on(self, topic: Topics) -> list[bytes]:
        return [value for t, _, value in self.sent if t == str(topic)]


class DictTable:
    """Stands in for the state table: the encoded states, and every write in order."""

    def __init__(self) -> None:
        self.data: dict[bytes, bytes] = {}
        self.writes: list[tuple[bytes, int]] = []  # key, number of records sent before it

    def get(self, key: bytes) -> KeyState | None:
        stored = self.data.get(key)
        return decode(stored) if stored else None

    def put(self, key: bytes, state: KeyState) -> None:
        self.data[key] = encode(state)
        self.writes.append((key, len(self.publisher.sent)))

    def items(self) -> Iterator[tuple[bytes, KeyState]]:
        for key, value in list(self.data.items()):
            yield key, decode(value)

    publisher: RecordingPublisher


class FirstEventStarts:
    """Stands in for the broker's answer to where the group resumes a partition: unknown, so
    each partition starts at its first event. The broker's answer (``BrokerGroupOffsets``) is
    asked by every worker on a real broker: the stream test in tests/integration/evaluator and
    the fault tests, whose counts missed figures without it."""

    async def positions(self, tps: Sequence[Any]) -> dict[Any, int]:
        return {}

    async def ends(self, tps: Sequence[Any]) -> dict[Any, int]:
        return {}


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
    def __init__(self, tmp_path: Path, failures: int = 0, within_s: float = 0.01) -> None:
        settings = Settings(
            common=CommonSettings(data_dir=tmp_path),
            retry_initial_s=0.01,
            retry_max_s=0.02,
            batch_within_s=within_s,
        )
        self.sink = OutageSink(tmp_path / "timeseries.db", failures)
        self.store = EmbeddedSeriesStore(tmp_path / "timeseries.db")
        self.publisher = RecordingPublisher(probe=lambda: self.store.count("observation"))
        self.table = DictTable()
        self.table.publisher = self.publisher
        self.evaluator = Evaluator(
            settings,
            CATALOG,
            self.sink,
            clock=lambda: TODAY,
            publisher=self.publisher,
            states=self.table,
            offsets=FirstEventStarts(),
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

    def published(self) -> list[StatusChange]:
        return [StatusChange.from_bytes(v) for v in self.publisher.on(Topics.STATUS_CHANGES)]

    def changes(self) -> list[StatusChange]:
        """The headline's changes (a target year missed is told apart: ``finals``)."""
        return [c for c in self.published() if c.reason != "final"]

    def finals(self) -> list[StatusChange]:
        return [c for c in self.published() if c.reason == "final"]

    def state(self) -> KeyState:
        return decode(self.table.data[KEY])


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
    assert harness.state().obs == {"2024": (1, 150.0)}
    # the state was kept once, after its batch's records were sent and flushed
    assert harness.table.writes == [(KEY, 1)] and harness.publisher.flushes == 1


async def test_a_status_change_is_published_once_even_when_the_event_comes_again(
    harness: Harness,
) -> None:
    second = submission("2025", 160)
    await harness.put(submission("2024", 150), second)
    points = harness.store.count("observation") + harness.store.count("status_change")
    await harness.put(second, expect=0)  # a redelivery
    # 2025's 160 misses 180 for good (told first, as a final change), and the headline moves on
    final, change = harness.published()
    assert (final.reason, final.target_year, final.to_status) == (
        "final",
        2025,
        Status.NOT_ACHIEVED,
    )
    assert (change.from_status, change.to_status) == (None, Status.NEEDS_ACCELERATION)
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
        (None, Status.NEEDS_ACCELERATION),
        (Status.NEEDS_ACCELERATION, Status.ON_TRACK),
    ]
    # 160 missed 2025's 180; the revised 181 meets it: the miss, then its mending
    assert [(c.from_status, c.to_status) for c in harness.finals()] == [
        (None, Status.NOT_ACHIEVED),
        (Status.NOT_ACHIEVED, Status.ACHIEVED),
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
    # 2025's miss of 180 (final) and the headline's change, each stored and published once
    assert h.store.count("status_change") == 2
    assert len(h.changes()) == 1 and len(h.finals()) == 1
    assert min(h.publisher.probed) >= 1  # every event was sent after its batch was stored


async def test_several_figures_of_one_key_in_one_batch_build_on_each_other(
    tmp_path: Path,
) -> None:
    harness = Harness(tmp_path, within_s=0.3)  # the three events make one batch
    async with harness.evaluator.agent.test_context() as agent:
        harness.agent = agent
        await harness.put(
            submission("2024", 150),
            submission("2025", 160),
            submission("2025", 181, vintage=2),
            expect=5,
        )
    assert harness.state().obs == {"2024": (1, 150.0), "2025": (2, 181.0)}
    assert harness.changes()[-1].to_status is Status.ON_TRACK
    # one table write and one store write for the three events of the key
    assert [key for key, _ in harness.table.writes] == [KEY]
    assert harness.sink.attempts == 1


async def test_overdue_figure_once_then_its_arrival_is_a_change(harness: Harness) -> None:
    await harness.put(submission("2024", 150))
    # R&D spending of 2025 can exist from 30 November 2026 and is due on 30 December (the
    # reporting calendar): on the injected clock's day (24 November) it is not chased
    harness.evaluator.recovered = True  # as once the table is restored
    await harness.evaluator.overdue_tick()  # the timer's body, with the injected clock
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
    assert (arrival.from_status, arrival.to_status) == (Status.OVERDUE, Status.NEEDS_ACCELERATION)


async def test_a_key_that_never_reported_is_chased_by_the_worker_that_owns_it(
    harness: Harness,
) -> None:
    # test_context() joins no group, so the worker holds no partition: ownership is given here
    # (the real worker asks its consumer's assignment, murmur2 of the key as ingest partitions)
    assert harness.evaluator.owns(KEY) is False
    harness.evaluator.owns = lambda key: True  # type: ignore[method-assign]
    chased = await harness.evaluator.check_overdue(date(2027, 1, 5))
    changes = harness.changes()
    assert chased == len(changes) > 1
    assert {c.to_status for c in changes} == {Status.OVERDUE}
    assert RD.id in {c.indicator_id for c in changes}  # R&D never reported here either
    assert await harness.evaluator.check_overdue(date(2027, 1, 6)) == 0  # once per period


class Redelivery:
    """Stands in for the broker's side of a seek (no broker here): what was put at each offset
    is put again, from the offset sought, after the agent's batch is done."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.log: dict[int, bytes] = {}
        self.seeks: list[int] = []
        self.tasks: list[asyncio.Task[None]] = []
        harness.evaluator.seek = self.seek  # type: ignore[method-assign]

    async def put_at(self, offset: int, event: SubmissionEvent) -> None:
        self.log[offset] = event.to_bytes()
        self.harness.agent.sent_offset = offset
        await self.harness.agent.put(self.log[offset], key=event.key)

    async def seek(self, tp: Any, offset: int) -> None:
        self.seeks.append(offset)
        self.tasks.append(asyncio.create_task(self.again(offset)))

    async def again(self, offset: int) -> None:
        for at in range(offset, max(self.log) + 1):
            self.harness.agent.sent_offset = at
            await self.harness.agent.put(self.log[at], key=KEY)


async def test_records_the_fetch_loop_passed_over_are_read_again(harness: Harness) -> None:
    redelivery = Redelivery(harness)
    figures = [submission("2022", 100), submission("2023", 120), submission("2024", 150)]
    redelivery.log[2] = figures[2].to_bytes()
    await redelivery.put_at(0, figures[0])
    await redelivery.put_at(1, figures[1])
    await until(lambda: len(harness.publisher.on(Topics.ASSESSMENTS)) == 2, "two assessed")
    # offset 2 never reaches the stream; 3 does
    fourth = submission("2025", 160)
    await redelivery.put_at(3, fourth)
    await until(lambda: len(harness.publisher.on(Topics.ASSESSMENTS)) == 4, "all four assessed")
    await asyncio.gather(*redelivery.tasks)
    await asyncio.sleep(0.05)
    assert redelivery.seeks == [2]  # read again from the first record passed over
    assessed = [AssessmentEvent.from_bytes(v) for v in harness.publisher.on(Topics.ASSESSMENTS)]
    assert [a.period for a in assessed] == ["2022", "2023", "2024", "2025"]  # each once, in order
    assert harness.store.count("observation") == 4
    assert harness.evaluator.metrics.events.labels("passed_over")._value.get() == 1


class ResumesAt:
    """Stands in for the broker's answer: the group resumes every partition at ``offset``."""

    def __init__(self, offset: int) -> None:
        self.offset = offset
        self.asked: list[list[Any]] = []

    async def positions(self, tps: Sequence[Any]) -> dict[Any, int]:
        self.asked.append(list(tps))
        return dict.fromkeys(tps, self.offset)

    async def ends(self, tps: Sequence[Any]) -> dict[Any, int]:
        return {}


async def test_a_first_event_past_where_the_group_resumes_is_read_from_there(
    harness: Harness,
) -> None:
    """Records fetched before a rebalance and dropped: the partition's first event in the new
    assignment is offset 1, the group resumes at 0, so offset 0 is read first. The broker is
    asked once for the assignment, not at every event."""
    resumes = ResumesAt(0)
    harness.evaluator.offsets = resumes
    redelivery = Redelivery(harness)
    first, second = submission("2023", 120), submission("2024", 150)
    redelivery.log[0] = first.to_bytes()
    await redelivery.put_at(1, second)
    await until(lambda: len(harness.publisher.on(Topics.ASSESSMENTS)) == 2, "both assessed")
    await asyncio.gather(*redelivery.tasks)
    await redelivery.put_at(2, submission("2025", 160))
    await until(lambda: len(harness.publisher.on(Topics.ASSESSMENTS)) == 3, "the third assessed")
    assert redelivery.seeks == [0]
    assessed = [AssessmentEvent.from_bytes(v) for v in harness.publisher.on(Topics.ASSESSMENTS)]
    assert [a.period for a in assessed] == ["2023", "2024", "2025"]
    assert len(resumes.asked) == 1


class FailingPublisher(RecordingPublisher):
    """The output topics unreachable for the first ``failures`` flushes."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def flush(self) -> None:
        await super().flush()
        if self.flushes <= self.failures:
            raise ConnectionError("broker unreachable")


async def test_a_batch_that_fails_is_read_again_from_its_first_event(tmp_path: Path) -> None:
    h = Harness(tmp_path)
    h.publisher = FailingPublisher(failures=1)
    h.table.publisher = h.publisher
    h.evaluator.publisher = h.publisher
    async with h.evaluator.agent.test_context() as agent:
        h.agent = agent
        redelivery = Redelivery(h)
        await redelivery.put_at(0, submission("2024", 150))
        await redelivery.put_at(1, submission("2025", 160))
        await until(lambda: h.table.data.get(KEY) is not None, "the state kept")
        await asyncio.gather(*redelivery.tasks)
        await asyncio.sleep(0.05)
    assert redelivery.seeks and redelivery.seeks[0] == 0
    assert h.state().obs == {"2024": (1, 150.0), "2025": (1, 160.0)}
    # the failed batch's records went out again with the same ids: consumers see each once
    ids = [AssessmentEvent.from_bytes(v).event_id for v in h.publisher.on(Topics.ASSESSMENTS)]
    assert len(set(ids)) == 2 and len(ids) >= 2
    assert [c.to_status for c in {c.event_id: c for c in h.changes()}.values()] == [
        Status.NEEDS_ACCELERATION
    ]
    assert h.store.count("observation") == 2
