"""What the evaluator does with a submission, without a broker: state, points, events."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from planwatch.catalog import default_catalog
from planwatch.domain.calendar import owed_period as calendar_owed
from planwatch.domain.events import Status, SubmissionEvent
from planwatch.domain.model import CatalogEntry, Frequency
from planwatch_evaluator.core import (
    SEEN_KEEP,
    evaluate,
    new_state,
    overdue_change,
    overdue_changes,
    reminder_change,
    seen_mark,
    to_json,
)
from planwatch_evaluator.state import KeyState, decode, encode

CATALOG = default_catalog()
RD = CATALOG.get("gsbase-rd-expenditure")


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


def test_a_missed_target_year_the_headline_leaves_is_announced_once() -> None:
    """2025's 160 misses 180 while the headline moves on to 2030: the miss is a change of its
    own (reason ``final``), sent before the headline's, and never again."""
    state, outcomes = run(submission("2024", 150), submission("2025", 160), submission("2026", 175))
    [final] = outcomes[1].finals
    assert (final.reason, final.target_year) == ("final", 2025)
    assert final.to_status is Status.NOT_ACHIEVED and final.from_status is None
    assert final.lead_agencies == RD.lead_agencies and final.target["id"] == RD.id
    assert outcomes[1].change.to_status is Status.NEEDS_ACCELERATION  # the 2030 headline
    point = next(
        p
        for p in outcomes[1].points
        if p.measurement == "status_change" and p.fields.get("target_year")
    )
    assert dict(point.tags)["reason"] == "final" and point.fields["to_status"] == "not_achieved"
    assert outcomes[2].finals == ()
    assert state.finals == {"2025": "not_achieved"}


def test_a_revised_figure_that_mends_a_miss_is_announced() -> None:
    state, outcomes = run(
        submission("2024", 150), submission("2025", 160), submission("2025", 181, vintage=2)
    )
    [mended] = outcomes[2].finals
    assert mended.to_status is Status.ACHIEVED and mended.from_status is Status.NOT_ACHIEVED
    assert mended.event_id != outcomes[1].finals[0].event_id
    assert state.finals == {"2025": "achieved"}


def test_a_year_achieved_is_remembered_without_a_word() -> None:
    state, outcomes = run(submission("2024", 150), submission("2025", 185))
    assert outcomes[1].finals == () and state.finals == {"2025": "achieved"}


def test_a_miss_that_is_the_headline_is_told_by_the_headline_change_alone() -> None:
    """2025's figure alone starts the path to 2030, which cannot be judged yet: the headline
    is 2025's miss, told once by the headline change; when 2030 can be judged, no second word."""
    state, outcomes = run(submission("2025", 150), submission("2026", 170))
    assert outcomes[0].change.to_status is Status.NOT_ACHIEVED and outcomes[0].finals == ()
    assert outcomes[0].change.assessment["target_year"] == 2025
    assert outcomes[1].finals == ()
    assert outcomes[1].change.from_status is Status.NOT_ACHIEVED
    assert state.finals == {"2025": "not_achieved"}


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


def owed_period(entry: CatalogEntry, today: date) -> str | None:
    """The period the calendar says is owed on ``today`` when nothing was reported."""
    found = calendar_owed(entry, [], today)
    return found[0].period if found else None


def test_overdue_once_per_missing_period_and_once_more_on_escalation() -> None:
    state, _ = run(submission("2024", 150))
    # 2024 is the plan's start year (a baseline, not owed); R&D spending of 2025 can exist
    # from 30 November 2026 (the calendar's R&D survey lag) and is due on 30 December
    assert owed_period(RD, date(2026, 12, 29)) is None
    assert owed_period(RD, date(2026, 12, 30)) == "2025"
    # in the spring the figure cannot exist yet: never chased (the old rule chased 31 March)
    _, change, _ = overdue_change(RD, state, date(2026, 3, 31), "v")
    assert change is None
    state, change, point = overdue_change(RD, state, date(2027, 1, 5), "v")
    assert change is not None and change.to_status is Status.OVERDUE
    assert change.overdue_period == "2025" and change.due_date == "2026-12-30"
    assert change.reporting_jurisdiction == "甘肃省" and point.measurement == "overdue"
    assert change.publisher == "甘肃省统计局" and change.escalated_to == ()
    assert to_json(change) == change.to_bytes()
    _, again, _ = overdue_change(RD, state, date(2027, 1, 6), "v")
    assert again is None
    # 60 days past the due date the supervising body is named, once
    state, escalated, _ = overdue_change(RD, state, date(2027, 3, 1), "v")
    assert escalated is not None and escalated.escalated_to == ("省委科技委员会",)
    assert escalated.event_id != change.event_id
    assert decode(encode(state)).escalated == "2025"  # kept across a restart
    _, again, _ = overdue_change(RD, state, date(2027, 3, 2), "v")
    assert again is None
    # the figure's arrival clears both
    state, _ = run_on(RD, submission("2025", 170), state=state)
    assert state.overdue is None and state.escalated is None


def test_an_indicator_never_reported_is_overdue_too() -> None:
    _, change, _ = overdue_change(RD, new_state(), date(2026, 11, 24), "v")
    assert change is None  # 2025's figure cannot exist before 30 November 2026
    _, change, _ = overdue_change(RD, new_state(), date(2027, 1, 5), "v")
    assert change is not None and change.overdue_period == "2025"


def test_the_overdue_check_covers_every_entry_of_the_catalog() -> None:
    """``overdue_changes``: stored keys and keys that never reported, in one call."""
    reported, _ = run(submission("2025", 170))
    states = {submission("2025", 170).key: reported}
    owed = overdue_changes(CATALOG, states, date(2027, 1, 5))
    ids = {change.indicator_id for _key, _state, change, _point in owed}
    assert RD.id not in ids  # reported
    # never reported since the plan start: chased, each to its publisher
    assert {"gsbase-tech-progress-contribution", "qinghai-tech-trade-absorbed"} <= ids
    publishers = {c.indicator_id: c.publisher for _k, _s, c, _p in owed}
    assert publishers["gsbase-tech-progress-contribution"] == "甘肃省统计局"
    assert publishers["qinghai-tech-trade-absorbed"] == "省科技厅"
    # a worker checks the keys it holds: stored ones, and never-reported ones it owns
    mine = overdue_changes(CATALOG, states, date(2027, 1, 5), owns=lambda key: False)
    assert mine == []  # the one stored key reported; every other key is another worker's
    # nothing that cannot exist yet: R&D of 2026 is not owed in January 2027
    assert all(
        c.overdue_period != "2026" or c.target["statistic"] == "plan_office"
        for _k, _s, c, _p in owed
    )


def test_a_reminder_once_from_its_reminder_date_and_the_chase_after_the_due_date() -> None:
    """R&D spending of 2025 is due 30 December 2026; the publisher is reminded 14 days before."""
    state, _ = run(submission("2024", 150))
    state = replace(state, status="needs_acceleration")  # as an earlier assessment left it
    status = state.status
    # the day before the reminder date: nothing
    same, change = reminder_change(RD, state, date(2026, 12, 15), "v")
    assert change is None and same.reminded is None
    # on it: one reminder to the publisher, naming the period and its due date
    state, change = reminder_change(RD, state, date(2026, 12, 16), "v")
    assert change is not None and change.reason == "reminder"
    assert (change.overdue_period, change.due_date) == ("2025", "2026-12-30")
    assert change.publisher == "甘肃省统计局" and change.reporting_jurisdiction == "甘肃省"
    assert change.escalated_to == () and change.catalog_version == "v"
    assert to_json(change) == change.to_bytes()
    # a notice, not a change: the status as it stands, the state's status untouched
    assert change.from_status == change.to_status == Status.NEEDS_ACCELERATION
    assert state.status == status and state.overdue is None and state.reminded == "2025"
    # once: the next day, and after a restart (the state read back from its bytes)
    assert reminder_change(RD, state, date(2026, 12, 17), "v")[1] is None
    assert reminder_change(RD, decode(encode(state)), date(2026, 12, 29), "v")[1] is None
    # a re-emission (a crash before the state was kept) carries the same event id
    again = reminder_change(RD, replace(state, reminded=None), date(2026, 12, 20), "v")[1]
    assert again is not None and again.event_id == change.event_id
    # after the due date: the chase, and no reminder (even for a key never reminded)
    state, chase, _ = overdue_change(RD, state, date(2026, 12, 30), "v")
    assert chase is not None and chase.reason == "overdue" and chase.overdue_period == "2025"
    assert reminder_change(RD, state, date(2026, 12, 30), "v")[1] is None
    assert reminder_change(RD, new_state(), date(2027, 1, 5), "v")[1] is None


def test_a_figure_before_the_reminder_date_means_no_reminder_and_no_chase() -> None:
    state, _ = run(submission("2024", 150), submission("2025", 170))
    assert reminder_change(RD, state, date(2026, 12, 16), "v")[1] is None
    assert overdue_change(RD, state, date(2027, 1, 5), "v")[1] is None
    # a key never reported is reminded of too, with no status yet
    _, change = reminder_change(RD, new_state(), date(2026, 12, 16), "v")
    assert change is not None and change.from_status is None
    assert change.to_status is Status.NO_DATA


def test_the_check_sends_reminders_with_the_chases_and_no_point() -> None:
    """``overdue_changes`` on a reminder date: the reminder of each key, no point, and the
    state to keep remembers it; checked again the same day nothing comes."""
    today = date(2026, 12, 16)
    owed = overdue_changes(CATALOG, {}, today)
    reminders = {c.indicator_id: (k, s, p) for k, s, c, p in owed if c.reason == "reminder"}
    assert RD.id in reminders
    _key, state, point = reminders[RD.id]
    assert point is None and state.reminded == "2025" and state.status is None
    assert all(c.reason in ("overdue", "reminder") for _k, _s, c, _p in owed)
    kept = {k: s for k, s, _c, _p in owed}
    assert not [
        c for _k, _s, c, _p in overdue_changes(CATALOG, kept, today) if c.reason == "reminder"
    ]


def test_escalation_follows_the_configured_time(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from planwatch_evaluator.settings import Settings

    monkeypatch.setenv("PLANWATCH_EVALUATOR_OVERDUE_ESCALATE_AFTER_DAYS", "10")
    policy = Settings().calendar_policy()
    assert (policy.grace_days, policy.escalate_after_days) == (30, 10)
    # R&D of 2025 due 30 December 2026: escalated on 9 January 2027 with 10 days configured
    _, change, _ = overdue_change(RD, new_state(), date(2027, 1, 9), "v", policy)
    assert change is not None and change.escalated_to == ("省委科技委员会",)
    _, change, _ = overdue_change(RD, new_state(), date(2027, 1, 9), "v")
    assert change is not None and change.escalated_to == ()  # the default waits 60 days


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
    # a month after the period, then 30 days: the fourth quarter is the year
    assert owed_period(QUARTERLY, date(2026, 3, 2)) == "2025"
    assert owed_period(QUARTERLY, date(2025, 8, 30)) == "2025-Q2"
    assert owed_period(MONTHLY, date(2026, 3, 2)) == "2025"
    assert owed_period(MONTHLY, date(2025, 8, 30)) == "2025-06"


def test_a_figure_sent_under_the_other_label_answers_the_owed_period() -> None:
    # monthly: "2025-06" is owed; the bureau sent the half year as "2025-Q2"
    state, _ = run_on(MONTHLY, submission("2025-05", 80), submission("2025-Q2", 90))
    assert owed_period(MONTHLY, date(2025, 8, 30)) == "2025-06"
    _, change, _ = overdue_change(MONTHLY, state, date(2025, 8, 30), "v")
    assert change is None
    # a state saved before labels were canonical: the half year under the quarter's label
    legacy = KeyState(obs={"2025-Q2": (1, 90.0)})
    _, change, _ = overdue_change(MONTHLY, legacy, date(2025, 8, 30), "v")
    assert change is None
    # and without it the month is overdue, by its canonical label
    state, _ = run_on(MONTHLY, submission("2025-05", 80))
    _, change, _ = overdue_change(MONTHLY, state, date(2025, 8, 30), "v")
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


def test_the_reminder_follows_the_configured_days(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from planwatch_evaluator.settings import Settings

    monkeypatch.setenv("PLANWATCH_EVALUATOR_OVERDUE_REMIND_DAYS", "3")
    policy = Settings().calendar_policy()
    # R&D of 2025 due 30 December 2026: with 3 days configured, reminded from 27 December
    assert reminder_change(RD, new_state(), date(2026, 12, 26), "v", policy)[1] is None
    _, change = reminder_change(RD, new_state(), date(2026, 12, 27), "v", policy)
    assert change is not None and change.due_date == "2026-12-30"
    # the default reminds 14 days before
    assert reminder_change(RD, new_state(), date(2026, 12, 16), "v")[1] is not None
