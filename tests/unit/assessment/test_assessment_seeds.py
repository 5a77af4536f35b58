"""Worked examples from the seed plans, one table per kind, with the numbers worked by hand.

The targets are the plans' own numbers; the observed figures are made up to land in each band.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from planwatch.domain.assessment import STATUS_ORDER, TargetSpec, assess
from planwatch.domain.assessment_model import AssessmentConfig, Observation
from planwatch.domain.events import Status
from planwatch.domain.model import Baseline, Direction, Kind, Target, Tier
from planwatch.domain.periods import parse_period

AS_OF = date(2026, 11, 24)


def spec(
    kind: Kind,
    direction: Direction,
    targets: list[dict[str, object]],
    baseline: tuple[int, float] | None = None,
    start: int | None = None,
    tol: float | None = None,
    unit: str = "",
) -> TargetSpec:
    return TargetSpec(
        kind=kind,
        direction=direction,
        unit=unit,
        baseline=Baseline(year=baseline[0], value=baseline[1]) if baseline else None,
        targets=tuple(Target(**t) for t in targets),  # type: ignore[arg-type]
        start_year=start,
        tolerance_pct=tol,
    )


def obs(*pairs: tuple[str, float], vintage: int = 1) -> list[Observation]:
    return [Observation(period=p, value=v, vintage=vintage) for p, v in pairs]


def soon_after(observations: list[Observation]) -> date:
    """The day a plan office reads the latest figure: two weeks after its period ends."""
    end = max(parse_period(o.period).end_date for o in observations)
    return end + timedelta(days=15)


B, E = Tier.BINDING, Tier.EXPECTED
UP, DOWN, AROUND = Direction.HIGHER, Direction.LOWER, Direction.AROUND

# 000 一 主要目标: 全社会R&D经费投入达到180亿元 (2025) … 达到280亿元 (2030); no baseline
RD = spec(Kind.LEVEL, UP, [{"year": 2025, "value": 180}, {"year": 2030, "value": 280}], start=2024)
RD25 = spec(Kind.LEVEL, UP, [{"year": 2025, "value": 180}], start=2024)
# 001 主要指标 1: 科技进步贡献率 54 (2021) → 约束值 58 / 预期值 65 (2025)
CONTRIB = spec(
    Kind.LEVEL,
    UP,
    [{"year": 2025, "value": 58, "tier": B}, {"year": 2025, "value": 65, "tier": E}],
    baseline=(2021, 54),
    unit="%",
)
# 001 主要指标 4: 研发经费支出占GDP比重 0.76* (2020) → 1.5 / 1.8 (2025)
RD_INTENSITY = spec(
    Kind.LEVEL,
    UP,
    [{"year": 2025, "value": 1.5, "tier": B}, {"year": 2025, "value": 1.8, "tier": E}],
    baseline=(2020, 0.76),
    start=2021,
)
# 001 主要指标 16: 科创板、北交所上市企业 0 → 0 / 1 (2025): a zero base
LISTED_STAR = spec(
    Kind.LEVEL,
    UP,
    [{"year": 2025, "value": 0, "tier": B}, {"year": 2025, "value": 1, "tier": E}],
    baseline=(2021, 0),
)
# 000: 到2030年，综合科技创新水平进入全国前20位
TOP20 = spec(Kind.RANKING, DOWN, [{"year": 2030, "value": 20}], start=2024)
# 001: 白银高新区进入全国高新区排名前115位 (2025)
TOP115 = spec(Kind.RANKING, DOWN, [{"year": 2025, "value": 115}], start=2021)
# 000: 2025年，综合科技创新水平全国排名提升1位
UP1 = spec(Kind.RANKING_CHANGE, UP, [{"year": 2025, "value": 1}], start=2024)
# 004: 兰州高新区在国家综合排名力争提升2位 (2025, 力争: expected)
UP2 = spec(Kind.RANKING_CHANGE, UP, [{"year": 2025, "value": 2, "tier": E}], start=2022)
# 000: 挂牌交易科技成果500项 (2025), 累计达到3000项 (2030)
LISTED = spec(
    Kind.CUMULATIVE, UP, [{"year": 2025, "value": 500}, {"year": 2030, "value": 3000}], start=2024
)
# 001: 每年孵化中小企业30家以上 (2022-2025)
INCUBATED = spec(
    Kind.YEARLY_FLOW, UP, [{"year": y, "value": 30} for y in (2022, 2023, 2024, 2025)], start=2021
)
# 001: 培育主要粮食作物、畜禽新品种3-5个 (2025): a range, the lower bound is the floor
VARIETIES = spec(Kind.NEW_ITEMS, UP, [{"year": 2025, "value": 3, "value_max": 5}], start=2021)
# 001: 培育建设1-2个企业创新联合体 (2025)
CONSORTIA = spec(Kind.BUILD_COUNT, UP, [{"year": 2025, "value": 1, "value_max": 2}], start=2021)
# 004: 兰州新区经济增速保持在15%以上 (2023-2025)
NEW_AREA = spec(
    Kind.GROWTH_RATE, UP, [{"year": y, "value": 15} for y in (2023, 2024, 2025)], start=2022
)
# 004: 全省科技特派员队伍动态保持在1万人左右 (2023-2025), band ±10 %
ENVOYS = spec(
    Kind.MAINTAIN, AROUND, [{"year": y, "value": 1} for y in (2023, 2024, 2025)], start=2022, tol=10
)
# 004: 到2025年，省级技术创新中心达到80个左右: a level reached, 左右 ±10 % on the final value
EIGHTY = {"year": 2025, "value": 80, "qualifiers": ["达到", "左右"]}
CENTRES = spec(Kind.LEVEL, UP, [EIGHTY], start=2022, tol=10)

CASES = [
    # name, target, observations, status, method, progress_ratio (or None to skip)
    (
        "R&D reaches 180",
        RD25,
        obs(("2024", 150), ("2025", 181)),
        Status.ACHIEVED,
        "cagr_ratio",
        31 / 30,
    ),
    (
        "R&D 170 of 180 in 2025: a final miss",
        RD25,
        obs(("2024", 150), ("2025", 170)),
        Status.NOT_ACHIEVED,
        "cagr_ratio",
        (170 / 150 - 1) / (180 / 150 - 1),
    ),
    (
        "R&D 170 in 2025: the headline moves to the 2030 path",
        RD,
        obs(("2024", 150), ("2025", 170)),
        Status.ON_TRACK,
        "cagr_ratio",
        (170 / 150 - 1) / ((280 / 150) ** (1 / 6) - 1),
    ),
    ("R&D falls", RD25, obs(("2024", 150), ("2025", 140)), Status.NOT_ACHIEVED, "cagr_ratio", None),
    (
        "R&D falls on the way to 2030",
        RD,
        obs(("2024", 150), ("2025", 140)),
        Status.DETERIORATION,
        "cagr_ratio",
        None,
    ),
    ("R&D: one figure is the baseline", RD, obs(("2024", 150)), Status.NO_DATA, "none", None),
    (
        "contribution 56 in 2023: on the binding path",
        CONTRIB,
        obs(("2023", 56)),
        Status.ON_TRACK,
        "cagr_ratio",
        ((56 / 54) ** 0.5 - 1) / ((58 / 54) ** 0.25 - 1),
    ),
    (
        "contribution 54.5 in 2023: stalled",
        CONTRIB,
        obs(("2023", 54.5)),
        Status.LIMITED_PROGRESS,
        "cagr_ratio",
        None,
    ),
    (
        "R&D intensity 1.0 in 2022 from 0.76 in 2020",
        RD_INTENSITY,
        obs(("2022", 1.0)),
        Status.ON_TRACK,
        "cagr_ratio",
        ((1 / 0.76) ** 0.5 - 1) / ((1.5 / 0.76) ** 0.2 - 1),
    ),
    (
        "STAR/BSE listings: binding 0 met",
        LISTED_STAR,
        obs(("2023", 0)),
        Status.ACHIEVED,
        "linear_ratio",
        None,
    ),
    (
        "rank 26 → 23 in two years, top 20 by 2030",
        TOP20,
        obs(("2024", 26), ("2026", 23)),
        Status.ON_TRACK,
        "cagr_ratio",
        ((23 / 26) ** 0.5 - 1) / ((20 / 26) ** (1 / 6) - 1),
    ),
    (
        "rank 26 → 28",
        TOP20,
        obs(("2024", 26), ("2026", 28)),
        Status.DETERIORATION,
        "cagr_ratio",
        None,
    ),
    ("rank 19: in the top 20", TOP20, obs(("2024", 19)), Status.ACHIEVED, "none", None),
    (
        "zone rank 128 → 125, top 115 by 2025",
        TOP115,
        obs(("2022", 128), ("2023", 125)),
        Status.NEEDS_ACCELERATION,
        "cagr_ratio",
        (125 / 128 - 1) / ((115 / 128) ** (1 / 3) - 1),
    ),
    (
        "rank 18 → 17: up 1",
        UP1,
        obs(("2024", 18), ("2025", 17)),
        Status.ACHIEVED,
        "linear_ratio",
        None,
    ),
    (
        "rank 18 → 19: down 1",
        UP1,
        obs(("2024", 18), ("2025", 19)),
        Status.NOT_ACHIEVED,
        "linear_ratio",
        -1.0,
    ),
    (
        "zone rank 30 → 29 in 2023, 2 places by 2025",
        UP2,
        obs(("2022", 30), ("2023", 29)),
        Status.ON_TRACK,
        "linear_ratio",
        (1 / 1) / (2 / 3),
    ),
    (
        "500 listed a year: 1000 of 3000 by 2026",
        LISTED,
        obs(("2025", 500), ("2026", 500)),
        Status.ON_TRACK,
        "linear_ratio",
        1.0,
    ),
    (
        "150 listed a year",
        LISTED,
        obs(("2025", 150), ("2026", 150)),
        Status.LIMITED_PROGRESS,
        "linear_ratio",
        0.3,
    ),
    (
        "500 then 250 by June 2026: on the planned running total",
        LISTED,
        obs(("2025", 500), ("2026-06", 250)),
        Status.ON_TRACK,
        "linear_ratio",
        1.0,
    ),
    (
        "32 incubated in 2022: 2023 on its pace",
        INCUBATED,
        obs(("2022", 32)),
        Status.ON_TRACK,
        "yearly_pace",
        32 / 30,
    ),
    (
        "25 incubated in 2023",
        INCUBATED,
        obs(("2022", 32), ("2023", 25)),
        Status.NEEDS_ACCELERATION,
        "yearly_pace",
        25 / 30,
    ),
    (
        "15 by June 2024: half the year, half the target",
        INCUBATED,
        obs(("2023", 25), ("2024-06", 15)),
        Status.ON_TRACK,
        "yearly_pace",
        1.0,
    ),
    (
        "12 by Q3 2024",
        INCUBATED,
        obs(("2024-Q3", 12)),
        Status.LIMITED_PROGRESS,
        "yearly_pace",
        12 / 22.5,
    ),
    (
        "2 new varieties by 2023 of 3 by 2025",
        VARIETIES,
        obs(("2023", 2)),
        Status.ON_TRACK,
        "linear_ratio",
        (2 / 2) / (3 / 4),
    ),
    (
        "3 new varieties: the floor of 3-5",
        VARIETIES,
        obs(("2025", 3)),
        Status.ACHIEVED,
        "linear_ratio",
        None,
    ),
    (
        "no consortium by 2023",
        CONSORTIA,
        obs(("2023", 0)),
        Status.LIMITED_PROGRESS,
        "linear_ratio",
        0.0,
    ),
    ("one consortium by 2024", CONSORTIA, obs(("2024", 1)), Status.ACHIEVED, "linear_ratio", None),
    (
        "growth 16.2 % in 2023: 2024 on its pace",
        NEW_AREA,
        obs(("2023", 16.2)),
        Status.ON_TRACK,
        "rate_ratio",
        16.2 / 15,
    ),
    (
        "growth 11 % in 2024",
        NEW_AREA,
        obs(("2023", 16.2), ("2024", 11)),
        Status.NEEDS_ACCELERATION,
        "rate_ratio",
        11 / 15,
    ),
    (
        "growth -1 % in 2024",
        NEW_AREA,
        obs(("2024", -1)),
        Status.DETERIORATION,
        "rate_ratio",
        -1 / 15,
    ),
    ("envoys 1.05万 in 2023", ENVOYS, obs(("2023", 1.05)), Status.ON_TRACK, "band", None),
    (
        "envoys 0.95 → 0.85: below the band and falling",
        ENVOYS,
        obs(("2023", 0.95), ("2024", 0.85)),
        Status.DETERIORATION,
        "band_path",
        None,
    ),
    (
        "envoys 1.15万: too many is off too",
        ENVOYS,
        obs(("2024", 1.15)),
        Status.NEEDS_ACCELERATION,
        "band",
        None,
    ),
    ("envoys 1.5万: far above", ENVOYS, obs(("2024", 1.5)), Status.LIMITED_PROGRESS, "band", None),
    (
        "centres 60 → 68 on the way to 80 by 2025",
        CENTRES,
        obs(("2023", 60), ("2024", 68)),
        Status.NEEDS_ACCELERATION,
        "cagr_ratio",
        (68 / 60 - 1) / ((80 / 60) ** 0.5 - 1),
    ),
    (
        "centres 74 in 2025: within 左右",
        CENTRES,
        obs(("2024", 68), ("2025", 74)),
        Status.ACHIEVED,
        "cagr_ratio",
        None,
    ),
    (
        "centres 70 in 2025: short of 80 左右",
        CENTRES,
        obs(("2024", 68), ("2025", 70)),
        Status.NOT_ACHIEVED,
        "cagr_ratio",
        None,
    ),
    ("centres 95 in 2024: more is fine", CENTRES, obs(("2024", 95)), Status.ACHIEVED, "none", None),
]


@pytest.mark.parametrize(
    ("name", "target", "observations", "status", "method", "ratio"),
    CASES,
    ids=[c[0] for c in CASES],
)
def test_seed_worked_examples(name, target, observations, status, method, ratio) -> None:
    result = assess(target, observations, soon_after(observations))
    assert result.status is status, result.explanation_en
    assert result.method == method
    if ratio is not None:
        assert result.progress_ratio == pytest.approx(ratio, rel=1e-3)


def test_every_kind_has_a_worked_example() -> None:
    kinds = {c[1].kind for c in CASES}
    assert kinds == set(Kind)


def test_rd_final_gap_and_the_2030_result() -> None:
    observations = obs(("2024", 150), ("2025", 170))
    result = assess(RD, observations, soon_after(observations))
    first, later = result.years
    assert first.status is Status.NOT_ACHIEVED
    assert (first.tiers["none"].planned, first.tiers["none"].gap) == (180, -10)
    assert first.tiers["none"].gap_pct == pytest.approx(-10 / 180 * 100)
    assert first.tiers["none"].final and not later.tiers["none"].final
    assert later.year == result.target_year == 2030
    # 150 → 170 in a year against 150 → 280 in six: 13.3 % a year of the 10.97 % needed
    assert later.tiers["none"].progress_ratio == pytest.approx(
        (170 / 150 - 1) / ((280 / 150) ** (1 / 6) - 1)
    )
    assert later.tiers["none"].planned == pytest.approx(150 + 130 / 6)
    assert later.tiers["none"].required_growth_pct == pytest.approx(((280 / 170) ** 0.2 - 1) * 100)
    assert later.status is Status.ON_TRACK


def test_headline_moves_to_2030_once_2025_has_passed() -> None:
    result = assess(RD, obs(("2024", 150), ("2025", 181), ("2026", 200)), AS_OF)
    assert result.target_year == 2030 and result.target_value == 280
    assert result.planned == pytest.approx(150 + 130 * 2 / 6)
    assert [y.year for y in result.years] == [2025, 2030]
    assert result.years[0].status is Status.ACHIEVED


def test_baiyin_tiers_binding_is_the_headline() -> None:
    observations = obs(("2023", 56))
    result = assess(CONTRIB, observations, soon_after(observations))
    assert set(result.tiers) == {"binding", "expected"}
    assert result.tiers["binding"].planned == pytest.approx(56)
    assert result.tiers["binding"].gap == pytest.approx(0)
    assert result.tiers["expected"].planned == pytest.approx(54 + 11 / 2)
    assert result.tiers["expected"].status is Status.LIMITED_PROGRESS
    assert result.tier == "binding" and result.status is Status.ON_TRACK
    assert result.baseline_year == 2021 and result.baseline_value == 54
    assert "约束值58%" in result.explanation_zh and "binding target 58%" in result.explanation_en


def test_baiyin_tiers_are_final_each_on_its_own_value() -> None:
    # 2025: 60 meets the binding 58 and misses the expected 65
    result = assess(CONTRIB, obs(("2023", 56), ("2025", 60)), date(2026, 1, 15))
    tiers = result.years[0].tiers
    assert tiers["binding"].status is Status.ACHIEVED
    assert tiers["expected"].status is Status.NOT_ACHIEVED and tiers["expected"].gap == -5
    assert result.status is Status.ACHIEVED and result.tier == "binding"


def test_baiyin_starred_baseline_is_2020() -> None:
    observations = obs(("2022", 1.0))
    result = assess(RD_INTENSITY, observations, soon_after(observations))
    assert result.baseline_year == 2020
    assert result.tiers["binding"].planned == pytest.approx(0.76 + 0.74 * 2 / 5)
    assert result.tiers["expected"].status is Status.NEEDS_ACCELERATION


def test_zero_base_uses_the_linear_method_and_says_so() -> None:
    observations = obs(("2023", 0))
    result = assess(LISTED_STAR, observations, soon_after(observations))
    assert result.tiers["expected"].method == "linear_ratio"
    assert result.tiers["expected"].progress_ratio == 0
    assert any("linear" in n for n in result.notes)
    zero = obs(("2024", 0), ("2025", 100))
    level_zero = assess(RD, zero, date(2025, 6, 1))
    assert level_zero.method == "linear_ratio"
    assert any("linear" in n for n in level_zero.notes)


def test_places_gained_count_from_the_plan_baseline_when_given() -> None:
    with_base = spec(Kind.RANKING_CHANGE, UP, [{"year": 2025, "value": 1}], baseline=(2024, 18))
    result = assess(with_base, obs(("2025", 17)), AS_OF)
    assert result.status is Status.ACHIEVED and result.latest_value == 1


def test_cumulative_counts_only_the_plan_period() -> None:
    result = assess(LISTED, obs(("2024", 900), ("2025", 500), ("2026", 500)), AS_OF)
    assert result.latest_value == 1000  # 2024 is before the plan period (start 2024)


def test_yearly_flow_judges_each_year_on_its_own_figure() -> None:
    observations = obs(("2022", 32), ("2023", 25), ("2024", 31))
    result = assess(INCUBATED, observations, soon_after(observations))
    statuses = {y.year: y.status for y in result.years}
    assert statuses[2022] is Status.ACHIEVED
    assert statuses[2023] is Status.NOT_ACHIEVED  # 25 of 30: the year is over
    assert statuses[2024] is Status.ACHIEVED
    assert statuses[2025] is Status.ON_TRACK  # 2024's 31 is the pace; 2025 not yet reported
    assert result.target_year == 2025
    gap_year = assess(INCUBATED, obs(("2022", 32), ("2024", 31)), date(2025, 1, 15))
    assert {y.year: y.status for y in gap_year.years}[2023] is Status.NO_DATA


def test_year_to_date_is_compared_with_the_share_of_the_year() -> None:
    observations = obs(("2024-Q2", 12))
    result = assess(INCUBATED, observations, soon_after(observations))
    assert result.planned == pytest.approx(15) and result.projected == pytest.approx(24)
    assert any("50%" in n for n in result.notes)


def test_config_thresholds_decide_the_band() -> None:
    observations = obs(("2023", 55.5))  # ratio 0.77 on the binding path
    as_of = soon_after(observations)
    strict = AssessmentConfig(on_track=0.95, needs_acceleration=0.8)
    assert assess(CONTRIB, observations, as_of, strict).status is Status.LIMITED_PROGRESS
    lenient = AssessmentConfig(on_track=0.6)
    assert assess(CONTRIB, observations, as_of, lenient).status is Status.ON_TRACK


def test_compound_planned_path_is_configuration() -> None:
    config = AssessmentConfig(planned_path="compound")
    observations = obs(("2023", 56))
    result = assess(CONTRIB, observations, soon_after(observations), config)
    assert result.planned == pytest.approx(54 * (58 / 54) ** 0.5)


def test_projection_carries_the_recent_compound_trend() -> None:
    result = assess(RD, obs(("2024", 100), ("2025", 110), ("2026", 121)), AS_OF)
    assert result.target_year == 2030
    assert result.projected == pytest.approx(121 * 1.1**4)
    assert result.projected_share == pytest.approx((121 * 1.1**4 - 121) / (280 - 121))
    counted = assess(LISTED, obs(("2025", 500), ("2026", 500)), AS_OF)
    assert counted.projected == pytest.approx(3000)  # a steady 500 a year, not compounding


def test_statuses_are_ordered_worst_to_best() -> None:
    order = sorted(STATUS_ORDER, key=STATUS_ORDER.__getitem__)
    assert order[0] is Status.NO_DATA and order[-1] is Status.ACHIEVED


def test_explanation_reads_like_a_sentence() -> None:
    unit_rd = RD25.model_copy(update={"unit": "亿元"})
    observations = obs(("2024", 150), ("2025", 170))
    result = assess(unit_rd, observations, soon_after(observations))
    final = "未达标：2025年目标180亿元，2025年实际170亿元，差10亿元（-5.6%）。"
    assert result.explanation_zh == final
    assert "2025 actual 170 亿元, 10 亿元 short" in result.explanation_en
    ahead = spec(Kind.LEVEL, UP, [{"year": 2027, "value": 180}], baseline=(2024, 150), unit="亿元")
    observations = obs(("2025", 157))
    result = assess(ahead, observations, soon_after(observations))
    assert result.explanation_zh.startswith("需加快进度：2027年目标180亿元，最新值（2025）157亿元")
    assert "按规划路径应为160亿元，落后3亿元" in result.explanation_zh
    assert "需年均增长7.1%方能达标" in result.explanation_zh  # (180 / 157) ** (1 / 2) - 1
    assert "7.1% a year needed to reach it" in result.explanation_en
