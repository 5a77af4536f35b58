"""A target compiled once for the assessment: its method family, baseline rule and goals.

Everything here depends only on the target, so it is computed on first use and cached by
object identity: the catalog's entries are immutable and live for the whole process, and an
evaluator assesses the same few hundred of them again and again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from planwatch.domain.identity_cache import IdentityCache
from planwatch.domain.kinds import APPROX, accepts_year_to_date
from planwatch.domain.model import Baseline, Direction, Kind, Target
from planwatch.domain.trajectory.numbers import format_target

__all__ = [
    "BAND",
    "LEVEL",
    "PACE",
    "RATE",
    "Goal",
    "Plan",
    "TargetLike",
    "prepare",
]

# Method families: which formula judges the measured series.
LEVEL = "level"  # reach a value by a year: progress ratio, planned path, projection
PACE = "pace"  # a yearly flow against the yearly target (or its share of the year so far)
RATE = "rate"  # an observed growth rate against the target rate itself
BAND = "band"  # stay inside a band around a value

# Measured series: what is compared with the targets.
VALUES = "values"  # the figures as reported
RUNNING_TOTAL = "running_total"  # 累计: the sum of the yearly flows since the plan start
PLACES_GAINED = "places_gained"  # 提升N位: rank at the plan start minus the rank

# Kinds counted from zero at the plan start when the plan gives no baseline.
_COUNTED = frozenset({Kind.NEW_ITEMS, Kind.BUILD_COUNT, Kind.CUMULATIVE})
# Kinds whose recent trend is a compound growth (levels); counts grow by a steady number a year.
_COMPOUND_TREND = frozenset({Kind.LEVEL, Kind.RANKING, Kind.MAINTAIN})


class TargetLike(Protocol):
    """What the assessment reads of a target: a ``CatalogEntry`` or a ``TargetSpec``."""

    @property
    def kind(self) -> Kind: ...
    @property
    def direction(self) -> Direction: ...
    @property
    def unit(self) -> str: ...
    @property
    def baseline(self) -> Baseline | None: ...
    @property
    def targets(self) -> tuple[Target, ...]: ...
    @property
    def tolerance_pct(self) -> float | None: ...


@dataclass(frozen=True, slots=True)
class Goal:
    year: int
    value: float  # the floor of a range such as 3-5个
    value_max: float | None
    tier: str | None
    key: str  # the tier, or "none"
    approx: bool = False  # 左右: the value is met within the tolerance (on the final value only)


@dataclass(frozen=True, slots=True)
class Plan:
    kind: Kind
    family: str
    measure: str
    sign: float  # +1 higher is better, -1 lower is better (after the kind's own rule)
    start: int  # the plan start: 新增 / 累计 count from the end of this year
    base: tuple[float, float] | None  # (year, value) fixed by the plan; None: first figure
    rank_base: tuple[float, float] | None  # (year, rank) at the plan start, for 提升N位
    years: tuple[tuple[int, tuple[Goal, ...]], ...]  # goals by target year, in order
    compound_trend: bool
    counted: bool  # counted from zero at the plan start
    tolerance_pct: float | None
    unit: str
    year_to_date: bool  # year-to-date figures (YYYY-Qn, YYYY-MM) are judged (kinds.py)
    target_text: dict[tuple[int, str | None], str]  # (year, tier) → the target as written out


def _start_year(target: TargetLike) -> int:
    start = getattr(target, "start_year", None)
    if start is not None:
        return int(start)
    if target.baseline is not None:
        return target.baseline.year
    return min(t.year for t in target.targets) - 1


def _goals(targets: tuple[Target, ...]) -> tuple[tuple[int, tuple[Goal, ...]], ...]:
    by_year: dict[int, list[Goal]] = {}
    for t in targets:
        tier = t.tier.value if t.tier is not None else None
        by_year.setdefault(t.year, []).append(
            Goal(t.year, float(t.value), t.value_max, tier, tier or "none", APPROX in t.qualifiers)
        )
    return tuple((year, tuple(by_year[year])) for year in sorted(by_year))


def compile_plan(target: TargetLike) -> Plan:
    kind, direction, baseline = target.kind, target.direction, target.baseline
    start = _start_year(target)
    fixed = (float(baseline.year), float(baseline.value)) if baseline is not None else None
    rank_base = None
    measure = VALUES
    if kind is Kind.MAINTAIN or direction is Direction.AROUND:
        family = BAND
    elif kind is Kind.YEARLY_FLOW:
        family, fixed = PACE, None
    elif kind is Kind.GROWTH_RATE:
        family, fixed = RATE, None
    else:
        family = LEVEL
    if kind is Kind.RANKING_CHANGE:
        # the series is places gained, so it starts from 0 wherever the starting rank comes from
        measure, rank_base, fixed = PLACES_GAINED, fixed, None
        direction = Direction.HIGHER
    elif kind is Kind.CUMULATIVE:
        measure = RUNNING_TOTAL
    if fixed is None and kind in _COUNTED:
        fixed = (float(start), 0.0)
    return Plan(
        kind=kind,
        family=family,
        measure=measure,
        sign=-1.0 if direction is Direction.LOWER else 1.0,
        start=start,
        base=fixed,
        rank_base=rank_base,
        years=_goals(target.targets),
        compound_trend=kind in _COMPOUND_TREND,
        counted=kind in _COUNTED or kind is Kind.RANKING_CHANGE,
        tolerance_pct=target.tolerance_pct,
        unit=target.unit,
        year_to_date=accepts_year_to_date(target),
        target_text={
            (t.year, t.tier.value if t.tier is not None else None): format_target(
                t.value, t.value_max
            )
            for t in target.targets
        },
    )


_PLANS: IdentityCache[TargetLike, Plan] = IdentityCache(compile_plan)


def prepare(target: TargetLike) -> Plan:
    """The compiled plan of ``target``, cached by identity (``IdentityCache``)."""
    return _PLANS(target)
