"""Spot checks of the four-programmes plan (seed 004) against a reading of its tasks and boxes."""

from __future__ import annotations

import pytest

from planwatch.catalog import default_catalog, seed_text
from planwatch.domain.model import Direction, Kind, Tier

CATALOG = default_catalog()
SEED = "004_81e778a0260b4087.txt"

# id, jurisdiction, year, value, value_max, tier, kind, unit, lead, the figure as the seed writes it
SPOT_CHECKS = [
    # 一1 到2025年，兰白两区地区生产总值力争突破1500亿元 (责任单位：兰白两区建设领导小组各成员单位)
    (
        "gs4p-lanbai-gdp",
        "兰白两区",
        2025,
        1500,
        None,
        Tier.EXPECTED,
        Kind.LEVEL,
        "亿元",
        "兰白两区建设领导小组各成员单位",
        "力争突破1500亿元",
    ),
    # 一1 兰州、白银高新区和兰州经济技术开发区…分别力争提升2位、5位、7位
    (
        "gs4p-lanzhou-etdz-rank-gain",
        "兰州经济技术开发区",
        2025,
        7,
        None,
        Tier.EXPECTED,
        Kind.RANKING_CHANGE,
        "位",
        "兰白两区建设领导小组各成员单位",
        "7位",
    ),
    # 一5 2023年，完成77家省级科技创新基地（第二批）优化整合
    (
        "gs4p-provincial-bases-consolidated",
        "甘肃省",
        2023,
        77,
        None,
        None,
        Kind.BUILD_COUNT,
        "家",
        "省科技厅",
        "完成77家",
    ),
    # 一5 全省新型研发机构达到50家
    (
        "gs4p-new-rd-institutions",
        "甘肃省",
        2025,
        50,
        None,
        None,
        Kind.LEVEL,
        "家",
        "省科技厅",
        "达到50家",
    ),
    # 专栏2 第8条 到2023年，选择3-5家创新主体 (box after 二2: 省科技厅、省教育厅、省人社厅)
    (
        "gs4p-talent-evaluation-pilots",
        "甘肃省",
        2023,
        3,
        5,
        None,
        Kind.BUILD_COUNT,
        "家",
        "省科技厅",
        "3-5家",
    ),
    # 二5 争取 2023 年各省属国有企业科技投入增长率达到 10% 以上
    (
        "gs4p-soe-rd-investment-growth",
        "甘肃省",
        2023,
        10,
        None,
        Tier.EXPECTED,
        Kind.GROWTH_RATE,
        "%",
        "省科技厅",
        "10% 以上",
    ),
    # 二5 2023 年力争…有研发活动的规上企业数量增加 150 家
    (
        "gs4p-firms-with-rd-added",
        "甘肃省",
        2023,
        150,
        None,
        Tier.EXPECTED,
        Kind.NEW_ITEMS,
        "家",
        "省科技厅",
        "增加 150 家",
    ),
    # 二6 省、市、县三级本级财政科技支出…分别达到 2.5%、2%、1% (责任单位：省财政厅、省科技厅)
    (
        "gs4p-county-fiscal-st-share",
        "甘肃省",
        2025,
        1,
        None,
        None,
        Kind.LEVEL,
        "%",
        "省财政厅",
        "1%",
    ),
    # 三3 疫苗生产品种增加到 8 个 (责任单位：省发展改革委、…)
    (
        "gs4p-vaccine-varieties",
        "甘肃省",
        2025,
        8,
        None,
        None,
        Kind.LEVEL,
        "个",
        "省发展改革委",
        "增加到 8 个",
    ),
    # 三7 畜禽新品种2-3个 (责任单位：省农业农村厅、…)
    (
        "gs4p-new-livestock-breeds",
        "甘肃省",
        2025,
        2,
        3,
        None,
        Kind.NEW_ITEMS,
        "个",
        "省农业农村厅",
        "2-3个",
    ),
    # 四2 全省技术合同成交额力争突破500亿元
    (
        "gs4p-tech-contract-turnover",
        "甘肃省",
        2025,
        500,
        None,
        Tier.EXPECTED,
        Kind.LEVEL,
        "亿元",
        "省科技厅",
        "力争突破500亿元",
    ),
    # 专栏11 第3条 每年举办技术经纪人培训不少于 2 次 (box after 四5: 省科技厅、省教育厅)
    (
        "gs4p-broker-training-sessions",
        "甘肃省",
        2024,
        2,
        None,
        None,
        Kind.YEARLY_FLOW,
        "次",
        "省科技厅",
        "不少于 2 次",
    ),
]


@pytest.mark.parametrize(
    (
        "entry_id",
        "jurisdiction",
        "year",
        "value",
        "value_max",
        "tier",
        "kind",
        "unit",
        "lead",
        "written",
    ),
    SPOT_CHECKS,
    ids=[row[0] for row in SPOT_CHECKS],
)
def test_gs4p_target_matches_the_plan(
    entry_id: str,
    jurisdiction: str,
    year: int,
    value: float,
    value_max: float | None,
    tier: Tier | None,
    kind: Kind,
    unit: str,
    lead: str,
    written: str,
) -> None:
    entry = CATALOG.get(entry_id)
    assert entry is not None, f"{entry_id} missing"
    assert entry.seed == SEED
    assert (entry.jurisdiction, entry.kind, entry.unit) == (jurisdiction, kind, unit)
    assert entry.direction is Direction.HIGHER
    [target] = entry.targets_for(year)
    assert (target.value, target.value_max, target.tier) == (value, value_max, tier)
    assert written in entry.source_quote
    if lead == "兰白两区建设领导小组各成员单位":
        # several bodies together: copied, and the plan's organiser leads
        assert entry.lead_agencies == ("省科技厅",) and entry.lead_basis.value == "organiser"
        assert lead in entry.responsible_agencies
    else:
        assert entry.lead_agencies == (lead,)


def test_gs4p_yearly_flows_are_due_every_year_of_the_plan() -> None:
    for entry_id in ("gs4p-broker-trainees", "gs4p-sci-tech-commissioners"):
        entry = CATALOG.get(entry_id)
        assert entry is not None, entry_id
        assert entry.kind is Kind.YEARLY_FLOW
        assert entry.target_years == (2023, 2024, 2025)
        assert all("每年" in t.qualifiers for t in entry.targets)


def test_gs4p_rd_firms_share_and_industrial_full_coverage_are_two_populations() -> None:
    # 2023: 有研发活动的规上企业占比 26.97% (all above-scale firms); 2025: 规模以上工业企业
    # 研发活动全覆盖 (industrial firms only): two series, not one
    share = CATALOG.get("gs4p-firms-with-rd-share")
    coverage = CATALOG.get("gs4p-industrial-firms-rd-coverage")
    assert share is not None and coverage is not None
    [first] = share.targets
    assert (first.year, first.value, first.tier) == (2023, 26.97, Tier.EXPECTED)
    [last] = coverage.targets
    assert (last.year, last.value) == (2025, 100) and "全覆盖" in last.qualifiers
    assert coverage.source_quote in seed_text(SEED) and share.series != coverage.series


def test_gs4p_missing_milestones_are_in_the_catalog() -> None:
    text = seed_text(SEED)
    for entry_id, value, words in (
        ("gs4p-basic-discipline-coverage", 4, "基础学科领域全覆盖"),
        ("gs4p-biologics-lot-release-centre", 1, "建成省生物制品批签发中心"),
    ):
        entry = CATALOG.get(entry_id)
        assert entry is not None, entry_id
        assert words in entry.source_quote and entry.source_quote in text
        assert [t.value for t in entry.targets] == [value]


def test_gs4p_about_targets_are_a_band_only_where_a_level_is_kept() -> None:
    # 保持在…左右 is a band: 全省科技特派员队伍动态保持在1万人左右
    envoys = CATALOG.get("gs4p-sci-tech-envoys")
    assert (envoys.kind, envoys.direction) == (Kind.MAINTAIN, Direction.AROUND)
    # 达到…左右 and 建设/培育…左右 are a level or a count: 左右 is a tolerance on the final value
    for entry_id, kind, value in (
        ("gs4p-tech-innovation-centres", Kind.LEVEL, 80),  # 省级技术创新中心达到80个左右
        ("gs4p-leading-talents", Kind.LEVEL, 130),  # 省拔尖领军人才队伍达到130人左右
        ("gs4p-enterprise-key-labs", Kind.BUILD_COUNT, 30),  # 依托企业建设省重点实验室30家左右
        ("gs4p-basic-discipline-centres", Kind.BUILD_COUNT, 10),  # 建设省基础学科研究中心10家左右
        ("gs4p-new-crop-varieties", Kind.NEW_ITEMS, 50),  # 培育…主要粮食作物新品种50个左右
    ):
        entry = CATALOG.get(entry_id)
        assert entry is not None, entry_id
        assert (entry.kind, entry.direction) == (kind, Direction.HIGHER), entry_id
        assert all(t.value == value and "左右" in t.qualifiers for t in entry.targets)


def test_gs4p_box_2_carries_the_units_of_task_2_2() -> None:
    assert "位：省科技厅、省教育厅、省人社厅)" in seed_text(SEED)
    entry = CATALOG.get("gs4p-leading-talents")
    assert entry is not None
    assert entry.responsible_agencies == ("省科技厅", "省教育厅", "省人社厅")


def test_gs4p_goals_of_part_3_are_led_by_the_organiser() -> None:
    # The 三 preamble has no 责任单位 parenthesis; its numbered tasks do. The plan's organiser
    # (甘肃省科学技术厅, first of the issuing bodies) leads the preamble's goals.
    entry = CATALOG.get("gs4p-key-technologies")
    assert entry is not None
    assert entry.lead_agencies == ("省科技厅",) and entry.lead_basis.value == "organiser"
    assert entry.lead_quote == "甘肃省科学技术厅"
    assert [(t.year, t.value, t.tier) for t in entry.targets] == [(2025, 100, Tier.EXPECTED)]


def test_gs4p_agencies_resolve_as_written() -> None:
    names = {n for e in CATALOG if e.plan_code == "gs4p" for n in e.responsible_agencies}
    assert names, "no agencies named"
    text = seed_text(SEED)
    for name in names:
        assert name in text, f"{name} is not written in the seed"
        assert CATALOG.agency(name, "gs4p") is not None, f"{name} has no registry record"
    members = CATALOG.agency("兰白两区建设领导小组各成员单位", "gs4p")
    assert members is not None and members.id == "gs-lbldxzcydw"


def test_new_processes_and_products_are_an_expected_target() -> None:
    # 三: 到 2025 年，力争……形成新工艺、新技术和新产品（新材料）100 个以上 — 力争: the ambition
    entry = default_catalog().get("gs4p-new-processes-products")
    assert entry is not None
    [target] = entry.targets
    assert (target.value, target.tier) == (100, Tier.EXPECTED) and "力争" in target.qualifiers
