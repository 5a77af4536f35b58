"""The formulas; docs/methodology.md states each with its source.

- progress ratio (Eurostat SDG / Open SDG): observed compound annual growth since the baseline
  over the growth required to reach the target by its year; the linear equivalent (average
  change per year) where a growth rate is undefined (a zero or negative value);
- planned trajectory (delivery units): the value expected now on the straight (or compound)
  path from the baseline to the target, and the gap to it;
- projection (UN ESCAP anticipated progress): the recent trend carried to the target year.
"""

from __future__ import annotations

from math import isfinite

from planwatch.domain.assessment_model import AssessmentConfig, TierResult
from planwatch.domain.events import Status
from planwatch.domain.trajectory.plan import Goal
from planwatch.domain.trajectory.series import Row

__all__ = [
    "EPS",
    "band",
    "baseline_only",
    "final",
    "final_level",
    "final_pace",
    "level",
    "meets",
    "missing",
    "pace",
    "projection",
    "reach",
    "required",
]

EPS = 1e-9
_REL = 1e-9  # relative tolerance of comparisons: float noise, at any scale of the indicator
_ACHIEVED, _ON_TRACK = Status.ACHIEVED, Status.ON_TRACK
_NEEDS, _LIMITED = Status.NEEDS_ACCELERATION, Status.LIMITED_PROGRESS
_DETERIORATION, _NO_DATA = Status.DETERIORATION, Status.NO_DATA
_NOT_ACHIEVED = Status.NOT_ACHIEVED


def meets(x: float, v: float, sign: float) -> bool:
    return (x - v) * sign >= -_REL * abs(v)


def reach(goal: Goal, sign: float, tolerance_pct: float) -> float:
    """The value that meets ``goal``: the target, or for 左右 the target less the tolerance
    (in the direction of progress): 左右 forgives a little short of it, never too much."""
    if not goal.approx:
        return goal.value
    return goal.value - sign * abs(goal.value) * tolerance_pct / 100


def _differ(a: float, b: float) -> bool:
    # beyond the relative tolerance of the larger of the two (written without max(): hot)
    d = abs(a - b)
    return d > _REL * abs(a) and d > _REL * abs(b)


def from_ratio(ratio: float, config: AssessmentConfig) -> Status:
    if ratio >= config.on_track:
        return _ON_TRACK
    if ratio >= config.needs_acceleration:
        return _NEEDS
    if ratio >= config.limited_progress:
        return _LIMITED
    return _DETERIORATION


def projection(points: list[Row], year: int, window: int, compound: bool) -> float | None:
    """The value at the end of ``year`` if the trend of the last ``window`` figures goes on."""
    n = len(points)
    if n < 2:
        return None
    first, last = points[-window] if n > window else points[0], points[-1]
    span, ahead = last[0] - first[0], year - last[0]
    if span <= EPS or ahead < -EPS:
        return None  # one point in time, or a target year already passed
    a, b = first[1], last[1]
    if compound and a > 0 and b > 0:
        try:
            return b * (b / a) ** (ahead / span)
        except OverflowError:
            return None  # a trend beyond floats projects nothing useful
    return b + (b - a) / span * ahead


def _progress(v: float, b: float, x: float, n: float, span: float) -> tuple[float | None, str]:
    """The progress ratio of ``x``, ``n`` years into the ``span`` years from ``b`` to ``v``, and
    its method: compound growth where both ends are positive, else the linear equivalent."""
    growth = b > 0 and v > 0 and x > 0
    if not (n > EPS and _differ(v, b)):
        # no time since the baseline, or a target equal to it: no ratio to speak of
        return None, "cagr_ratio" if growth else "linear_ratio"
    if growth:
        try:
            required = (v / b) ** (1.0 / span) - 1.0
            if required:  # zero only where the difference is lost to rounding
                ratio = ((x / b) ** (1.0 / n) - 1.0) / required
                if isfinite(ratio):
                    return ratio, "cagr_ratio"
        except OverflowError:
            pass
        # growth beyond floats: the linear equivalent holds
    required = (v - b) / span
    if not required:
        return None, "linear_ratio"
    ratio = (x - b) / n / required
    return (ratio if isfinite(ratio) else None), "linear_ratio"


def level(
    goal: Goal,
    x: float,
    t: float,
    base: tuple[float, float],
    sign: float,
    projected: float | None,
    compound_path: bool,
    config: AssessmentConfig,
    met_at: float | None = None,
) -> TierResult:
    """Reach ``goal.value`` by the end of ``goal.year`` from ``base``; ``x`` observed at ``t``.
    ``met_at`` is the value that counts as met (``reach``), the target by default."""
    y0, b = base
    v, year = goal.value, goal.year
    span = max(year - y0, EPS)
    n = t - y0
    share = min(max(n, 0.0), span) / span
    if compound_path and b > 0 and v > 0:
        planned = b * (v / b) ** share
    else:
        planned = b + (v - b) * share
    ratio, method = _progress(v, b, x, n, span)
    if meets(x, v if met_at is None else met_at, sign):
        status = _ACHIEVED
    elif _not_ahead(v, b, sign):
        # the figure fell below a target the baseline had met: a step backwards, whatever the
        # ratio of two falls says
        status, ratio = _DETERIORATION, None
    elif ratio is None:
        status = _NO_DATA
    else:
        status = from_ratio(ratio, config)
    gap = (x - planned) * sign
    remaining = v - x
    return TierResult(
        year=year,
        tier=goal.tier,
        target=v,
        target_max=goal.value_max,
        status=status,
        progress_ratio=ratio,
        planned=planned,
        gap=gap,
        gap_pct=gap / abs(planned) * 100 if planned else None,
        projected=projected,
        projected_share=(
            (projected - x) / remaining if projected is not None and _differ(v, x) else None
        ),
        method=method,
    )


def _not_ahead(v: float, b: float, sign: float) -> bool:
    """The target ``v`` does not lie ahead of the baseline ``b`` (a floor the baseline met)."""
    return (v - b) * sign <= 0 or not _differ(v, b)


def _pace_ratio(x: float, planned: float, sign: float) -> float | None:
    """The figure over the planned one (the planned over the figure where lower is better)."""
    if sign > 0:
        return x / planned if planned > 0 else None
    return planned / x if planned > 0 and x > 0 else None


def pace(
    goal: Goal,
    row: Row,
    sign: float,
    config: AssessmentConfig,
    method: str,
    fraction: float,
    met_at: float | None = None,
) -> TierResult:
    """A figure against the target itself (a yearly flow, a growth rate): ratio = x / planned.

    ``fraction`` is the share of the year the figure covers for flows (year to date), 1 for
    rates. A figure of an earlier year shows the pace but cannot achieve a later year's target.
    """
    x, in_year = row[1], row[2] == goal.year
    v = goal.value
    planned = v * fraction
    ratio = _pace_ratio(x, planned, sign)
    met_year = meets(x, v if met_at is None else met_at, sign) and (sign > 0 or fraction >= 1.0)
    if in_year and met_year:
        status = _ACHIEVED
    elif ratio is None:
        status = _ON_TRACK if meets(x, planned, sign) else _DETERIORATION
    else:
        status = from_ratio(ratio, config)
    gap = (x - planned) * sign
    return TierResult(
        year=goal.year,
        tier=goal.tier,
        target=v,
        target_max=goal.value_max,
        status=status,
        progress_ratio=ratio,
        planned=planned,
        gap=gap,
        gap_pct=gap / abs(planned) * 100 if planned else None,
        projected=x / fraction if fraction > 0 else None,
        projected_share=None,
        method=method,
    )


def band(
    goal: Goal,
    points: list[Row],
    tolerance_pct: float,
    approach: TierResult | None,
) -> TierResult:
    """保持在…左右: inside the band is on track (achieved once the target year is reached);
    too high is off as much as too low. Below the band before the target year, ``approach``
    (the level method towards the band's lower edge) judges the way there."""
    x, t = points[-1][1], points[-1][0]
    v = goal.value
    if goal.value_max is not None:
        low, high = v, goal.value_max
    else:
        half = abs(v) * tolerance_pct / 100
        low, high = v - half, v + half
    distance = max(low - x, x - high, 0.0)
    reached = t >= goal.year - EPS
    if distance <= _REL * abs(v):
        status = _ACHIEVED if reached else _ON_TRACK
    elif approach is not None and x < low and not reached:
        return approach
    elif len(points) > 1 and abs(x - v) > abs(points[-2][1] - v) * (1 + _REL):
        status = _DETERIORATION  # outside the band and moving away
    elif distance <= high - low:
        status = _NEEDS
    else:
        status = _LIMITED
    return TierResult(
        year=goal.year,
        tier=goal.tier,
        target=v,
        target_max=goal.value_max,
        status=status,
        progress_ratio=None,
        planned=v,
        gap=-distance,
        gap_pct=-distance / abs(v) * 100 if v else None,
        projected=None,
        projected_share=None,
        method="band",
    )


def baseline_only(goal: Goal, x: float, sign: float) -> TierResult:
    """One figure and no baseline in the plan: the figure is the baseline. Only a target it
    already meets can be judged."""
    met = meets(x, goal.value, sign)
    return TierResult(
        year=goal.year,
        tier=goal.tier,
        target=goal.value,
        target_max=goal.value_max,
        status=_ACHIEVED if met else _NO_DATA,
        progress_ratio=None,
        planned=None,
        gap=None,
        gap_pct=None,
        projected=None,
        projected_share=None,
        method="none",
    )


def missing(goal: Goal) -> TierResult:
    """A yearly target whose year passed without a figure."""
    return TierResult(
        year=goal.year,
        tier=goal.tier,
        target=goal.value,
        target_max=goal.value_max,
        status=_NO_DATA,
        progress_ratio=None,
        planned=None,
        gap=None,
        gap_pct=None,
        projected=None,
        projected_share=None,
        method="none",
    )


def final(
    goal: Goal, x: float, met: bool, sign: float, ratio: float | None, method: str
) -> TierResult:
    """The verdict of a complete target year on its own figure ``x``: achieved or not achieved,
    the gap measured to the target itself. ``ratio`` and ``method`` are those the open verdict
    on the same figure reports (``final_level``, ``final_pace``)."""
    v = goal.value
    gap = (x - v) * sign
    return TierResult(
        year=goal.year,
        tier=goal.tier,
        target=v,
        target_max=goal.value_max,
        status=_ACHIEVED if met else _NOT_ACHIEVED,
        progress_ratio=ratio,
        planned=v,
        gap=gap,
        gap_pct=gap / abs(v) * 100 if v else None,
        projected=None,
        projected_share=None,
        method=method,
        final=True,
        observed=x,
    )


def final_level(
    goal: Goal, x: float, t: float, base: tuple[float, float], sign: float, met: bool
) -> TierResult:
    """The final verdict of a level target on the year's figure ``x`` (at ``t``), with the ratio
    and method ``level`` gives for that figure: only they survive into a final verdict, so the
    planned path, the projection and the open status are not worked out."""
    y0, b = base
    v = goal.value
    ratio, method = _progress(v, b, x, t - y0, max(goal.year - y0, EPS))
    if not met and _not_ahead(v, b, sign):
        ratio = None  # as in ``level``: a step backwards from a floor has no ratio
    return final(goal, x, met, sign, ratio, method)


def final_pace(goal: Goal, x: float, sign: float, met: bool, method: str) -> TierResult:
    """The final verdict of a yearly flow or rate on the full-year figure ``x``, with the ratio
    ``pace`` gives for it (the whole year: the planned figure is the target)."""
    return final(goal, x, met, sign, _pace_ratio(x, goal.value, sign), method)


def required(
    result: TierResult, x: float, t: float, sign: float, compound: bool, met_at: float
) -> None:
    """Fill in the pace needed from ``x`` (at ``t``) to the target by the end of its year: a
    yearly growth in % where the kind grows by a rate, else a yearly addition."""
    if result.status in (_ACHIEVED, _NO_DATA) or meets(x, met_at, sign):
        return
    years = result.year - t
    if years <= EPS:
        return
    v = result.target
    if compound and x > 0 and v > 0:
        try:
            result.required_growth_pct = ((v / x) ** (1.0 / years) - 1.0) * 100
        except OverflowError:
            result.required_growth_pct = None
    else:
        result.required_per_year = (v - x) / years
