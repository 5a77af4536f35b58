"""Trajectory assessment: is an indicator on track for its target? Pure functions, no clock.

Methods (docs/methodology.md has the formulas and sources):
- progress ratio (Eurostat / Open SDG): observed compound annual growth since the baseline
  divided by the growth required to reach the target by its year; the linear equivalent
  (average change per year) where a growth rate is undefined (zero or negative values);
- planned trajectory (delivery units): the value expected at the latest period on the straight
  (or compound) path from the baseline to the target; the gap to it;
- projection (UN ESCAP anticipated progress): the recent trend carried to the target year.

Each way a plan states a goal (``Kind``) is first turned into a *measured series* that is
compared with a level target, so one set of formulas serves every kind.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field

from planwatch.domain.assessment_model import (
    Assessment,
    AssessmentConfig,
    Observation,
    TierResult,
    YearResult,
)
from planwatch.domain.events import Status
from planwatch.domain.model import Baseline, CatalogEntry, Direction, Kind, Target
from planwatch.domain.periods import Period, parse_period

__all__ = ["DEFAULT_CONFIG", "STATUS_ORDER", "TargetSpec", "assess"]

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
_EPS = 1e-9


class TargetSpec(BaseModel):
    """The looser target shape of ``planwatch assess``: what a catalog entry says of a goal."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    id: str | None = None
    kind: Kind
    direction: Direction
    unit: str = ""
    baseline: Baseline | None = None
    targets: tuple[Target, ...] = Field(min_length=1)
    start_year: int | None = None
    tolerance_pct: float | None = None

    @property
    def target_years(self) -> tuple[int, ...]:
        return tuple(sorted({t.year for t in self.targets}))


@lru_cache(maxsize=4096)
def _period(text: str) -> Period:
    return parse_period(text)


@dataclass(frozen=True, slots=True)
class _Point:
    t: float  # decimal year: 2024.0 is the end of 2024
    value: float
    period: str


def _latest_vintages(
    observations: Sequence[Observation], as_of: date
) -> list[tuple[Period, float]]:
    """One value per period (the highest vintage), known by ``as_of``, in time order."""
    best: dict[str, tuple[int, Period, float]] = {}
    for obs in observations:
        period = _period(obs.period)
        if period.year > as_of.year:
            continue  # a figure for a period that had not begun by as_of
        known = best.get(period.label)
        if known is None or obs.vintage >= known[0]:
            best[period.label] = (obs.vintage, period, obs.value)
    return sorted(((p, v) for _, p, v in best.values()), key=lambda pv: pv[0].decimal_year)


def _start_year(target: CatalogEntry | TargetSpec) -> int:
    start = getattr(target, "start_year", None)
    if start is not None:
        return int(start)
    if target.baseline is not None:
        return target.baseline.year
    return min(target.target_years) - 1


def _measured(
    target: CatalogEntry | TargetSpec, values: list[tuple[Period, float]]
) -> tuple[list[_Point], tuple[float, float] | None]:
    """The series compared with the targets, and its baseline (year, value) if the kind fixes it."""
    kind, start = target.kind, _start_year(target)
    if kind is Kind.CUMULATIVE:
        # Observations are flows (a year, or a year to date); the running total is compared.
        full_years: dict[int, float] = {}
        points: list[_Point] = []
        for period, value in values:
            if period.is_full_year:
                full_years[period.year] = value
            earlier = sum(v for y, v in full_years.items() if y < period.year)
            points.append(_Point(period.decimal_year, earlier + value, period.label))
        return points, (float(start), 0.0)
    if kind is Kind.RANKING_CHANGE:
        # Observations are ranks; the measure is places gained since the plan start.
        if target.baseline is not None:
            base_rank, base_year = target.baseline.value, float(target.baseline.year)
        elif values:
            base_rank, base_year = values[0][1], values[0][0].decimal_year
        else:
            return [], None
        points = [_Point(p.decimal_year, base_rank - v, p.label) for p, v in values]
        return points, (base_year, 0.0)
    points = [_Point(p.decimal_year, v, p.label) for p, v in values]
    if kind in (Kind.NEW_ITEMS, Kind.BUILD_COUNT) and target.baseline is None:
        return points, (float(start), 0.0)  # counted from the plan start
    if target.baseline is not None and kind not in (Kind.YEARLY_FLOW, Kind.GROWTH_RATE):
        return points, (float(target.baseline.year), target.baseline.value)
    return points, None


def _direction(target: CatalogEntry | TargetSpec) -> Direction:
    if target.kind is Kind.RANKING_CHANGE:
        return Direction.HIGHER  # places gained: more is better
    if target.kind is Kind.MAINTAIN:
        return Direction.AROUND
    return target.direction


def _meets(x: float, goal: float, direction: Direction) -> bool:
    return x >= goal - _EPS if direction is not Direction.LOWER else x <= goal + _EPS


def _status_from_ratio(ratio: float, config: AssessmentConfig) -> Status:
    if ratio >= config.on_track:
        return Status.ON_TRACK
    if ratio >= config.needs_acceleration:
        return Status.NEEDS_ACCELERATION
    if ratio >= config.limited_progress:
        return Status.LIMITED_PROGRESS
    return Status.DETERIORATION


def _rate(b: float, x: float, years: float) -> float | None:
    if b <= 0 or x <= 0 or years <= 0:
        return None
    return (x / b) ** (1.0 / years) - 1.0


def _projection(points: list[_Point], year: int, window: int) -> float | None:
    """The recent trend carried to ``year``: compound where defined, else linear."""
    recent = points[-window:] if len(points) > 1 else points
    if len(recent) < 2:
        return None
    first, last = recent[0], recent[-1]
    span = last.t - first.t
    if span <= 0:
        return None
    ahead = year - last.t
    rate = _rate(first.value, last.value, span)
    if rate is not None:
        return last.value * (1.0 + rate) ** ahead
    return last.value + (last.value - first.value) / span * ahead


@dataclass(frozen=True, slots=True)
class _Goal:
    year: int
    value: float  # the floor (lower bound of a range)
    value_max: float | None
    tier: str | None


def _level(
    goal: _Goal,
    points: list[_Point],
    base: tuple[float, float],
    direction: Direction,
    config: AssessmentConfig,
    compound: bool,
) -> TierResult:
    """Level-type verdict: reach ``goal.value`` by ``goal.year`` from ``base``."""
    y0, b = base
    last = points[-1]
    t, x, target_v, year = last.t, last.value, goal.value, goal.year
    span = max(year - y0, _EPS)
    elapsed = max(min(t, year) - y0, 0.0)
    if compound and b > 0 and target_v > 0:
        planned = b * (target_v / b) ** (elapsed / span)
    else:
        planned = b + (target_v - b) * elapsed / span
    sign = -1.0 if direction is Direction.LOWER else 1.0
    gap = sign * (x - planned)
    gap_pct = gap / abs(planned) * 100 if abs(planned) > _EPS else None
    projected = _projection(points, year, config.projection_window)
    remaining = target_v - x
    share = (projected - x) / remaining if projected is not None and abs(remaining) > _EPS else None

    ratio: float | None = None
    method = "linear_ratio"
    observed_rate = _rate(b, x, t - y0)
    required_rate = _rate(b, target_v, span)
    if t - y0 > _EPS:
        if observed_rate is not None and required_rate is not None and abs(required_rate) > _EPS:
            ratio, method = observed_rate / required_rate, "cagr_ratio"
        elif abs(target_v - b) > _EPS:
            ratio = ((x - b) / (t - y0)) / ((target_v - b) / span)
    if _meets(x, target_v, direction):
        status = Status.ACHIEVED
    elif ratio is None:
        status = Status.NO_DATA if abs(target_v - b) > _EPS else Status.DETERIORATION
    else:
        status = _status_from_ratio(ratio, config)
    return TierResult.model_construct(
        year=year,
        tier=goal.tier,
        target=target_v,
        target_max=goal.value_max,
        status=status,
        progress_ratio=ratio,
        planned=planned,
        gap=gap,
        gap_pct=gap_pct,
        projected=projected,
        projected_share=share,
        method=method,
    )


def _pace(
    goal: _Goal,
    period_fraction: float,
    x: float,
    direction: Direction,
    config: AssessmentConfig,
    method: str,
) -> TierResult:
    """A value compared with the target itself (yearly flows, growth rates): ratio = x / planned."""
    planned = goal.value * period_fraction
    sign = -1.0 if direction is Direction.LOWER else 1.0
    gap = sign * (x - planned)
    ratio: float | None = None
    if abs(planned) > _EPS:
        ratio = x / planned if direction is not Direction.LOWER else (planned / x if x else None)
    if period_fraction >= 1.0 and _meets(x, goal.value, direction):
        status = Status.ACHIEVED
    elif ratio is None:
        status = Status.ON_TRACK if _meets(x, planned, direction) else Status.DETERIORATION
    else:
        status = _status_from_ratio(ratio, config)
    return TierResult.model_construct(
        year=goal.year,
        tier=goal.tier,
        target=goal.value,
        target_max=goal.value_max,
        status=status,
        progress_ratio=ratio,
        planned=planned,
        gap=gap,
        gap_pct=gap / abs(planned) * 100 if abs(planned) > _EPS else None,
        projected=x / period_fraction if period_fraction > 0 else None,
        projected_share=None,
        method=method,
    )


def _band(goal: _Goal, points: list[_Point], tolerance_pct: float) -> TierResult:
    """保持在…左右: inside the band is on track; too high is off as much as too low."""
    x = points[-1].value
    half = abs(goal.value) * tolerance_pct / 100
    low, high = (goal.value - half, goal.value + half)
    if goal.value_max is not None:
        low, high = goal.value, goal.value_max
    distance = max(low - x, x - high, 0.0)
    width = max(high - low, _EPS)
    if distance <= 0:
        status = Status.ON_TRACK
    elif len(points) > 1 and abs(x - goal.value) > abs(points[-2].value - goal.value) + _EPS:
        status = Status.DETERIORATION  # outside the band and moving away
    elif distance <= width:
        status = Status.NEEDS_ACCELERATION
    else:
        status = Status.LIMITED_PROGRESS
    return TierResult.model_construct(
        year=goal.year,
        tier=goal.tier,
        target=goal.value,
        target_max=goal.value_max,
        status=status,
        progress_ratio=None,
        planned=goal.value,
        gap=-distance,
        gap_pct=-distance / abs(goal.value) * 100 if abs(goal.value) > _EPS else None,
        projected=None,
        projected_share=None,
        method="band",
    )


def _goals(target: CatalogEntry | TargetSpec, year: int) -> list[_Goal]:
    return [
        _Goal(t.year, t.value, t.value_max, t.tier.value if t.tier else None)
        for t in target.targets
        if t.year == year
    ]


def _judge(
    target: CatalogEntry | TargetSpec,
    goal: _Goal,
    points: list[_Point],
    base: tuple[float, float] | None,
    last_period: Period,
    config: AssessmentConfig,
) -> TierResult:
    kind, direction = target.kind, _direction(target)
    if kind is Kind.MAINTAIN:
        tol = target.tolerance_pct if target.tolerance_pct is not None else None
        return _band(goal, points, tol if tol is not None else config.maintain_tolerance_pct)
    if kind is Kind.YEARLY_FLOW:
        # each year's flow (or the year to date) against the yearly target (or its share)
        return _pace(
            goal, last_period.fraction_of_year, points[-1].value, direction, config, "yearly_pace"
        )
    if kind is Kind.GROWTH_RATE:
        return _pace(goal, 1.0, points[-1].value, direction, config, "rate_ratio")
    if base is None:
        first = points[0]
        base = (first.t, first.value)
    compound = config.planned_path == "compound" and kind is Kind.LEVEL
    return _level(goal, points, base, direction, config, compound)


def _headline_tier(results: dict[str, TierResult]) -> TierResult:
    return results.get("binding") or results.get("none") or next(iter(results.values()))


def _no_data(
    target: CatalogEntry | TargetSpec, note: str, latest: _Point | None = None
) -> Assessment:
    years = target.target_years
    return Assessment.model_construct(
        status=Status.NO_DATA,
        progress_ratio=None,
        planned=None,
        gap=None,
        gap_pct=None,
        projected=None,
        projected_share=None,
        method="none",
        target_year=years[0] if years else None,
        target_value=None,
        tier=None,
        latest_period=latest.period if latest else None,
        latest_value=latest.value if latest else None,
        baseline_year=None,
        baseline_value=None,
        tiers={},
        years=[],
        explanation_zh=f"暂无足够数据：{note}",
        explanation_en=f"Not enough data: {note}",
        notes=[note],
    )


def assess(
    target: CatalogEntry | TargetSpec,
    observations: Sequence[Observation],
    as_of: date,
    config: AssessmentConfig = DEFAULT_CONFIG,
) -> Assessment:
    """The verdict on one (indicator, jurisdiction) from its observations known by ``as_of``."""
    values = _latest_vintages(observations, as_of)
    if not values:
        return _no_data(target, "no observation yet")
    points, base = _measured(target, values)
    if not points:
        return _no_data(target, "no observation yet")
    last_period = values[-1][0]
    needs_two = base is None and target.kind not in (
        Kind.MAINTAIN,
        Kind.YEARLY_FLOW,
        Kind.GROWTH_RATE,
    )
    if needs_two and len(points) < 2:
        return _no_data(
            target, "the first observation is the baseline; one more is needed", points[-1]
        )

    years: list[YearResult] = []
    for year in target.target_years:
        tiers = {
            (g.tier or "none"): _judge(target, g, points, base, last_period, config)
            for g in _goals(target, year)
        }
        years.append(
            YearResult.model_construct(
                year=year,
                status=_headline_tier(tiers).status,
                tiers=tiers,
            )
        )
    latest_t = points[-1].t
    pending = [y for y in years if y.year >= latest_t - _EPS]
    head_year = pending[0] if pending else years[-1]
    head = _headline_tier(head_year.tiers)
    notes = []
    if head.method == "linear_ratio" and target.kind in (Kind.LEVEL, Kind.RANKING):
        notes.append("growth rate undefined (zero or negative value): linear method used")
    if base is None and target.kind not in (Kind.MAINTAIN, Kind.YEARLY_FLOW, Kind.GROWTH_RATE):
        notes.append("no baseline in the plan: the first observation is the baseline")
    baseline = base if base is not None else (points[0].t, points[0].value)
    result = Assessment.model_construct(
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
        latest_period=points[-1].period,
        latest_value=points[-1].value,
        baseline_year=baseline[0],
        baseline_value=baseline[1],
        tiers=head_year.tiers,
        years=years,
        explanation_zh="",
        explanation_en="",
        notes=notes,
    )
    zh, en = _explain(target, result)
    return result.model_copy(update={"explanation_zh": zh, "explanation_en": en})


_STATUS_ZH = {
    Status.ACHIEVED: "已达标",
    Status.ON_TRACK: "进度正常",
    Status.NEEDS_ACCELERATION: "需加快进度",
    Status.LIMITED_PROGRESS: "进展有限",
    Status.DETERIORATION: "出现倒退",
    Status.NO_DATA: "暂无数据",
}


def _num(value: float | None) -> str:
    if value is None or math.isnan(value):
        return "—"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _explain(target: CatalogEntry | TargetSpec, a: Assessment) -> tuple[str, str]:
    unit = target.unit
    tier_zh = {"binding": "约束值", "expected": "预期值"}.get(a.tier or "", "目标")
    tier_en = {"binding": "binding target", "expected": "expected target"}.get(
        a.tier or "", "target"
    )
    zh = (
        f"{_STATUS_ZH[a.status]}：{a.target_year}年{tier_zh}{_num(a.target_value)}{unit}，"
        f"最新值（{a.latest_period}）{_num(a.latest_value)}{unit}，"
        f"按规划路径应为{_num(a.planned)}{unit}，差距{_num(a.gap)}{unit}"
    )
    en = (
        f"{a.status.value.replace('_', ' ')}: {tier_en} {_num(a.target_value)} {unit} by "
        f"{a.target_year}; latest ({a.latest_period}) {_num(a.latest_value)} {unit}; planned "
        f"{_num(a.planned)} {unit}; gap {_num(a.gap)} {unit}"
    )
    if a.projected is not None:
        zh += f"；按近期趋势{a.target_year}年预计{_num(a.projected)}{unit}"
        en += f"; on the recent trend {_num(a.projected)} {unit} by {a.target_year}"
    if a.progress_ratio is not None:
        zh += f"（进度比{a.progress_ratio:.2f}）"
        en += f" (progress ratio {a.progress_ratio:.2f})"
    return zh + "。", en + "."
