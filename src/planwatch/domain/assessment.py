"""Trajectory assessment: is an indicator on track for its target? Pure functions, no clock.

``assess(target, observations, as_of, config)`` judges one (indicator, jurisdiction). Each way
a plan states a goal (``Kind``) is compiled once into a method family and a measured series
(``trajectory.plan``), so one set of formulas (``trajectory.methods``) serves every kind.

A target year still ahead gets the progress verdict of the growth-ratio method; a complete
one (its figure is in, or ``as_of`` is past the year and the publication lag) gets its final
verdict, achieved or not achieved, on its own figure, which no later figure changes.
docs/methodology.md states the formulas, their sources, the thresholds and the final rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from operator import itemgetter

from planwatch.domain.assessment_model import (
    Assessment,
    AssessmentConfig,
    Observation,
    TierResult,
    YearResult,
    headline_tier,
)
from planwatch.domain.calendar import year_due
from planwatch.domain.events import Status
from planwatch.domain.model import CatalogEntry, Kind
from planwatch.domain.trajectory.explain import (
    Reported,
    explain,
    explain_missed,
    explain_no_data,
    explain_open,
)
from planwatch.domain.trajectory.methods import (
    band,
    baseline_only,
    final,
    final_level,
    final_pace,
    level,
    meets,
    missing,
    pace,
    projection,
    reach,
    required,
)
from planwatch.domain.trajectory.plan import (
    BAND,
    LEVEL,
    PACE,
    PLACES_GAINED,
    RUNNING_TOTAL,
    Goal,
    Plan,
    prepare,
)
from planwatch.domain.trajectory.series import (
    ObservationLike,
    Row,
    full_year,
    known_rows,
    measured,
    missing_year,
    row_for_year,
)
from planwatch.domain.trajectory.spec import TargetSpec

__all__ = ["DEFAULT_CONFIG", "STATUS_ORDER", "TargetSpec", "assess", "assess_rows"]

DEFAULT_CONFIG = AssessmentConfig()

# Worst to best: "more progress never lowers the status" is checked against this order.
STATUS_ORDER = {
    Status.NO_DATA: -2,
    Status.NOT_ACHIEVED: -1,
    Status.DETERIORATION: 0,
    Status.LIMITED_PROGRESS: 1,
    Status.NEEDS_ACCELERATION: 2,
    Status.ON_TRACK: 3,
    Status.ACHIEVED: 4,
}

_NOTE_FIRST_BASE = "no baseline in the plan: the first observation is the baseline"
_NOTE_LINEAR = "growth rate undefined (zero or negative value): linear method used"
_NOTE_COUNTED = "counted from zero at the plan start: growth rate undefined, linear method used"
_NOTE_ONE_MORE = "the first observation is the baseline; one more is needed for a verdict"
_NOTE_NONE = ("尚无观测值", "no observation yet")
_GOOD = (Status.ON_TRACK, Status.ACHIEVED)
_fraction = itemgetter(3)  # of a row: the share of the year its figure covers
# Kinds whose required pace is a yearly growth rate; counts and ranks need a yearly addition.
_GROWING = frozenset({Kind.LEVEL, Kind.MAINTAIN})


def _no_data(
    plan: Plan, note: tuple[str, str], latest: Row | None = None, notes: list[str] | None = None
) -> Assessment:
    zh, en = explain_no_data(*note)
    years = [
        YearResult(year=y, status=Status.NO_DATA, tiers={g.key: missing(g) for g in goals})
        for y, goals in plan.years
    ]
    return Assessment(
        status=Status.NO_DATA,
        progress_ratio=None,
        planned=None,
        gap=None,
        gap_pct=None,
        projected=None,
        projected_share=None,
        method="none",
        target_year=plan.years[0][0] if plan.years else None,
        target_value=None,
        tier=None,
        latest_period=latest[4] if latest else None,
        latest_value=latest[1] if latest else None,
        baseline_year=None,
        baseline_value=None,
        tiers=years[0].tiers if years else {},
        years=years,
        explanation_zh=zh,
        explanation_en=en,
        notes=[*(notes or ()), note[1]],
    )


def _year_tiers(
    plan: Plan,
    year: int,
    goals: tuple[Goal, ...],
    points: list[Row],
    base: tuple[float, float] | None,
    config: AssessmentConfig,
) -> dict[str, TierResult]:
    """The progress verdict of each goal of ``year`` from ``points`` (the figures so far)."""
    last = points[-1]
    tol = plan.tolerance_pct if plan.tolerance_pct is not None else config.maintain_tolerance_pct
    tiers: dict[str, TierResult] = {}
    family = plan.family
    if family == LEVEL:
        if base is None:
            for g in goals:
                tiers[g.key] = baseline_only(g, last[1], plan.sign)
            return tiers
        projected = projection(points, year, config.projection_window, plan.compound_trend)
        compound = config.planned_path == "compound" and plan.compound_trend
        for g in goals:
            met_at = reach(g, plan.sign, tol)
            tiers[g.key] = level(
                g, last[1], last[0], base, plan.sign, projected, compound, config, met_at
            )
    elif family == BAND:
        tolerance = tol
        projected = projection(points, year, config.projection_window, plan.compound_trend)
        for g in goals:
            approach = None
            if base is not None and last[0] < year:
                low = g.value if g.value_max is not None else g.value * (1 - tolerance / 100)
                edge = Goal(g.year, low, g.value_max, g.tier, g.key)
                approach = level(edge, last[1], last[0], base, 1.0, projected, False, config)
                approach.target, approach.method = g.value, "band_path"
            tiers[g.key] = band(g, points, tolerance, approach)
    else:
        row = row_for_year(points, year)
        for g in goals:
            if row is None:
                tiers[g.key] = missing(g)
            elif family == PACE:
                met_at = reach(g, plan.sign, tol)
                tiers[g.key] = pace(g, row, plan.sign, config, "yearly_pace", row[3], met_at)
            else:
                met_at = reach(g, plan.sign, tol)
                tiers[g.key] = pace(g, row, plan.sign, config, "rate_ratio", 1.0, met_at)
    return tiers


def _headline(tiers: dict[str, TierResult]) -> TierResult:
    head = headline_tier(tiers)
    assert head is not None, "a target year has at least one goal"
    return head


def _in_band(goal: Goal, x: float, tolerance_pct: float) -> bool:
    if goal.value_max is not None:
        low, high = goal.value, goal.value_max
    else:
        half = abs(goal.value) * tolerance_pct / 100
        low, high = goal.value - half, goal.value + half
    return meets(x, low, 1.0) and meets(x, high, -1.0)


def _final_tiers(
    plan: Plan,
    goals: tuple[Goal, ...],
    points: list[Row],
    row: Row | None,
    base: tuple[float, float] | None,
    tol: float,
) -> dict[str, TierResult]:
    """The final verdict of each goal of a complete year on that year's own figure ``row`` (the
    year's full-year row of ``points``, None when it is not in: the goals stay ``no_data``, a
    missing figure is not a miss).

    A final verdict keeps the progress ratio and the method the open verdict on that figure
    gives (``level``, ``pace``; a band has none), so only those are worked out
    (``final_level``, ``final_pace``), not the whole open verdict a second time. Later figures
    play no part: the row is a year end, so it is the last of the points up to it."""
    if row is None:
        return {g.key: missing(g) for g in goals}
    x, sign, family = row[1], plan.sign, plan.family
    tiers: dict[str, TierResult] = {}
    if family == BAND:
        for g in goals:
            tiers[g.key] = final(g, x, _in_band(g, x, tol), sign, None, "band")
    elif family == LEVEL:
        if plan.base is None and plan.measure != PLACES_GAINED:
            # the first figure is the baseline, as it was then (none while it is the only one)
            first = points[0]
            base = (first[0], first[1]) if first is not row else None
        for g in goals:
            met = meets(x, reach(g, sign, tol), sign)
            if base is None:
                tiers[g.key] = final(g, x, met, sign, None, "none")  # ``baseline_only``'s
            else:
                tiers[g.key] = final_level(g, x, row[0], base, sign, met)
    else:
        method = "yearly_pace" if family == PACE else "rate_ratio"
        for g in goals:
            tiers[g.key] = final_pace(g, x, sign, meets(x, reach(g, sign, tol), sign), method)
    return tiers


def _with_pace(
    plan: Plan, goals: tuple[Goal, ...], tiers: dict[str, TierResult], last: Row, tol: float
) -> None:
    """Add the required pace to open verdicts of targets reached over several years."""
    if plan.family not in (LEVEL, BAND):
        return  # a yearly flow or rate: the yearly target is itself the pace
    growing = plan.kind in _GROWING and not plan.counted
    for g in goals:
        met_at = g.value if plan.family == BAND else reach(g, plan.sign, tol)
        required(tiers[g.key], last[1], last[0], plan.sign, growing, met_at)


def assess(
    target: CatalogEntry | TargetSpec,
    observations: Sequence[Observation] | Sequence[ObservationLike],
    as_of: date,
    config: AssessmentConfig = DEFAULT_CONFIG,
) -> Assessment:
    """The verdict on one (indicator, jurisdiction) from its observations known by ``as_of``.

    ``observations`` may hold several vintages of a period (the highest wins) and periods after
    ``as_of`` (ignored); any objects with ``period``, ``value`` and ``vintage`` will do.
    """
    return assess_rows(target, known_rows(observations, as_of.year), as_of, config)


def _due(target: CatalogEntry | TargetSpec, config: AssessmentConfig) -> Callable[[int], date]:
    """The day a year's full-year figure is due: by the reporting calendar for a catalog entry
    (its statistic's publication lag, ``planwatch.domain.calendar``), else ``config``'s lag."""
    if isinstance(target, CatalogEntry):
        return lambda year: year_due(target, year)
    lag = timedelta(days=config.publication_lag_days)
    return lambda year: date(year + 1, 1, 1) + lag


def assess_rows(
    target: CatalogEntry | TargetSpec,
    rows: list[Row],
    as_of: date,
    config: AssessmentConfig = DEFAULT_CONFIG,
) -> Assessment:
    """``assess`` from rows already in the form ``known_rows`` gives: one per period, in time
    order (equal times in the order their periods were first seen). Rows of years after
    ``as_of`` are ignored. A caller that keeps a key's rows between figures (the evaluator)
    spares rebuilding and sorting the whole history for every figure.
    """
    last_year = as_of.year
    if rows and rows[-1][2] > last_year:
        rows = [r for r in rows if r[2] <= last_year]  # the year grows with the time
    plan = prepare(target)
    notes: list[str] = []
    if not plan.year_to_date and rows and min(map(_fraction, rows)) < 1.0:
        # a year-to-date figure (a share of its year under 1) of a kind without a year-to-date
        # form (kinds.py): ingest refuses such figures
        notes.append(
            "year-to-date figures are not judged for this kind: "
            + ", ".join(r[4] for r in rows if r[3] < 1.0)
        )
        rows = [r for r in rows if r[3] >= 1.0]
    if not rows:
        return _no_data(plan, _NOTE_NONE, notes=notes)
    raw_last = rows[-1]
    points = measured(plan, rows)
    if plan.measure == PLACES_GAINED and not points:
        start = plan.start
        note = (
            f"缺少{start}年排名（规划起始年），无法计算提升位数；"
            f"{raw_last[4]}年排名第{raw_last[1]:g}位",
            f"the rank of {start} (the plan's start year) is missing: places gained are "
            f"counted from it; rank {raw_last[1]:g} in {raw_last[4]}",
        )
        return _no_data(plan, note, raw_last, notes)
    gap_year = missing_year(rows, plan.start + 1) if plan.measure == RUNNING_TOTAL else None
    if not points:
        if gap_year is not None:
            note = (
                f"缺少{gap_year}年数据，累计值无法计算；最新值（{raw_last[4]}）{raw_last[1]:g}",
                f"the {gap_year} figure is missing, so the running total is unknown",
            )
            return _no_data(plan, note, raw_last, notes)
        return _no_data(plan, _NOTE_NONE, notes=notes)
    last = points[-1]
    base = plan.base
    if plan.measure == PLACES_GAINED:
        base = (plan.rank_base[0], 0.0) if plan.rank_base else (float(plan.start), 0.0)
    elif base is None and plan.family in (LEVEL, BAND):
        notes.append(_NOTE_FIRST_BASE)
        if len(points) > 1:
            base = (points[0][0], points[0][1])

    tol = plan.tolerance_pct if plan.tolerance_pct is not None else config.maintain_tolerance_pct
    due = _due(target, config)
    years: list[YearResult] = []
    heads: list[TierResult] = []  # each year's headline tier, picked once
    complete: list[bool] = []  # each year's completeness, decided once
    figures: list[tuple[Row | None, Row | None]] = []  # its full-year figure: as sent, measured
    first_open: int | None = None  # the first target year still open
    last_final: int | None = None  # the latest complete year judged on its figure
    for i, (year, goals) in enumerate(plan.years):
        raw = full_year(rows, year)
        # complete once its full-year figure is in, or once that figure is due and still missing
        done = raw is not None or as_of > due(year)
        row = None
        if done:
            row = raw if points is rows else full_year(points, year)  # the figures themselves
            tiers = _final_tiers(plan, goals, points, row, base, tol)
        elif gap_year is not None:
            tiers = {g.key: missing(g) for g in goals}  # a running total with a hole
        else:
            tiers = _year_tiers(plan, year, goals, points, base, config)
            _with_pace(plan, goals, tiers, last, tol)
        head = _headline(tiers)
        years.append(YearResult(year=year, status=head.status, tiers=tiers))
        heads.append(head)
        complete.append(done)
        figures.append((raw, row))
        if done:
            if head.final:
                last_final = i
        elif first_open is None:
            first_open = i
    if first_open is None:
        h = len(years) - 1  # every target year is complete: the last one
    else:
        h = first_open
        if heads[h].status is Status.NO_DATA and last_final is not None and gap_year is None:
            # the next target cannot be judged yet (its first figure is its own baseline):
            # the verdict there is, the last complete year's, is the headline. A running total
            # with a hole stays no_data: the missing year is what the bureau must hear of
            h = last_final
        elif (
            last_final is not None
            and heads[last_final].status is Status.NOT_ACHIEVED
            and plan.family != LEVEL
            and heads[h].status in _GOOD
            and not any(p[2] == years[h].year for p in points)
        ):
            # a floor kept each year: while the next year has no figure of its own, the year
            # last judged below the floor is the headline, not a green pace drawn from it
            h = last_final
    head_year, head = years[h], heads[h]

    if head.method == "linear_ratio":
        notes.append(_NOTE_COUNTED if plan.counted else _NOTE_LINEAR)
    elif head.method == "yearly_pace" and last[3] < 1.0 and not head.final:
        notes.append(
            f"year-to-date figure ({last[4]}) compared with {last[3]:.0%} of the yearly target"
        )
    if head.status is Status.NO_DATA and head.method == "none" and plan.family == LEVEL:
        if head_year.year < last[2] or complete[h]:
            notes.append(f"no figure for {head_year.year}")
        else:
            notes.append(_NOTE_ONE_MORE)
    if head.final:
        notes.append(f"{head.year} is complete: its verdict is final")
    latest = _reported(plan, raw_last, points, gap_year)
    judged = None
    if head.final:
        raw, row = figures[h]
        if row is not None and raw is not None:
            judged = Reported(raw[4], raw[1], row[1], plan.measure, plan.start)
    missing_in = None
    if head.status is Status.NO_DATA and head.method == "none":
        missing_in = (
            gap_year if gap_year is not None else _lacking(head_year.year, rows, complete[h])
        )
    zh, en = explain(head, plan.unit, latest, plan.target_text, judged, missing_in)
    if first_open is not None and first_open != h and heads[first_open].status is Status.NO_DATA:
        # the year after the headline's, still open: said so, not left out
        z, e = explain_open(heads[first_open], plan.unit, plan.target_text)
        zh, en = zh + z, en + e
    elif (
        last_final is not None
        and last_final != h
        and heads[last_final].status is Status.NOT_ACHIEVED
    ):
        # a missed target year stays in the sentence while the next one is judged
        missed = heads[last_final]
        raw, row = figures[last_final]
        if raw is not None and row is not None:
            figure = Reported(raw[4], raw[1], row[1], plan.measure, plan.start)
            z, e = explain_missed(missed, plan.unit, figure, plan.target_text)
            zh, en = zh + z, en + e
    known = gap_year is None or last[2] < gap_year
    return Assessment(
        status=head.status,
        progress_ratio=head.progress_ratio,
        planned=head.planned,
        gap=head.gap,
        gap_pct=head.gap_pct,
        projected=head.projected,
        projected_share=head.projected_share,
        method=head.method,
        target_year=head.year,
        target_value=head.target,
        tier=head.tier,
        latest_period=raw_last[4] if gap_year is not None else last[4],
        latest_value=last[1] if known and gap_year is None else None,
        baseline_year=base[0] if base is not None else None,
        baseline_value=base[1] if base is not None else None,
        tiers=head_year.tiers,
        years=years,
        explanation_zh=zh,
        explanation_en=en,
        notes=notes,
    )


def _lacking(year: int, rows: list[Row], done: bool) -> int | None:
    """The target year itself when it is over (or a later figure is in) without its figure."""
    return year if full_year(rows, year) is None and (done or rows[-1][2] >= year) else None


def _reported(plan: Plan, raw: Row, points: list[Row], gap_year: int | None) -> Reported:
    """The latest figure as sent, with what the kind measures from it when that is known."""
    measured_value = None
    if points and points[-1][4] == raw[4] and gap_year is None:
        measured_value = points[-1][1]
    return Reported(raw[4], raw[1], measured_value, plan.measure, plan.start)
