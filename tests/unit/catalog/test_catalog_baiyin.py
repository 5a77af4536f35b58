"""Spot checks of the Baiyin plan (001) against its own text.

Each row is read from the seed by hand: the indicator table 强科技行动主要指标 (one cell per
line, header repeated before row 9, no unit cell in rows 9 and 13-16), the numbered tasks with
their 责任单位, and the 牵头单位 column of the annex 重点任务清单.
"""

from __future__ import annotations

import pytest

from planwatch.catalog import default_catalog
from planwatch.domain.model import CatalogEntry

CATALOG = default_catalog()
SEED = "001_fd0cc3fdc3d1199c.txt"


def _entry(entry_id: str) -> CatalogEntry:
    entry = CATALOG.get(entry_id)
    assert entry is not None, f"{entry_id} is missing from the catalog"
    return entry


# (id, section, baseline (year, value) or None, binding 2025, expected 2025, unit)
TABLE_ROWS = [
    ("baiyin-tech-progress-contribution", "主要指标 第1行", (2021, 54), 58, 65, "%"),
    ("baiyin-innovation-index", "主要指标 第2行", (2021, 47.81), 55, 60, "%"),
    ("baiyin-enterprise-rd-share", "主要指标 第3行", (2020, 68.9), 70, 75, "%"),
    ("baiyin-rd-intensity", "主要指标 第4行", (2020, 0.76), 1.5, 1.8, "%"),
    ("baiyin-fiscal-st-share", "主要指标 第5行", (2021, 0.48), 1, 1.3, "%"),
    ("baiyin-rd-personnel-per-10k-employed", "主要指标 第8行", (2020, 7.62), 15, 20, "人年"),
    # first row after the repeated header; its unit cell is empty
    ("baiyin-high-value-patents-per-10k", "主要指标 第9行", (2021, 1.13), 1.32, 1.5, "件"),
    ("baiyin-new-product-sales-share", "主要指标 第10行", (2020, 9.05), 12, 15, "%"),
    ("baiyin-tech-contract-turnover", "主要指标 第12行", (2021, 7.36), 10, 13, "亿元"),
    ("baiyin-provincial-innovative-enterprises", "主要指标 第14行", (2021, 21), 88, 100, "家"),
    ("baiyin-star-bse-listed", "主要指标 第16行", (2021, 0), 0, 1, "家"),
]


@pytest.mark.parametrize(
    ("entry_id", "section", "baseline", "binding", "expected", "unit"), TABLE_ROWS
)
def test_table_row(
    entry_id: str,
    section: str,
    baseline: tuple[int, float],
    binding: float,
    expected: float,
    unit: str,
) -> None:
    entry = _entry(entry_id)
    assert entry.section == section
    assert entry.unit == unit and entry.kind.value == "level" and entry.direction.value == "higher"
    assert entry.baseline is not None
    assert (entry.baseline.year, entry.baseline.value) == baseline
    # a starred cell is a 2020 figure and says so
    assert (entry.baseline.note is not None) == (baseline[0] == 2020)
    by_tier = {(t.year, t.tier.value if t.tier else None): t.value for t in entry.targets}
    assert by_tier == {(2025, "binding"): binding, (2025, "expected"): expected}
    # the quote starts at the serial-number line and ends on the expected cell
    row_number = section.removeprefix("主要指标 第").removesuffix("行")
    assert entry.source_quote.splitlines()[0] == row_number
    assert entry.source_quote.rstrip("家").endswith(str(expected).removesuffix(".0"))


# (id, year, value, value_max, tier, kind, direction, unit, lead, jurisdiction)
TASK_TARGETS = [
    # 专栏1 第2条: 建设省级技术创新中心等创新平台10个以上 (task 2, lead 市科技局)
    (
        "baiyin-provincial-innovation-platforms",
        2025,
        10,
        None,
        None,
        "build_count",
        "higher",
        "个",
        "市科技局",
        "白银市",
    ),
    # 三(一)5: 国有工业企业研发经费支出占主营业务收入比重达到3%
    (
        "baiyin-soe-rd-revenue-share",
        2025,
        3,
        None,
        None,
        "level",
        "higher",
        "%",
        "市科技局",
        "白银市",
    ),
    # 专栏2 第1条: 每年孵化中小企业30家以上 -> a target in every year of the plan
    (
        "baiyin-smes-incubated",
        2023,
        30,
        None,
        None,
        "yearly_flow",
        "higher",
        "家",
        "市科技局",
        "白银市",
    ),
    # 三(一)7: 白银高新区工业总产值达到1000亿元; 附件 1.7 leads: 白银高新区管委会、市科技局
    (
        "baiyin-hitech-zone-industrial-output",
        2025,
        1000,
        None,
        None,
        "level",
        "higher",
        "亿元",
        "白银高新区管委会",
        "白银高新区",
    ),
    (
        "baiyin-hitech-zone-national-rank",
        2025,
        115,
        None,
        None,
        "ranking",
        "lower",
        "位",
        "白银高新区管委会",
        "白银高新区",
    ),
    # 三(二)11: body lists 市工信局 first, but 附件 2.4 names 市科技局、市工信局 as 牵头单位
    (
        "baiyin-equipment-new-products",
        2025,
        10,
        None,
        None,
        "new_items",
        "higher",
        "个",
        "市科技局",
        "白银市",
    ),
    # 三(二)14: 新品种3-5个左右; 附件 2.7 leads: 市农业农村局、市科技局
    (
        "baiyin-new-varieties",
        2025,
        3,
        5,
        None,
        "new_items",
        "higher",
        "个",
        "市农业农村局",
        "白银市",
    ),
    (
        "baiyin-envoy-corps",
        2025,
        500,
        None,
        None,
        "maintain",
        "around",
        "人",
        "市农业农村局",
        "白银市",
    ),
    # 三(三)17: 打造一支规模在100名左右的首席专家队伍 (责任单位 starts with 市委组织部): a team
    # built up to about 100, a level reached; 左右 forgives a little short, more is no miss
    (
        "baiyin-chief-experts",
        2025,
        100,
        None,
        None,
        "level",
        "higher",
        "名",
        "市委组织部",
        "白银市",
    ),
    # 三(四)22: 每家省级技术转移机构每年技术交易额不少于3000万元
    (
        "baiyin-transfer-agency-turnover",
        2024,
        3000,
        None,
        None,
        "yearly_flow",
        "higher",
        "万元",
        "市科技局",
        "白银市",
    ),
    # 三(四)24: 培育建设1-2个企业创新联合体 (task not in the annex: first unit leads)
    (
        "baiyin-enterprise-consortia",
        2025,
        1,
        2,
        None,
        "build_count",
        "higher",
        "个",
        "市科技局",
        "白银市",
    ),
    # 三(四)25: 执业专利代理师达到10名以上
    (
        "baiyin-patent-attorneys",
        2025,
        10,
        None,
        None,
        "level",
        "higher",
        "名",
        "市市场监管局",
        "白银市",
    ),
    # 三(五)32: 力争……市、县本级……达到2%、1%,白银高新区达到5%
    (
        "baiyin-city-level-fiscal-st-share",
        2025,
        2,
        None,
        "expected",
        "level",
        "higher",
        "%",
        "市财政局",
        "白银市",
    ),
    (
        "baiyin-county-level-fiscal-st-share",
        2025,
        1,
        None,
        "expected",
        "level",
        "higher",
        "%",
        "市财政局",
        "白银市各县区",
    ),
    (
        "baiyin-hitech-zone-fiscal-st-share",
        2025,
        5,
        None,
        "expected",
        "level",
        "higher",
        "%",
        "市财政局",
        "白银高新区",
    ),
]


@pytest.mark.parametrize(
    (
        "entry_id",
        "year",
        "value",
        "value_max",
        "tier",
        "kind",
        "direction",
        "unit",
        "lead",
        "jurisdiction",
    ),
    TASK_TARGETS,
)
def test_task_target(
    entry_id: str,
    year: int,
    value: float,
    value_max: float | None,
    tier: str | None,
    kind: str,
    direction: str,
    unit: str,
    lead: str,
    jurisdiction: str,
) -> None:
    entry = _entry(entry_id)
    assert (entry.kind.value, entry.direction.value, entry.unit) == (kind, direction, unit)
    assert entry.jurisdiction == jurisdiction
    assert entry.lead_agencies[0] == lead
    assert set(entry.lead_agencies) <= set(entry.responsible_agencies)
    matching = [t for t in entry.targets if t.year == year]
    assert len(matching) == 1, entry.targets
    target = matching[0]
    assert (target.value, target.value_max) == (value, value_max)
    assert (target.tier.value if target.tier else None) == tier


def test_yearly_flows_cover_every_year_after_the_baseline() -> None:
    for entry_id in ("baiyin-smes-incubated", "baiyin-transfer-agency-turnover"):
        assert [t.year for t in _entry(entry_id).targets] == [2022, 2023, 2024, 2025]


def test_goals_paragraph_repeats_the_table_and_adds_no_entry() -> None:
    entries = [e for e in CATALOG if e.plan_code == "baiyin"]
    assert not any(e.section.startswith("二") for e in entries)
    # the goals' 65 % / 60 % / 75 % are the expected cells of table rows 1-3
    expected = {
        e.id: t.value
        for e in entries
        if e.section in {"主要指标 第1行", "主要指标 第2行", "主要指标 第3行"}
        for t in e.targets
        if t.tier is not None and t.tier.value == "expected"
    }
    assert expected == {
        "baiyin-tech-progress-contribution": 65,
        "baiyin-innovation-index": 60,
        "baiyin-enterprise-rd-share": 75,
    }


def test_table_rows_restated_by_a_task_carry_its_units() -> None:
    # 三(四)22 restates 技术合同成交额 13亿元 (责任单位:市科技局)
    assert _entry("baiyin-tech-contract-turnover").lead_agencies == ("市科技局",)
    # rows the plan assigns to no unit stay without agencies
    assert _entry("baiyin-tech-progress-contribution").responsible_agencies == ()


def test_every_entry_belongs_to_the_baiyin_seed() -> None:
    entries = [e for e in CATALOG if e.plan_code == "baiyin"]
    assert len(entries) >= 55  # 16 table rows and 39 task targets
    assert {e.start_year for e in entries} == {2021}
    assert all(e.id.startswith("baiyin-") for e in entries)
    plan = next(p for p in CATALOG.plans.values() if p.code == "baiyin")
    assert plan.seed == SEED and (plan.start_year, plan.end_year) == (2021, 2025)
