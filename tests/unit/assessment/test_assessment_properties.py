"""Properties of the assessment that must hold for any numbers (hypothesis)."""

from __future__ import annotations

import random
from datetime import date

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from planwatch.domain.assessment import STATUS_ORDER, TargetSpec, assess
from planwatch.domain.assessment_model import Assessment, AssessmentConfig, Observation
from planwatch.domain.events import Status
from planwatch.domain.model import Baseline, Direction, Kind, Target

AS_OF = date(2026, 11, 24)
FAR = date(2100, 1, 1)

values = st.floats(min_value=0.01, max_value=1e6, allow_nan=False, allow_infinity=False)
counts = st.floats(min_value=0, max_value=1e4, allow_nan=False, allow_infinity=False)
years = st.integers(min_value=2000, max_value=2040)
paths = st.sampled_from(["linear", "compound"])


def level(b: float, v: float, y0: int, year: int, direction: Direction) -> TargetSpec:
    return TargetSpec(
        kind=Kind.LEVEL,
        direction=direction,
        baseline=Baseline(year=y0, value=b),
        targets=(Target(year=year, value=v),),
        start_year=y0,
    )


def one(period: str, value: float, vintage: int = 1) -> Observation:
    return Observation(period=period, value=value, vintage=vintage)


@given(b=values, v=values, y0=years, span=st.integers(1, 15), path=paths)
def test_planned_is_the_baseline_at_the_baseline_year_and_the_target_at_the_target_year(
    b: float, v: float, y0: int, span: int, path: str
) -> None:
    target = level(b, v, y0, y0 + span, Direction.HIGHER)
    config = AssessmentConfig(planned_path=path)
    early = date(y0 + 1, 1, 1)  # the target year still open
    at_base = assess(target, [one(str(y0), b)], early, config).years[0].tiers["none"]
    assert at_base.planned == pytest.approx(b)
    at_target = assess(target, [one(str(y0 + span), v)], FAR, config).years[0].tiers["none"]
    assert at_target.planned == pytest.approx(v)


@given(b=values, v=values, x=values, direction=st.sampled_from([Direction.HIGHER, Direction.LOWER]))
def test_flipping_the_direction_flips_the_verdict(
    b: float, v: float, x: float, direction: Direction
) -> None:
    """The same move is progress for one direction and a step back for the other.

    A target ``v`` ahead of the baseline for one direction is mirrored to ``b²/v`` (the same
    growth the other way) for the flipped direction; the same figure is then judged.
    """
    assume(abs(v / b - 1) > 1e-6 and abs(x / b - 1) > 1e-6)
    flipped = Direction.LOWER if direction is Direction.HIGHER else Direction.HIGHER
    ahead = v if (v > b) == (direction is Direction.HIGHER) else b * b / v
    behind = b * b / ahead
    a = assess(level(b, ahead, 2020, 2030, direction), [one("2025", x)], AS_OF)
    f = assess(level(b, behind, 2020, 2030, flipped), [one("2025", x)], AS_OF)
    if Status.ACHIEVED in (a.status, f.status):
        return  # a figure beyond one of the targets: nothing to flip
    moved_right_way = (x > b) == (direction is Direction.HIGHER)
    assert (a.status is Status.DETERIORATION) is not moved_right_way
    assert (f.status is Status.DETERIORATION) is moved_right_way
    assert a.progress_ratio is not None and f.progress_ratio is not None
    assert (a.progress_ratio > 0) is moved_right_way and (
        f.progress_ratio > 0
    ) is not moved_right_way


MONOTONE_KINDS = [
    (Kind.LEVEL, Direction.HIGHER),
    (Kind.LEVEL, Direction.LOWER),
    (Kind.RANKING, Direction.LOWER),
    (Kind.RANKING_CHANGE, Direction.HIGHER),
    (Kind.NEW_ITEMS, Direction.HIGHER),
    (Kind.BUILD_COUNT, Direction.HIGHER),
    (Kind.CUMULATIVE, Direction.HIGHER),
    (Kind.YEARLY_FLOW, Direction.HIGHER),
    (Kind.GROWTH_RATE, Direction.HIGHER),
    (Kind.GROWTH_RATE, Direction.LOWER),
]


@settings(max_examples=300)
@given(
    kind_direction=st.sampled_from(MONOTONE_KINDS),
    with_baseline=st.booleans(),
    b=counts,
    v=counts,
    first=counts,
    x1=counts,
    x2=counts,
    period=st.sampled_from(["2024", "2025", "2025-06", "2026-Q1", "2027", "2031"]),
)
def test_more_progress_never_lowers_the_status(
    kind_direction: tuple[Kind, Direction],
    with_baseline: bool,
    b: float,
    v: float,
    first: float,
    x1: float,
    x2: float,
    period: str,
) -> None:
    kind, direction = kind_direction
    # for ranks and lower-is-better, a smaller figure is more progress; ranks are positive
    better_is_lower = direction is Direction.LOWER or kind is Kind.RANKING_CHANGE
    target = TargetSpec(
        kind=kind,
        direction=direction,
        baseline=Baseline(year=2022, value=b) if with_baseline else None,
        targets=(Target(year=2025, value=v), Target(year=2030, value=v * 2)),
        start_year=2022,
    )
    worse, better = sorted([x1, x2], reverse=better_is_lower)
    s_worse = assess(target, [one("2023", first), one(period, worse)], FAR).status
    s_better = assess(target, [one("2023", first), one(period, better)], FAR).status
    assert STATUS_ORDER[s_better] >= STATUS_ORDER[s_worse], (s_worse, s_better)


periods = st.sampled_from(["2022", "2023", "2024", "2024-Q2", "2024-09", "2025", "2026"])
observation_lists = st.lists(
    st.tuples(periods, values, st.integers(1, 5)), min_size=1, max_size=12
).map(lambda rows: [one(p, v, vin) for p, v, vin in rows])
any_target = st.sampled_from(
    [
        TargetSpec(
            kind=k,
            direction=d,
            targets=(Target(year=2025, value=100), Target(year=2027, value=150)),
            start_year=2021,
            baseline=Baseline(year=2021, value=80) if k is Kind.LEVEL else None,
        )
        for k, d in [
            (Kind.LEVEL, Direction.HIGHER),
            (Kind.RANKING, Direction.LOWER),
            (Kind.RANKING_CHANGE, Direction.HIGHER),
            (Kind.CUMULATIVE, Direction.HIGHER),
            (Kind.YEARLY_FLOW, Direction.HIGHER),
            (Kind.NEW_ITEMS, Direction.HIGHER),
            (Kind.GROWTH_RATE, Direction.HIGHER),
            (Kind.MAINTAIN, Direction.AROUND),
        ]
    ]
)


def _latest_only(observations: list[Observation]) -> list[Observation]:
    """The highest vintage of each period (the later one on a tie), by hand."""
    best: dict[str, Observation] = {}
    for o in observations:
        if o.period not in best or o.vintage >= best[o.period].vintage:
            best[o.period] = o
    return list(best.values())


@settings(max_examples=200)
@given(target=any_target, observations=observation_lists, seed=st.integers(0, 1000))
def test_a_later_vintage_replaces_an_earlier_one(
    target: TargetSpec, observations: list[Observation], seed: int
) -> None:
    expected = assess(target, _latest_only(observations), AS_OF).to_dict()
    assert assess(target, observations, AS_OF).to_dict() == expected
    # the order of arrival does not matter where vintages differ
    distinct = {(o.period, o.vintage): o for o in observations}
    shuffled = list(distinct.values())
    random.Random(seed).shuffle(shuffled)
    assert (
        assess(target, shuffled, AS_OF).to_dict()
        == assess(target, _latest_only(list(distinct.values())), AS_OF).to_dict()
    )


@given(target=any_target, observations=observation_lists, revised=values)
def test_a_revision_counts_as_if_it_had_been_the_first_figure(
    target: TargetSpec, observations: list[Observation], revised: float
) -> None:
    latest = max(o.vintage for o in observations)
    period = observations[0].period
    with_revision = [*observations, one(period, revised, latest + 1)]
    as_if = [o for o in _latest_only(observations) if o.period != period]
    as_if.append(one(period, revised))
    assert assess(target, with_revision, AS_OF).to_dict() == assess(target, as_if, AS_OF).to_dict()


@given(target=any_target, observations=observation_lists, late=values)
def test_figures_after_as_of_are_ignored(
    target: TargetSpec, observations: list[Observation], late: float
) -> None:
    as_of = date(2024, 12, 31)
    base = assess(target, observations, as_of).to_dict()
    assert assess(target, [*observations, one("2025", late, 99)], as_of).to_dict() == base


@given(target=any_target, observations=observation_lists)
def test_the_result_round_trips_through_a_dict(
    target: TargetSpec, observations: list[Observation]
) -> None:
    result = assess(target, observations, AS_OF)
    data = result.to_dict()
    assert Assessment.from_dict(data) == result
    assert Assessment.from_dict(data).to_dict() == data


# Final verdicts (docs/methodology.md, "Final verdicts")

final_targets = st.sampled_from(
    [
        TargetSpec(
            kind=k,
            direction=d,
            targets=(
                Target(year=2025, value=100, qualifiers=q),
                Target(year=2027, value=150, qualifiers=q),
            ),
            start_year=2022,
            baseline=Baseline(year=2022, value=80) if k is Kind.LEVEL else None,
            tolerance_pct=10 if q else None,
        )
        for k, d in [
            (Kind.LEVEL, Direction.HIGHER),
            (Kind.LEVEL, Direction.LOWER),
            (Kind.RANKING, Direction.LOWER),
            (Kind.RANKING_CHANGE, Direction.HIGHER),
            (Kind.CUMULATIVE, Direction.HIGHER),
            (Kind.YEARLY_FLOW, Direction.HIGHER),
            (Kind.NEW_ITEMS, Direction.HIGHER),
            (Kind.BUILD_COUNT, Direction.HIGHER),
            (Kind.GROWTH_RATE, Direction.HIGHER),
            (Kind.MAINTAIN, Direction.AROUND),
        ]
        for q in ((), ("左右",))
    ]
)
early_periods = st.sampled_from(["2022", "2023", "2024", "2024-Q2", "2025-06"])
later_periods = st.sampled_from(["2026", "2026-Q1", "2026-09", "2027", "2028"])


def _year(result: Assessment, year: int) -> dict[str, object]:
    return next(y.to_dict() for y in result.years if y.year == year)


@settings(max_examples=300)
@given(
    target=final_targets,
    before=st.lists(st.tuples(early_periods, values), max_size=5),
    figure=values,
    after=st.lists(st.tuples(later_periods, values), min_size=1, max_size=5),
    as_of=st.sampled_from([date(2026, 2, 1), date(2027, 6, 1), date(2029, 1, 1)]),
)
def test_a_later_figure_never_changes_a_completed_years_verdict(
    target: TargetSpec,
    before: list[tuple[str, float]],
    figure: float,
    after: list[tuple[str, float]],
    as_of: date,
) -> None:
    known = [one(p, v) for p, v in before] + [one("2025", figure)]
    with_later = known + [one(p, v) for p, v in after]
    assert _year(assess(target, with_later, as_of), 2025) == _year(
        assess(target, known, as_of), 2025
    )


@settings(max_examples=300)
@given(
    target=final_targets,
    before=st.lists(st.tuples(early_periods, values), max_size=5),
    figure=values,
    as_of=st.sampled_from([date(2025, 6, 1), date(2026, 2, 1), date(2030, 1, 1)]),
)
def test_a_passed_deadline_with_its_figure_in_is_achieved_or_not(
    target: TargetSpec, before: list[tuple[str, float]], figure: float, as_of: date
) -> None:
    observations = [one(p, v) for p, v in before] + [one("2025", figure)]
    result = assess(target, observations, as_of)
    year = next(y for y in result.years if y.year == 2025)
    if target.kind is Kind.RANKING_CHANGE and not any(p == "2022" for p, _ in before):
        assert year.status is Status.NO_DATA  # the start-year rank is missing: nothing counts
        return
    if target.kind is Kind.CUMULATIVE and not {"2023", "2024"} <= {p for p, _ in before}:
        assert year.status is Status.NO_DATA  # a year of the running total is missing
        return
    for tier in year.tiers.values():
        assert tier.status in (Status.ACHIEVED, Status.NOT_ACHIEVED), tier
        assert tier.final
    assert year.status not in (Status.ON_TRACK, Status.NEEDS_ACCELERATION, Status.NO_DATA)


@settings(max_examples=300)
@given(
    target=final_targets,
    before=st.lists(st.tuples(early_periods, values), max_size=5),
    figure=values,
    as_of=st.sampled_from([date(2026, 2, 1), date(2026, 12, 3)]),
)
def test_a_final_verdict_is_never_hidden_behind_no_data(
    target: TargetSpec, before: list[tuple[str, float]], figure: float, as_of: date
) -> None:
    """With 2025's verdict final, the headline is that verdict or the next year's: 无数据 only
    when a figure is missing, and then the sentence names the year."""
    observations = [one(p, v) for p, v in before] + [one("2025", figure)]
    result = assess(target, observations, as_of)
    year = next(y for y in result.years if y.year == 2025)
    if year.status not in (Status.ACHIEVED, Status.NOT_ACHIEVED):
        return
    if result.status is Status.NO_DATA:
        assert "缺少" in result.explanation_zh, result.explanation_zh
    if result.target_year != 2025 and year.status is Status.NOT_ACHIEVED:
        assert "2025年" in result.explanation_zh and "未达标" in result.explanation_zh


COUNT_KINDS = [Kind.NEW_ITEMS, Kind.BUILD_COUNT, Kind.CUMULATIVE]


@settings(max_examples=300)
@given(
    kind=st.sampled_from(COUNT_KINDS),
    approx=st.booleans(),
    v=st.floats(min_value=1, max_value=1e4),
    x1=counts,
    x2=counts,
    first=counts,
    period=st.sampled_from(["2023", "2024", "2025", "2026", "2027"]),
    as_of=st.sampled_from([date(2025, 2, 1), date(2026, 2, 1), date(2028, 6, 1)]),
)
def test_for_counts_more_never_lowers_the_status(
    kind: Kind,
    approx: bool,
    v: float,
    x1: float,
    x2: float,
    first: float,
    period: str,
    as_of: date,
) -> None:
    target = TargetSpec(
        kind=kind,
        direction=Direction.HIGHER,
        targets=(
            Target(year=2025, value=v, qualifiers=("左右",) if approx else ()),
            Target(year=2027, value=2 * v),
        ),
        start_year=2022,
        tolerance_pct=20 if approx else None,
    )
    less, more = sorted([x1, x2])
    for observations in ([one(period, less)], [one("2023", first), one(period, less)]):
        if observations[-1].period == "2023" and len(observations) == 2:
            continue
        worse = assess(target, observations, as_of)
        better = assess(target, [*observations[:-1], one(period, more)], as_of)
        assert STATUS_ORDER[better.status] >= STATUS_ORDER[worse.status]
        for a, b in zip(worse.years, better.years, strict=True):
            assert STATUS_ORDER[b.status] >= STATUS_ORDER[a.status], (a.year, a.status, b.status)
