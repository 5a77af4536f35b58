"""The statuses a plan office found wrong, one test per finding (issue 14, "measured").

Each case is the finding as reported: the target, the figures, the date of the assessment and
the verdict the plan office would sign.
"""

from __future__ import annotations

from datetime import date

import pytest

from planwatch.domain.assessment import TargetSpec, assess
from planwatch.domain.assessment_model import Observation
from planwatch.domain.events import Status
from planwatch.domain.model import Baseline, Direction, Kind

MID_2026 = date(2026, 7, 1)
UP = Direction.HIGHER


def spec(kind: Kind, targets: list[dict[str, object]], **extra: object) -> TargetSpec:
    return TargetSpec(kind=kind, direction=extra.pop("direction", UP), targets=targets, **extra)  # type: ignore[arg-type]


def obs(*pairs: tuple[str, float]) -> list[Observation]:
    return [Observation(period=p, value=v) for p, v in pairs]


def year(result: object, y: int) -> Status:
    return next(r.status for r in result.years if r.year == y)  # type: ignore[attr-defined]


def test_a_passed_target_year_missed_is_not_achieved_not_on_track() -> None:
    target = spec(
        Kind.LEVEL,
        [{"year": 2025, "value": 100}],
        baseline=Baseline(year=2021, value=80),
    )
    result = assess(target, obs(("2025", 99)), MID_2026)
    assert result.status is Status.NOT_ACHIEVED
    assert result.gap == pytest.approx(-1)
    assert "加快" not in result.explanation_zh and "未达标" in result.explanation_zh


def test_a_figure_only_for_the_target_year_below_the_target_is_a_miss() -> None:
    target = spec(Kind.LEVEL, [{"year": 2025, "value": 1800}], start_year=2024, unit="家")
    result = assess(target, obs(("2025", 1500)), MID_2026)
    assert result.status is Status.NOT_ACHIEVED
    assert result.gap == pytest.approx(-300)
    assert "2025年实际1,500家，差300家" in result.explanation_zh


def test_a_later_figure_does_not_achieve_an_earlier_years_missed_target() -> None:
    target = spec(
        Kind.LEVEL,
        [{"year": 2025, "value": 180}, {"year": 2030, "value": 280}],
        start_year=2024,
    )
    result = assess(target, obs(("2024", 150), ("2025", 170), ("2026", 190)), date(2027, 1, 5))
    assert year(result, 2025) is Status.NOT_ACHIEVED
    assert result.target_year == 2030


def test_a_completed_year_below_a_floor_is_not_achieved_and_the_headline_is_not_green() -> None:
    # 004: 兰州新区经济增速保持在15%以上 (2023-2025)
    target = spec(
        Kind.GROWTH_RATE, [{"year": y, "value": 15} for y in (2023, 2024, 2025)], start_year=2022
    )
    result = assess(target, obs(("2023", 14.5)), date(2024, 3, 1))
    assert year(result, 2023) is Status.NOT_ACHIEVED
    assert result.status not in (Status.ON_TRACK, Status.ACHIEVED)
    later = assess(target, obs(("2023", 14.5)), date(2024, 8, 1))
    assert later.status not in (Status.ON_TRACK, Status.ACHIEVED)


def test_counts_with_zuoyou_are_judged_on_the_path_from_the_start() -> None:
    # 004: 到2025年依托企业建设省重点实验室30家左右 (counted from the end of 2022)
    labs = spec(
        Kind.BUILD_COUNT, [{"year": 2025, "value": 30, "qualifiers": ["左右"]}], start_year=2022
    )
    first = assess(labs, obs(("2023", 12)), date(2024, 2, 1))
    assert first.status is Status.ON_TRACK, first.explanation_en
    # 001: 引进省级科技特派员和“双地”科技特派员20人左右 (from the end of 2021)
    twenty = {"year": 2025, "value": 20, "qualifiers": ["引进", "左右"]}
    envoys = spec(Kind.NEW_ITEMS, [twenty], start_year=2021)
    over = assess(envoys, obs(("2024", 26)), date(2025, 2, 1))
    assert over.status is Status.ACHIEVED
    final = assess(envoys, obs(("2025", 19)), MID_2026)
    assert final.status is Status.ACHIEVED  # within 左右 of 20


def test_a_year_to_date_figure_of_a_level_is_not_a_deterioration() -> None:
    # 000: 全社会研究与试验发展(R&D)经费投入达到180亿元 (2025): a yearly amount stated as a level
    target = spec(Kind.LEVEL, [{"year": 2025, "value": 180}], start_year=2024)
    result = assess(target, obs(("2024", 150), ("2025-Q2", 80)), date(2025, 8, 1))
    assert result.status is not Status.DETERIORATION
    assert result.latest_period == "2024"
    assert any("year-to-date" in n for n in result.notes)


def test_a_rank_gain_shows_the_reported_rank() -> None:
    # 000: 2025年,综合科技创新水平全国排名提升1位 (start 2024)
    target = spec(Kind.RANKING_CHANGE, [{"year": 2025, "value": 1}], start_year=2024, unit="位")
    result = assess(target, obs(("2024", 27), ("2025", 26)), MID_2026)
    assert result.status is Status.ACHIEVED
    assert "2025年排名第26位，较2024年提升1位" in result.explanation_zh
    assert "-1位" not in result.explanation_zh


def test_a_rank_gain_without_the_start_year_rank_names_it() -> None:
    target = spec(Kind.RANKING_CHANGE, [{"year": 2025, "value": 1}], start_year=2024, unit="位")
    result = assess(target, obs(("2025", 26)), MID_2026)
    assert result.status is Status.NO_DATA
    assert "2024年排名" in result.explanation_zh


def test_a_cumulative_target_with_a_missing_year_is_no_data_naming_it() -> None:
    # 000: 挂牌交易科技成果500项 (2025), 累计达到3000项 (2030)
    target = spec(
        Kind.CUMULATIVE,
        [{"year": 2025, "value": 500}, {"year": 2030, "value": 3000}],
        start_year=2024,
    )
    result = assess(target, obs(("2025", 520), ("2027", 600)), date(2028, 2, 1))
    assert year(result, 2025) is Status.ACHIEVED
    assert result.status is Status.NO_DATA
    assert "2026" in result.explanation_zh
    assert result.latest_value != 1120  # 2026 is not counted as 0
