"""Trajectory assessment: is an indicator on track for its target? Pure functions, no clock.

``assess(target, observations, as_of, config)`` judges one (indicator, jurisdiction). Each way
a plan states a goal (``Kind``) is compiled once into a method family and a measured series
(``trajectory.plan``), so one set of formulas (``trajectory.methods``) serves every kind.
docs/methodology.md states the formulas, their sources and the thresholds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from planwatch.domain.assessment_model import (
    Assessment,
    AssessmentConfig,
    Observation,
    TierResult,
    YearResult,
)
from planwatch.domain.events import Status
from planwatch.domain.model import CatalogEntry
from planwatch.domain.trajectory.explain import explain, explain_no_data
from planwatch.domain.trajectory.methods import (
    EPS,
    band,
    baseline_only,
    level,
    missing,
    pace,
    projection,
)
from planwatch.domain.trajectory.plan import (
    BAND,
    LEVEL,
    PACE,
    PLACES_GAINED,
    Goal,
    Plan,
    prepare,
)
from planwatch.domain.trajectory.series import (
    ObservationLike,
    Row,
    known_rows,
    measured,
    row_for_year,
)
from planwatch.domain.trajectory.spec import TargetSpec

__all__ = ["DEFAULT_CONFIG", "STATUS_ORDER", "TargetSpec", "assess", "assess_rows"]

DEFAULT_CONFIG = AssessmentConfig()

# Worst to best: "more progress never lowers the status" is checked against this order.
STATUS_ORDER = {
    Status.NO_DATA: -1,
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


def _no_data(plan: Plan, note: tuple[str, str], latest: Row | None = None) -> Assessment:
    zh, en = explain_no_data(*note)
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
        explanation_zh=zh,
        explanation_en=en,
        notes=[note[1]],
    )


def _year_tiers(
    plan: Plan,
    year: int,
    goals: tuple[Goal, ...],
    points: list[Row],
    base: tuple[float, float] | None,
    config: AssessmentConfig,
) -> dict[str, TierResult]:
    last = points[-1]
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
            tiers[g.key] = level(g, last[1], last[0], base, plan.sign, projected, compound, config)
    elif family == BAND:
        tolerance = (
            plan.tolerance_pct if plan.tolerance_pct is not None else config.maintain_tolerance_pct
        )
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
                tiers[g.key] = pace(g, row, plan.sign, config, "yearly_pace", row[3])
            else:
                tiers[g.key] = pace(g, row, plan.sign, config, "rate_ratio", 1.0)
    return tiers


def _headline(tiers: dict[str, TierResult]) -> TierResult:
    return tiers.get("binding") or tiers.get("none") or next(iter(tiers.values()))


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
    points = measured(plan, rows)
    if not points:
        return _no_data(plan, _NOTE_NONE)
    last = points[-1]
    notes: list[str] = []
    base = plan.base
    if plan.measure == PLACES_GAINED:
        base = (plan.rank_base[0], 0.0) if plan.rank_base else (points[0][0], 0.0)
    elif base is None and plan.family in (LEVEL, BAND):
        notes.append(_NOTE_FIRST_BASE)
        if len(points) > 1:
            base = (points[0][0], points[0][1])

    years: list[YearResult] = []
    head_year: YearResult | None = None
    head: TierResult | None = None
    latest_t = last[0] - EPS
    for year, goals in plan.years:
        tiers = _year_tiers(plan, year, goals, points, base, config)
        lead = _headline(tiers)
        result = YearResult(year=year, status=lead.status, tiers=tiers)
        years.append(result)
        if head_year is None and year >= latest_t:
            head_year, head = result, lead
    if head_year is None or head is None:
        head_year = years[-1]  # every target year has passed: the last one
        head = _headline(head_year.tiers)

    if head.method == "linear_ratio":
        notes.append(_NOTE_COUNTED if plan.counted else _NOTE_LINEAR)
    elif head.method == "yearly_pace" and last[3] < 1.0:
        notes.append(
            f"year-to-date figure ({last[4]}) compared with {last[3]:.0%} of the yearly target"
        )
    if head.status is Status.NO_DATA and head.method == "none" and plan.family == LEVEL:
        notes.append(_NOTE_ONE_MORE)
    zh, en = explain(head, plan.unit, last[4], last[1], plan.target_text)
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
        latest_period=last[4],
        latest_value=last[1],
        baseline_year=base[0] if base is not None else None,
        baseline_value=base[1] if base is not None else None,
        tiers=head_year.tiers,
        years=years,
        explanation_zh=zh,
        explanation_en=en,
        notes=notes,
    )
