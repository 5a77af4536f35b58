"""What the evaluator does with a submission, without a broker: state, points, events."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from planwatch.catalog import default_catalog
from planwatch.domain.events import Status, SubmissionEvent
from planwatch.domain.model import Frequency
from planwatch_evaluator.core import (
    SEEN_KEEP,
    evaluate,
    new_state,
    overdue_change,
    owed_period,
    seen_mark,
    to_json,
)
from planwatch_evaluator.state import KeyState, decode, encode

CATALOG = default_catalog()
RD = CATALOG.get("gsbase-rd-expenditure")
DUE = {Frequency.ANNUAL: 90, Frequency.QUARTERLY: 45, Frequency.MONTHLY: 20}


def submission(period: str, value: float, vintage: int = 1, **kw) -> SubmissionEvent:
    return SubmissionEvent(
        catalog_version=CATALOG.version,
        submission_id=f"{period}-{vintage}",
        indicator_id=RD.id,
        jurisdiction=RD.jurisdiction,
        period=period,
        value=value,
        unit=RD.unit,
        vintage=vintage,
        submitted_by="甘肃省统计局",
        received_at=datetime(2026, 4, 1, tzinfo=UTC),
        **kw,
    )


def run(*events: SubmissionEvent):
    state, outcomes = new_state(), []
    for event in events:
        outcome = evaluate(RD, state, event, CATALOG.version)
        state = outcome.state
        outcomes.append(outcome)
    return state, outcomes


def test_first_figure_is_stored_but_only_a_baseline() -> None:
    _, [first] = run(submission("2024", 150))
    measurements = {p.measurement for p in first.points}
    # tier_assessment points may accompany the baseline (one per tier, status no_data)
    assert (
        {"observation", "assessment", "target"}
        <= measurements
        <= {
            "observation",
            "assessment",
            "target",
            "tier_assessment",
        }
    )
    assert "status_change" not in measurements
    assert first.assessment.assessment["status"] == "no_data"
    assert first.change is None


def test_status_change_is_emitted_when_the_status_moves() -> None:
    # 2025's 160 misses 180 for good (not_achieved); the headline is the 2030 target of 280
    state, outcomes = run(submission("2024", 150), submission("2025", 160))
    assert outcomes[1].assessment.assessment["years"][0]["status"] == "not_achieved"
    change = outcomes[1].change
    assert change is not None and change.from_status is None
    assert change.to_status is Status.NEEDS_ACCELERATION
    assert (
        change.target["id"] == RD.id
        and change.cause_event_id == outcomes[1].assessment.submission_event_id
    )
    assert state.status == "needs_acceleration"


def test_a_revision_overwrites_the_same_point_and_can_change_the_status() -> None:
    state, outcomes = run(
        submission("2024", 150), submission("2025", 160), submission("2025", 181, vintage=2)
    )
    old = next(p for p in outcomes[1].points if p.measurement == "observation")
    new = next(p for p in outcomes[2].points if p.measurement == "observation")
    assert (old.measurement, old.tags, old.time) == (new.measurement, new.tags, new.time)
    assert new.fields == {"value": 181.0, "vintage": 2}
    assert outcomes[2].change.to_status is Status.ON_TRACK
    assert state.obs["2025"] == (2, 181.0)


def test_an_older_vintage_arriving_late_does_not_win() -> None:
    state, _ = run(submission("2025", 181, vintage=2), submission("2025", 160, vintage=1))
    assert state.obs["2025"] == (2, 181.0)


def test_a_redelivered_event_changes_nothing_and_emits_nothing() -> None:
    first = submission("2025", 160)
    state, outcomes = run(submission("2024", 150), first, first)
    assert outcomes[2].duplicate and outcomes[2].change is None and outcomes[2].points == []
    assert state.seen.count(seen_mark(first.event_id)) == 1


def test_a_state_keeps_short_marks_of_its_last_event_ids() -> None:
    events = [submission(f"2025-{m:02d}", 150 + m) for m in range(1, 13)] * 12
    # ids as ingest makes them: one random part per request, then the row's position
    events = [
        e.model_copy(update={"event_id": f"{'ab' * 12}{i:08x}"}) for i, e in enumerate(events)
    ]
    state, _ = run(*events)
    assert len(state.seen) == SEEN_KEEP
    assert state.seen[-1] == seen_mark(events[-1].event_id) and len(state.seen[-1]) == 16
    # an event within the window is recognised; the state stays a few kB
    assert run(*events, events[-SEEN_KEEP])[1][-1].duplicate
    assert len(encode(state)) < 4_000


def test_overdue_once_per_missing_period() -> None:
    state, _ = run(submission("2024", 150))
    # 2024 is the plan's start year (a baseline, not owed); 2025 is due on 2026-03-31
    assert owed_period(RD, date(2026, 3, 30), DUE) is None
    assert owed_period(RD, date(2026, 3, 31), DUE) == "2025"
    _, change, _ = overdue_change(RD, state, date(2026, 3, 30), DUE, "v")
    assert change is None
    state, change, point = overdue_change(RD, state, date(2026, 11, 24), DUE, "v")
    assert change is not None and change.to_status is Status.OVERDUE
    assert change.overdue_period == "2025" and change.due_date == "2026-03-31"
    assert change.reporting_jurisdiction == "甘肃省" and point.measurement == "overdue"
    assert to_json(change) == change.to_bytes()
    _, again, _ = overdue_change(RD, state, date(2026, 11, 25), DUE, "v")
    assert again is None


def test_no_overdue_for_an_indicator_never_reported() -> None:
    _, change, _ = overdue_change(RD, new_state(), date(2026, 11, 24), DUE, "v")
    assert change is None


def test_line_protocol_of_points() -> None:
    _, [outcome] = run(submission("2024", 150))
    line = next(p for p in outcome.points if p.measurement == "observation").to_line_protocol()
    assert line.startswith("observation,indicator_id=gsbase-rd-expenditure,jurisdiction=甘肃省,")
    assert "value=150.0,vintage=1i" in line and line.endswith(" 1735603200000000000")


def test_the_kept_rows_assess_exactly_as_the_whole_history() -> None:
    """Each figure is assessed from the rows kept in the state; the verdict must equal that of
    ``assess`` over every stored observation, whether the state comes straight from the last
    event (rows kept) or back from its stored form (rows rebuilt): periods of several kinds
    ending at the same time, revisions, late lower vintages, future years."""
    import random

    from planwatch.domain.assessment import assess
    from planwatch.domain.assessment_model import Observation

    rng = random.Random(7)
    kinds = {}
    for entry in CATALOG:
        kinds.setdefault(entry.kind, entry)
    labels = [f"{y}" for y in range(2019, 2028)]
    labels += [f"{y}-Q{q}" for y in range(2020, 2027) for q in (2, 4)]
    labels += [f"{y}-{m:02d}" for y in range(2021, 2027) for m in (3, 6, 12)]
    for entry in kinds.values():
        state = new_state()
        for i in range(120):
            event = SubmissionEvent(
                catalog_version=CATALOG.version,
                submission_id=f"s{i}",
                indicator_id=entry.id,
                jurisdiction=entry.jurisdiction,
                period=rng.choice(labels),
                value=float(rng.randint(-5, 400)),
                unit=entry.unit,
                vintage=rng.randint(1, 3),
                submitted_by="t",
                received_at=datetime(2026, 4, 1, tzinfo=UTC),
            )
            if i % 7 == 0:  # as the worker reads it back from the table's record
                state = decode(encode(state))
            outcome = evaluate(entry, state, event, CATALOG.version)
            state = outcome.state
            observations = [
                Observation(period=p, value=v, vintage=vin) for p, (vin, v) in state.obs.items()
            ]
            whole = assess(entry, observations, date(2026, 4, 1)).to_dict()
            assert outcome.assessment.assessment == whole, (entry.kind, i)
            for event in (outcome.assessment, outcome.change):
                if event is not None:  # what is published: the very bytes pydantic writes
                    assert to_json(event) == event.to_bytes()


QUARTERLY = RD.model_copy(update={"frequency": Frequency.QUARTERLY})
MONTHLY = RD.model_copy(update={"frequency": Frequency.MONTHLY})


def run_on(entry, *events: SubmissionEvent, state=None):
    state, outcomes = state or new_state(), []
    for event in events:
        outcome = evaluate(entry, state, event, CATALOG.version)
        state = outcome.state
        outcomes.append(outcome)
    return state, outcomes


def test_labels_of_the_same_months_are_one_observation() -> None:
    """ "2025-12" after "2025" (as ingest published them before labels were canonical, each
    vintage 1) is the same period: one observation, the later figure, one row assessed."""
    state, outcomes = run(
        submission("2024", 150), submission("2025", 160), submission("2025-12", 181)
    )
    assert state.obs == {"2024": (1, 150.0), "2025": (1, 181.0)}
    last = outcomes[2]
    assert last.assessment.period == "2025"
    assert last.assessment.assessment["latest_value"] == 181.0
    assert last.change.to_status is Status.ON_TRACK
    [point] = [p for p in last.points if p.measurement == "observation"]
    assert point.time == datetime(2025, 12, 31, tzinfo=UTC)


def test_a_half_year_is_kept_under_the_label_of_the_entry_frequency() -> None:
    quarterly, _ = run_on(QUARTERLY, submission("2025-06", 90))
    monthly, _ = run_on(MONTHLY, submission("2025-Q2", 90))
    assert list(quarterly.obs) == ["2025-Q2"] and list(monthly.obs) == ["2025-06"]
    # and the second label of the same months revises it, not adds to it
    monthly, _ = run_on(MONTHLY, submission("2025-06", 95, vintage=2), state=monthly)
    assert monthly.obs == {"2025-06": (2, 95.0)}


def test_a_state_saved_under_two_labels_becomes_one_period() -> None:
    saved_before = decode(
        b'{"obs": {"2024": [1, 150.0], "2025": [1, 160.0], "2025-12": [2, 170.0],'
        b' "2025-Q4": [1, 1.0]}, "seen": [], "status": "limited_progress", "overdue": null}'
    )
    state, [outcome] = run_on(RD, submission("2025-06", 80), state=saved_before)
    assert state.obs == {"2024": (1, 150.0), "2025": (2, 170.0), "2025-Q2": (1, 80.0)}
    # the assessment sees the year once, with its highest vintage
    assert outcome.assessment.assessment["latest_value"] == 170.0
    assert state.periods == "annual"


def test_owed_periods_are_canonical_labels() -> None:
    # 45 days after the quarter: the fourth quarter is the year
    assert owed_period(QUARTERLY, date(2026, 2, 14), DUE) == "2025"
    assert owed_period(QUARTERLY, date(2025, 8, 14), DUE) == "2025-Q2"
    assert owed_period(MONTHLY, date(2026, 1, 20), DUE) == "2025"
    assert owed_period(MONTHLY, date(2025, 7, 20), DUE) == "2025-06"


def test_a_figure_sent_under_the_other_label_answers_the_owed_period() -> None:
    # monthly: "2025-06" is owed; the bureau sent the half year as "2025-Q2"
    state, _ = run_on(MONTHLY, submission("2025-05", 80), submission("2025-Q2", 90))
    assert owed_period(MONTHLY, date(2025, 7, 21), DUE) == "2025-06"
    _, change, _ = overdue_change(MONTHLY, state, date(2025, 7, 21), DUE, "v")
    assert change is None
    # a state saved before labels were canonical: the half year under the quarter's label
    legacy = KeyState(obs={"2025-Q2": (1, 90.0)})
    _, change, _ = overdue_change(MONTHLY, legacy, date(2025, 7, 21), DUE, "v")
    assert change is None
    # and without it the month is overdue, by its canonical label
    state, _ = run_on(MONTHLY, submission("2025-05", 80))
    _, change, _ = overdue_change(MONTHLY, state, date(2025, 7, 21), DUE, "v")
    assert change is not None and change.overdue_period == "2025-06"


def test_the_year_sent_clears_an_owed_fourth_quarter() -> None:
    """An overdue "2025-Q4" (kept before labels were canonical) is answered by "2025"."""
    state, _ = run_on(QUARTERLY, submission("2025-Q3", 120))
    # as saved before the labels were canonical
    state = replace(state, overdue="2025-Q4", status="overdue", periods=None)
    state, _ = run_on(QUARTERLY, submission("2025", 170), state=state)
    assert state.overdue is None
    # an earlier period does not clear the one owed
    state, _ = run_on(QUARTERLY, submission("2025-Q2", 100))
    state = replace(state, overdue="2025-Q3")
    state, _ = run_on(QUARTERLY, submission("2025-03", 50), state=state)
    assert state.overdue == "2025-Q3"
