"""Trajectory assessment, with worked examples from the seed plans for every kind."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planwatch.domain.assessment import STATUS_ORDER, TargetSpec, assess
from planwatch.domain.assessment_model import Observation
from planwatch.domain.events import Status
from planwatch.domain.model import Baseline, Direction, Kind, Target, Tier

AS_OF = date(2026, 11, 24)


def spec(kind: Kind, direction: Direction, targets, baseline=None, start=None, tol=None):
    return TargetSpec(
        kind=kind,
        direction=direction,
        unit="",
        baseline=baseline,
        targets=tuple(Target(**t) for t in targets),
        start_year=start,
        tolerance_pct=tol,
    )


def obs(*pairs: tuple[str, float], vintage: int = 1) -> list[Observation]:
    return [Observation(period=p, value=v, vintage=vintage) for p, v in pairs]


# 000: 全社会研究与试验发展(R&D)经费投入达到180亿元 (2025) … R&D经费投入达到280亿元 (2030)
RD = spec(
    Kind.LEVEL,
    Direction.HIGHER,
    [{"year": 2025, "value": 180}, {"year": 2030, "value": 280}],
    start=2024,
)
# 001 主要指标 第1行: 科技进步贡献率 % 54 (2021) → 58 约束值 / 65 预期值 (2025)
TECH = spec(
    Kind.LEVEL,
    Direction.HIGHER,
    [
        {"year": 2025, "value": 58, "tier": Tier.BINDING},
        {"year": 2025, "value": 65, "tier": Tier.EXPECTED},
    ],
    baseline=Baseline(year=2021, value=54),
    start=2021,
)
# 000: 到2030年，综合科技创新水平进入全国前20位 (ranking, lower is better)
RANK = spec(Kind.RANKING, Direction.LOWER, [{"year": 2030, "value": 20}], start=2024)
# 000: 2025年，综合科技创新水平全国排名提升1位 (ranking change)
RANK_UP = spec(Kind.RANKING_CHANGE, Direction.HIGHER, [{"year": 2025, "value": 1}], start=2024)
# 000: 省科技成果转化综合服务平台挂牌交易科技成果累计达到3000项 (2030, cumulative)
LISTED = spec(Kind.CUMULATIVE, Direction.HIGHER, [{"year": 2030, "value": 3000}], start=2024)
# a yearly flow (每年): e.g. 每年实施重大应用基础研究项目20项以上
YEARLY = spec(Kind.YEARLY_FLOW, Direction.HIGHER, [{"year": 2025, "value": 20}], start=2022)
# 新增: new items counted from the plan start (002: 新增上市企业5家以上 by 2027)
NEW = spec(Kind.NEW_ITEMS, Direction.HIGHER, [{"year": 2027, "value": 5}], start=2022)
# 保持在…左右: a level kept around a value
KEEP = spec(Kind.MAINTAIN, Direction.AROUND, [{"year": 2025, "value": 10}], start=2022, tol=5)
# 增速: a growth rate in % per year
GROWTH = spec(Kind.GROWTH_RATE, Direction.HIGHER, [{"year": 2025, "value": 10}], start=2022)
# a range, 3-5个: the lower bound is the floor
RANGE = spec(Kind.LEVEL, Direction.HIGHER, [{"year": 2025, "value": 3, "value_max": 5}], start=2022)


@pytest.mark.parametrize(
    ("name", "target", "observations", "status", "method"),
    [
        (
            "R&D on the path to 180",
            RD,
            obs(("2024", 150), ("2025", 181)),
            Status.ACHIEVED,
            "cagr_ratio",
        ),
        (
            "R&D slightly behind 180",
            RD,
            obs(("2024", 150), ("2025", 175)),
            Status.NEEDS_ACCELERATION,
            "cagr_ratio",
        ),
        ("R&D falling", RD, obs(("2024", 150), ("2025", 140)), Status.DETERIORATION, "cagr_ratio"),
        ("R&D: one figure is only a baseline", RD, obs(("2024", 150)), Status.NO_DATA, "none"),
        ("contribution, binding path", TECH, obs(("2023", 56.5)), Status.ON_TRACK, "cagr_ratio"),
        ("contribution, stalled", TECH, obs(("2023", 54.5)), Status.LIMITED_PROGRESS, "cagr_ratio"),
        (
            "rank 30 → 24 by 2026 for top 20 by 2030",
            RANK,
            obs(("2024", 30), ("2026", 24)),
            Status.ON_TRACK,
            "cagr_ratio",
        ),
        ("rank worsens", RANK, obs(("2024", 30), ("2026", 32)), Status.DETERIORATION, "cagr_ratio"),
        (
            "rank in the top 20",
            RANK,
            obs(("2024", 30), ("2026", 19)),
            Status.ACHIEVED,
            "cagr_ratio",
        ),
        (
            "gained one place",
            RANK_UP,
            obs(("2024", 18), ("2025", 17)),
            Status.ACHIEVED,
            "linear_ratio",
        ),
        (
            "lost a place",
            RANK_UP,
            obs(("2024", 18), ("2025", 19)),
            Status.DETERIORATION,
            "linear_ratio",
        ),
        (
            "3000 listed by 2030: 500 a year",
            LISTED,
            obs(("2025", 500), ("2026", 500)),
            Status.ON_TRACK,
            "linear_ratio",
        ),
        (
            "3000 listed: 150 a year",
            LISTED,
            obs(("2025", 150), ("2026", 150)),
            Status.LIMITED_PROGRESS,
            "linear_ratio",
        ),
        ("yearly 20: 22 this year", YEARLY, obs(("2025", 22)), Status.ACHIEVED, "yearly_pace"),
        (
            "yearly 20: 12 this year",
            YEARLY,
            obs(("2025", 12)),
            Status.NEEDS_ACCELERATION,
            "yearly_pace",
        ),
        (
            "yearly 20: 10 by June is on pace",
            YEARLY,
            obs(("2025-06", 10)),
            Status.ON_TRACK,
            "yearly_pace",
        ),
        (
            "yearly 20: 3 by Q3 is far behind",
            YEARLY,
            obs(("2025-Q3", 3)),
            Status.LIMITED_PROGRESS,
            "yearly_pace",
        ),
        ("5 new listed by 2027: 2 by 2024", NEW, obs(("2024", 2)), Status.ON_TRACK, "linear_ratio"),
        (
            "5 new listed: none by 2025",
            NEW,
            obs(("2025", 0)),
            Status.LIMITED_PROGRESS,
            "linear_ratio",
        ),
        ("around 10: 10.3", KEEP, obs(("2024", 10.3)), Status.ON_TRACK, "band"),
        ("around 10: 11 (too high)", KEEP, obs(("2024", 11)), Status.NEEDS_ACCELERATION, "band"),
        (
            "around 10: 9 then 8 (moving away)",
            KEEP,
            obs(("2024", 9), ("2025", 8)),
            Status.DETERIORATION,
            "band",
        ),
        ("growth 10%: 10.5%", GROWTH, obs(("2024", 10.5)), Status.ACHIEVED, "rate_ratio"),
        ("growth 10%: 7%", GROWTH, obs(("2024", 7)), Status.NEEDS_ACCELERATION, "rate_ratio"),
        ("growth 10%: -2%", GROWTH, obs(("2024", -2)), Status.DETERIORATION, "rate_ratio"),
        (
            "range 3-5: 3 is enough",
            RANGE,
            obs(("2023", 1), ("2025", 3)),
            Status.ACHIEVED,
            "cagr_ratio",
        ),
    ],
)
def test_worked_examples(name, target, observations, status, method) -> None:
    result = assess(target, observations, AS_OF)
    assert result.status is status, (name, result.explanation_en)
    assert result.method == method, name


def test_tiers_get_their_own_status_and_binding_leads() -> None:
    # 58 binding / 65 expected from 54 in 2021; 57 in 2024 is on the binding path only
    result = assess(TECH, obs(("2024", 57)), AS_OF)
    assert set(result.tiers) == {"binding", "expected"}
    assert result.tiers["binding"].status is Status.ON_TRACK
    assert STATUS_ORDER[result.tiers["expected"].status] < STATUS_ORDER[Status.ON_TRACK]
    assert result.tier == "binding" and result.status is result.tiers["binding"].status


def test_headline_is_the_nearest_target_year_not_yet_passed() -> None:
    before = assess(RD, obs(("2024", 150), ("2025", 181)), AS_OF)
    assert before.target_year == 2025
    after = assess(RD, obs(("2024", 150), ("2025", 181), ("2026", 200)), AS_OF)
    assert after.target_year == 2030
    assert [y.year for y in after.years] == [2025, 2030]


def test_a_later_vintage_replaces_an_earlier_one() -> None:
    first = obs(("2024", 150), ("2025", 140))
    revised = first + obs(("2025", 181), vintage=2)
    assert assess(RD, first, AS_OF).status is Status.DETERIORATION
    assert assess(RD, revised, AS_OF).status is Status.ACHIEVED
    assert assess(RD, list(reversed(revised)), AS_OF).latest_value == 181


def test_observations_after_as_of_are_ignored() -> None:
    result = assess(RD, obs(("2024", 150), ("2025", 160), ("2027", 300)), date(2026, 1, 15))
    assert result.latest_period == "2025"


def test_zero_base_uses_the_linear_method_and_says_so() -> None:
    result = assess(RD, obs(("2024", 0), ("2025", 100)), AS_OF)
    assert result.method == "linear_ratio"
    assert any("linear" in n for n in result.notes)


def test_planned_gap_and_projection_on_the_baiyin_table() -> None:
    result = assess(TECH, obs(("2023", 56)), AS_OF)
    binding = result.tiers["binding"]
    assert binding.planned == pytest.approx(54 + (58 - 54) * 2 / 4)
    assert binding.gap == pytest.approx(0.0)
    assert "约束值" in result.explanation_zh and "binding" in result.explanation_en


def test_projection_carries_the_recent_trend() -> None:
    result = assess(RD, obs(("2024", 100), ("2025", 110)), AS_OF)
    assert result.target_year == 2025
    later = assess(RD, obs(("2024", 100), ("2025", 110), ("2026", 121)), AS_OF)
    assert later.projected == pytest.approx(121 * 1.1**4)


# ---- properties ----

values = st.floats(min_value=1, max_value=1e6, allow_nan=False)
years = st.integers(min_value=2000, max_value=2040)


@given(b=values, v=values, y0=years, span=st.integers(1, 15))
def test_planned_is_baseline_at_baseline_year_and_target_at_target_year(b, v, y0, span) -> None:
    target = spec(
        Kind.LEVEL,
        Direction.HIGHER,
        [{"year": y0 + span, "value": v}],
        baseline=Baseline(year=y0, value=b),
        start=y0,
    )
    at_base = assess(target, obs((str(y0), b)), date(2100, 1, 1)).years[0].tiers["none"]
    assert at_base.planned == pytest.approx(b)
    at_target = assess(target, obs((str(y0 + span), v)), date(2100, 1, 1)).years[0].tiers["none"]
    assert at_target.planned == pytest.approx(v)


@given(b=values, x=values, v=values)
def test_flipping_the_direction_flips_the_verdict(b, x, v) -> None:
    up = spec(
        Kind.LEVEL,
        Direction.HIGHER,
        [{"year": 2030, "value": v}],
        baseline=Baseline(year=2020, value=b),
        start=2020,
    )
    down = up.model_copy(update={"direction": Direction.LOWER})
    # a mirror image: the lower-is-better target on the reciprocal scale
    mirror = spec(
        Kind.LEVEL,
        Direction.LOWER,
        [{"year": 2030, "value": 1 / v}],
        baseline=Baseline(year=2020, value=1 / b),
        start=2020,
    )
    a = assess(up, obs(("2025", x)), AS_OF)
    m = assess(mirror, obs(("2025", 1 / x)), AS_OF)
    assert a.status is m.status
    if abs(v - b) > 1e-6 * max(v, b) and abs(x - b) > 1e-6 * max(x, b):
        d = assess(down, obs(("2025", x)), AS_OF)
        # moving the same way is progress for one direction and regress for the other
        if a.progress_ratio is not None and d.progress_ratio is not None:
            assert a.progress_ratio == pytest.approx(d.progress_ratio)
            if (x - b) * (v - b) > 0:
                assert a.progress_ratio > 0


@settings(max_examples=200)
@given(
    b=values,
    v=values,
    x1=values,
    x2=values,
    kind=st.sampled_from([Kind.LEVEL, Kind.NEW_ITEMS, Kind.GROWTH_RATE, Kind.YEARLY_FLOW]),
    direction=st.sampled_from([Direction.HIGHER, Direction.LOWER]),
)
def test_more_progress_never_lowers_the_status(b, v, x1, x2, kind, direction) -> None:
    target = spec(
        kind,
        direction,
        [{"year": 2030, "value": v}],
        baseline=Baseline(year=2020, value=b),
        start=2020,
    )
    worse, better = sorted([x1, x2]) if direction is Direction.HIGHER else sorted([x1, x2])[::-1]
    s_worse = assess(target, obs(("2025", worse)), AS_OF).status
    s_better = assess(target, obs(("2025", better)), AS_OF).status
    assert STATUS_ORDER[s_better] >= STATUS_ORDER[s_worse]


# ---- the command ----


def _cli(payload: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("planwatch")
    return subprocess.run(
        [str(exe), "assess"], input=payload, capture_output=True, text=True, timeout=60
    )


def test_cli_assesses_a_catalog_shaped_target() -> None:
    payload = {
        "target": {
            "kind": "level",
            "direction": "higher",
            "unit": "亿元",
            "baseline": None,
            "targets": [{"year": 2025, "value": 180, "value_max": None, "tier": None}],
        },
        "observations": [{"period": "2023", "value": 120}, {"period": "2024", "value": 150}],
        "as_of": "2025-03-01",
    }
    result = _cli(json.dumps(payload))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["status"] == "on_track" and out["method"] == "cagr_ratio"
    assert {"progress_ratio", "planned", "gap", "projected", "tiers"} <= set(out)


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"as_of": "soon"}, "as_of"),
        ({"observations": [{"period": "2024-13", "value": 1}]}, "observations[0].period"),
        ({"observations": [{"period": "2024", "value": "many"}]}, "observations[0].value"),
        (
            {
                "target": {
                    "kind": "level",
                    "direction": "up",
                    "targets": [{"year": 2025, "value": 1}],
                }
            },
            "target.direction",
        ),
        ({"target": {"kind": "level", "direction": "higher", "targets": []}}, "target.targets"),
    ],
)
def test_cli_names_the_bad_field(patch: dict, field: str) -> None:
    payload = {
        "target": {"kind": "level", "direction": "higher", "targets": [{"year": 2025, "value": 1}]},
        "observations": [{"period": "2024", "value": 1}],
        "as_of": "2025-01-01",
    }
    payload.update(patch)
    result = _cli(json.dumps(payload))
    assert result.returncode != 0
    assert field in result.stderr
