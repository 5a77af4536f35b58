"""A final verdict reports the progress ratio and the method of the open verdict on the same
figure: ``final_level`` and ``final_pace`` work out only those, so they must agree with
``level`` and ``pace`` for any numbers (hypothesis)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from planwatch.domain.assessment_model import AssessmentConfig
from planwatch.domain.events import Status
from planwatch.domain.trajectory.methods import (
    final_level,
    final_pace,
    level,
    meets,
    pace,
    reach,
)
from planwatch.domain.trajectory.plan import Goal

CONFIG = AssessmentConfig()
numbers = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
signs = st.sampled_from([1.0, -1.0])


def _goal(year: int, value: float, approx: bool) -> Goal:
    return Goal(year, value, None, None, "none", approx)


@given(
    v=numbers,
    b=numbers,
    x=numbers,
    y0=st.integers(2015, 2030),
    span=st.integers(0, 12),
    sign=signs,
    approx=st.booleans(),
)
def test_final_level_keeps_the_ratio_and_method_of_level(
    v: float, b: float, x: float, y0: int, span: int, sign: float, approx: bool
) -> None:
    goal = _goal(y0 + span, v, approx)
    met_at = reach(goal, sign, 5.0)
    t = float(goal.year)
    opened = level(goal, x, t, (float(y0), b), sign, None, False, CONFIG, met_at)
    closed = final_level(goal, x, t, (float(y0), b), sign, meets(x, met_at, sign))
    assert closed.progress_ratio == opened.progress_ratio
    assert closed.method == opened.method
    assert closed.final and closed.status in (Status.ACHIEVED, Status.NOT_ACHIEVED)
    assert closed.planned == v and closed.observed == x and closed.projected is None


@given(
    v=numbers,
    x=numbers,
    year=st.integers(2015, 2030),
    sign=signs,
    method=st.sampled_from(["yearly_pace", "rate_ratio"]),
)
def test_final_pace_keeps_the_ratio_of_pace(
    v: float, x: float, year: int, sign: float, method: str
) -> None:
    goal = _goal(year, v, False)
    opened = pace(goal, (float(year), x, year, 1.0, str(year)), sign, CONFIG, method, 1.0, v)
    closed = final_pace(goal, x, sign, meets(x, v, sign), method)
    assert closed.progress_ratio == opened.progress_ratio
    assert closed.method == opened.method == method
