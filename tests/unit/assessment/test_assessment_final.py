"""Every rule of the final verdicts, on the real catalog entries of the five plans.

One row per worked example: the entry (its sentence in the comment), the figures, the day the
plan office reads them, the year whose verdict is checked (None: the headline), the status and
a piece of the Chinese sentence it must contain. The numbers are worked by hand in the comment.
"""

from __future__ import annotations

from datetime import date

import pytest

from planwatch.catalog import default_catalog
from planwatch.domain.assessment import assess
from planwatch.domain.assessment_model import Observation
from planwatch.domain.events import Status

CATALOG = default_catalog()
A, N = Status.ACHIEVED, Status.NOT_ACHIEVED


def obs(*pairs: tuple[str, float]) -> list[Observation]:
    return [Observation(period=p, value=v) for p, v in pairs]


CASES = [
    # --- a target year complete: final on its own figure --------------------------------------
    # 000 “2025年,省级科技创新型企业达到1800家”: 1,500 in 2025 is 300 short
    ("gsbase-provincial-innovative-enterprises", obs(("2025", 1500)), date(2026, 7, 1), None, N,
     "2025年实际1,500家，差300家（-16.7%）"),
    # … and reached: 1,820
    ("gsbase-provincial-innovative-enterprises", obs(("2024", 1600), ("2025", 1820)),
     date(2026, 3, 1), None, A, "2025年实际1,820家，超出20家"),
    # 000 R&D 180亿元 (2025) then 280亿元 (2030): 170 misses 2025 for good; 190 in 2026 does not
    # mend it, and the headline moves to 2030
    ("gsbase-rd-expenditure", obs(("2024", 150), ("2025", 170), ("2026", 190)),
     date(2027, 1, 15), 2025, N, "进度正常：2030年目标280亿元，最新值（2026）190亿元"),
    # … and the missed year stays in the sentence while 2030 is judged (170 against 180 is 10
    # short)
    ("gsbase-rd-expenditure", obs(("2024", 150), ("2025", 170), ("2026", 190)),
     date(2027, 1, 15), None, Status.ON_TRACK,
     "2025年目标180亿元未达标（2025年实际170亿元，差10亿元）"),
    # only the 2025 figure, 150: it is 2030's baseline, so 2030 cannot be judged yet; the
    # headline is the verdict there is, 2025's miss by 30, not 无数据
    ("gsbase-rd-expenditure", obs(("2025", 150)), date(2026, 12, 3), None, N,
     "未达标：2025年目标180亿元，2025年实际150亿元，差30亿元"),
    ("gsbase-rd-expenditure", obs(("2025", 150)), date(2026, 12, 3), None, N,
     "2030年目标280亿元尚待更多数据方能判断"),
    # 190 in 2025 alone: achieved is the headline, 2030 still to come
    ("gsbase-rd-expenditure", obs(("2025", 190)), date(2026, 12, 3), None, A,
     "已达标：2025年目标180亿元，2025年实际190亿元，超出10亿元"),
    # 001 table row 1: 科技进步贡献率 约束值58 / 预期值65; 60 in 2025 meets the binding tier only
    ("baiyin-tech-progress-contribution", obs(("2023", 56), ("2025", 60)), date(2026, 2, 1),
     None, A, "已达标：2025年约束值58%，2025年实际60%"),
    # 002 “地區生産總值達到1800億元以上” (2027): 1,750 in 2027
    ("lanbai-gdp", obs(("2026", 1650), ("2027", 1750)), date(2028, 2, 1), None, N,
     "差50亿元"),
    # --- the year passed without a figure: no verdict yet, the missing year named --------------
    ("lanbai-gdp", obs(("2025", 1500), ("2026", 1650)), date(2028, 6, 1), None,
     Status.NO_DATA, "缺少2027年数据"),
    # --- open: the required pace beside the projection ------------------------------------------
    # 002: 1,650 in 2026 needs 1800/1650 − 1 = 9.1 % in 2027
    ("lanbai-gdp", obs(("2025", 1500), ("2026", 1650)), date(2027, 1, 15), None,
     Status.ON_TRACK, "需年均增长9.1%方能达标"),
    # 003 “引進高水平創新團隊30個以上” (2027, from the end of 2024): 12 in 2025 is ahead of the
    # 10 a year planned; 18 more in two years: 9 a year
    ("qinghai-innovation-teams-introduced", obs(("2025", 12)), date(2026, 1, 15), None,
     Status.ON_TRACK, "需每年增加9个方能达标"),
    # --- floors kept each year --------------------------------------------------------------------
    # 004 “兰州新区经济增速保持在15%以上”: 14.5 % in 2023 is a miss for 2023, and no green
    # headline is drawn from it for 2024
    ("gs4p-lanzhou-new-area-growth", obs(("2023", 14.5)), date(2024, 3, 1), 2023, N,
     "未达标：2023年目标15%，2023年实际14.5%"),
    ("gs4p-lanzhou-new-area-growth", obs(("2023", 14.5), ("2024", 16)), date(2025, 3, 1), 2024,
     A, "进度正常：2025年目标15%，最新值（2024）16%"),
    # 001 “每年孵化中小企业30家以上”: 25 in 2023 misses 2023
    ("baiyin-smes-incubated", obs(("2022", 31), ("2023", 25)), date(2024, 2, 1), 2023, N,
     "需加快进度：2024年目标30家，最新值（2023）25家"),
    # --- counts with 左右: on the path from the start, 左右 on the final value only --------------
    # 004 “依托企业建设省重点实验室30家左右” (from the end of 2022): 12 one year in is ahead of
    # the 10 a year planned
    ("gs4p-enterprise-key-labs", obs(("2023", 12)), date(2024, 2, 1), None, Status.ON_TRACK,
     "最新值（2023）12家，按规划路径应为10家，超前2家"),
    # … 33 in 2025 is more than 30: achieved, never an alarm
    ("gs4p-enterprise-key-labs", obs(("2024", 20), ("2025", 33)), date(2026, 2, 1), None, A,
     "超出3家"),
    # … 28 in 2025 is within 左右 (±10 %: 27 meets it)
    ("gs4p-enterprise-key-labs", obs(("2025", 28)), date(2026, 2, 1), None, A, "差2家"),
    # 001 “引进省级科技特派员和“双地”科技特派员20人左右” (±20 %): 26 one year early
    ("baiyin-envoys-introduced", obs(("2024", 26)), date(2025, 2, 1), None, A,
     "最新值（2024）26人"),
    # 000 “实施研产融合科技攻关赋能计划项目10项左右” (±20 %): 7 is short of 8
    ("gsbase-industry-research-projects", obs(("2025", 7)), date(2026, 2, 1), None, N, "差3项"),
    # 004 “省级技术创新中心达到80个左右” (±10 %): 95 is more, achieved
    ("gs4p-tech-innovation-centres", obs(("2024", 70), ("2025", 95)), date(2026, 2, 1), None,
     A, "2025年实际95个"),
    # --- a band only for a level kept ------------------------------------------------------------
    # 001 “全市科技特派员队伍保持在500人左右” (±10 %): 560 is outside the band
    ("baiyin-envoy-corps", obs(("2024", 500), ("2025", 560)), date(2026, 2, 1), None, N,
     "2025年实际560人"),
    ("baiyin-envoy-corps", obs(("2025", 480)), date(2026, 2, 1), None, A, "2025年实际480人"),
    # --- rank gains: from the start-year rank, the rank shown -----------------------------------
    # 000 “2025年,综合科技创新水平全国排名提升1位” (from 2024)
    ("gsbase-innovation-rank-gain", obs(("2024", 27), ("2025", 26)), date(2026, 2, 1), None, A,
     "已达标：2025年目标提升1位，2025年排名第26位，较2024年提升1位"),
    ("gsbase-innovation-rank-gain", obs(("2024", 27), ("2025", 27)), date(2026, 2, 1), None, N,
     "2025年排名第27位，与2024年持平"),
    ("gsbase-innovation-rank-gain", obs(("2025", 26)), date(2026, 2, 1), None, Status.NO_DATA,
     "缺少2024年排名（规划起始年）"),
    # 004 “兰州…高新区…在国家综合排名分别力争提升2位” (from 2022): 30 → 29 in 2023
    ("gs4p-lanzhou-hitech-zone-rank-gain", obs(("2022", 30), ("2023", 29)), date(2024, 2, 1),
     None, Status.ON_TRACK, "2023年排名第29位，较2022年提升1位"),
    # --- running totals: a missing year is missing, never 0 --------------------------------------
    # 000 “挂牌交易科技成果500项” (2025), “累计达到3000项” (2030)
    ("gsbase-platform-listed-achievements", obs(("2025", 520), ("2027", 600)), date(2028, 2, 1),
     None, Status.NO_DATA, "缺少2026年数据"),
    ("gsbase-platform-listed-achievements", obs(("2025", 520), ("2027", 600)), date(2028, 2, 1),
     2025, A, None),
    ("gsbase-platform-listed-achievements", obs(("2025", 520), ("2026", 480)), date(2027, 1, 15),
     None, Status.ON_TRACK, "最新值（2026）480项，累计1,000项"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("entry_id", "observations", "as_of", "year", "status", "words"),
    CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)],
)
def test_final_rules_on_the_plans(
    entry_id: str,
    observations: list[Observation],
    as_of: date,
    year: int | None,
    status: Status,
    words: str | None,
) -> None:
    entry = CATALOG.get(entry_id)
    assert entry is not None, entry_id
    result = assess(entry, observations, as_of)
    got = result.status if year is None else next(y.status for y in result.years if y.year == year)
    assert got is status, result.explanation_zh
    if words is not None:
        assert words in result.explanation_zh


def test_the_years_list_carries_one_verdict_per_target_year() -> None:
    entry = CATALOG.get("gs4p-lanzhou-new-area-growth")
    result = assess(entry, obs(("2023", 16), ("2024", 14)), date(2025, 2, 1))
    data = result.to_dict()["years"]
    assert [(y["year"], y["status"]) for y in data] == [
        (2023, "achieved"),
        (2024, "not_achieved"),
        (2025, "needs_acceleration"),
    ]
    assert set(data[0]) == {"year", "status", "tiers"}
    assert data[1]["tiers"]["none"]["final"] is True and data[1]["tiers"]["none"]["gap"] == -1
