"""The plan catalog as typed values: plans, agencies, targets and the entries that hold them.

Pure data: no I/O. The loader in ``planwatch.catalog`` builds these from the YAML files.
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from planwatch.domain.chinese import to_simplified, to_traditional

__all__ = [
    "Agency",
    "AgencyKind",
    "Baseline",
    "CatalogEntry",
    "Direction",
    "Frequency",
    "Kind",
    "LeadBasis",
    "Plan",
    "Statistic",
    "Target",
    "Tier",
    "one_line",
]

ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def one_line(quote: str) -> str:
    """A source quote on one line: a table row, kept by the catalog one cell per line as the
    seed has it, becomes its cells joined by " ｜ "; other text is left as it is."""
    cells = [cell.strip() for cell in re.split(r"\s*\n\s*", quote.strip()) if cell.strip()]
    return " ｜ ".join(cells) if len(cells) > 1 else quote.strip()


class Kind(StrEnum):
    """How a plan states the goal; decides which assessment formula applies."""

    LEVEL = "level"  # 达到 X: a level reached by a year
    CUMULATIVE = "cumulative"  # 累计: running total of yearly flows over the period
    YEARLY_FLOW = "yearly_flow"  # 每年: each year's flow against the yearly target
    NEW_ITEMS = "new_items"  # 新增 / 新建 / 引进: increment since the plan start
    BUILD_COUNT = "build_count"  # 建设 N 个…: a count of things to build over the period
    RANKING = "ranking"  # 进入前 N 位: a rank, lower is better
    RANKING_CHANGE = "ranking_change"  # 提升 N 位: places gained since the plan start
    GROWTH_RATE = "growth_rate"  # 增速 / 增长率: an annual growth rate in %
    MAINTAIN = "maintain"  # 保持在 X 左右: a level kept inside a band


class Direction(StrEnum):
    HIGHER = "higher"  # higher is better
    LOWER = "lower"  # lower is better (rankings, costs)
    AROUND = "around"  # inside a band around the value; too high is off too


class Tier(StrEnum):
    BINDING = "binding"  # 约束值 / 约束性: the floor the government commits to
    EXPECTED = "expected"  # 预期值 / 预期性 / 力争: the ambition


class Frequency(StrEnum):
    """How often the reporting bureau owes a figure; drives overdue detection."""

    ANNUAL = "annual"
    QUARTERLY = "quarterly"
    MONTHLY = "monthly"


class Statistic(StrEnum):
    """What kind of statistic a figure is: decides when it can first exist (the reporting
    calendar's default lag, ``planwatch.domain.calendar``) and who publishes it."""

    RD_SURVEY = "rd_survey"  # R&D spending, intensity, R&D personnel, 科技进步贡献率
    STATISTICS = "statistics"  # the statistical communiqué: GDP, growth, listed firms
    YEARBOOK = "yearbook"  # yearbook tables: shares among 规上 firms, new-product sales
    FISCAL = "fiscal"  # the final accounts (决算): fiscal S&T spending shares
    TECH_MARKET = "tech_market"  # technology contracts registered (技术合同认定登记)
    EVALUATION = "evaluation"  # national evaluations and rankings, published late
    PLAN_OFFICE = "plan_office"  # counts the responsible department keeps: known at year end


class LeadBasis(StrEnum):
    """Where an entry's lead agency comes from."""

    SENTENCE = "sentence"  # the plan's sentence or table row names it (牵头单位, 责任单位)
    ORGANISER = "organiser"  # the body that organises the plan (goals paragraphs name none)


class AgencyKind(StrEnum):
    DEPARTMENT = "department"  # a government department or office that can answer
    GOVERNMENT = "government"  # a people's government or a zone's administrative committee
    STATISTICS = "statistics"  # a statistics bureau: publishes figures
    SUPERVISOR = "supervisor"  # a leading group or its office: supervises the plan
    COLLECTIVE = "collective"  # several bodies named together (各市州政府): copied, never lead


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Agency(_Frozen):
    """One body named in the plans. Contact channels are configuration, never catalog data."""

    id: str
    name: str  # short name as the plans write it, Simplified characters
    name_traditional: str | None = None  # as written in the Traditional seeds (002, 003)
    official_name: str | None = None  # the body's full official name, Simplified
    name_en: str
    aliases: tuple[str, ...] = ()  # other spellings found in the seeds
    level: str = "province"  # province | city | zone | county | national
    kind: AgencyKind = AgencyKind.DEPARTMENT

    @property
    def all_names(self) -> tuple[str, ...]:
        """Every spelling that names the body: short and official names, both scripts, the
        aliases (each alias in both scripts too)."""
        written = [self.name, self.name_traditional, self.official_name, *self.aliases]
        names: list[str] = []
        for text in written:
            if text:
                names += [text, to_simplified(text), to_traditional(text)]
        return tuple(dict.fromkeys(names))

    @property
    def can_lead(self) -> bool:
        """A body that can be held responsible on its own (not a list of bodies)."""
        return self.kind is not AgencyKind.COLLECTIVE


class Baseline(_Frozen):
    year: int
    value: float
    note: str | None = None  # e.g. "* 为2020年数据"


class Target(_Frozen):
    year: int
    value: float
    value_max: float | None = None  # upper bound of a range such as 3-5个
    tier: Tier | None = None
    qualifiers: tuple[str, ...] = ()  # words as written: 达到, 以上, 左右, 力争, 突破, 累计 …
    quote: str | None = None  # the sentence of this target when it differs from the entry's

    @model_validator(mode="after")
    def _range_ordered(self) -> Target:
        if self.value_max is not None and self.value_max < self.value:
            raise ValueError(f"value_max {self.value_max} is below value {self.value}")
        return self


class Plan(_Frozen):
    code: str  # short ASCII prefix of every entry id of this plan, e.g. "gs25"
    seed: str  # file name of the plan text under planwatch/catalog/seeds
    title: str
    title_en: str
    document_no: str | None = None
    jurisdiction: str  # the issuing jurisdiction; entries default to it
    # the body that organises the plan: the lead of entries whose sentence names none
    # (lead_basis: organiser), with the seed's words that make it so
    organiser: tuple[str, ...] = ()
    organiser_quote: str | None = None
    # the body that supervises the plan (leading group office, 督办): escalations go there
    supervisor: str | None = None
    supervisor_quote: str | None = None
    # the statistics bureau that publishes the plan's statistical figures
    statistics_bureau: str | None = None
    start_year: int  # counting of 新增 / 累计 / 提升 starts after the end of this year
    end_year: int


class CatalogEntry(_Frozen):
    """One quantified target: a (jurisdiction, indicator) of one plan with its yearly targets."""

    id: str
    plan: str  # plan title
    plan_code: str
    seed: str
    section: str
    jurisdiction: str
    indicator: str  # as written in the seed
    indicator_simplified: str
    indicator_en: str
    unit: str
    kind: Kind
    direction: Direction
    frequency: Frequency = Frequency.ANNUAL
    baseline: Baseline | None = None
    targets: tuple[Target, ...] = Field(min_length=1)
    responsible_agencies: tuple[str, ...] = ()
    lead_agencies: tuple[str, ...] = ()
    lead_basis: LeadBasis = LeadBasis.SENTENCE
    # the seed's words that name the lead (the task's 牵头单位, or the plan's organiser)
    lead_quote: str | None = None
    co_responsible: tuple[str, ...] = ()  # 配合单位: copied on alerts with the responsible
    source_quote: str
    source_quote_simplified: str = ""  # the quote in Simplified, beside it as written
    unit_as_written: str | None = None  # the unit as the plan wrote it, when not Simplified
    # the statistic this target is measured by: one id that bureaus report once, shared by
    # the targets of several plans (defaults to the entry's id)
    series: str = ""
    statistic: Statistic = Statistic.PLAN_OFFICE
    publisher: str = ""  # the body that publishes the figure (registry name)
    supervisor: str | None = None  # the body that supervises the plan (escalations)
    start_year: int  # the plan's start; baseline for 新增 / 累计 / 提升 when no baseline is given
    tolerance_pct: float | None = None  # band half-width in % of the value, for 左右 / maintain
    note: str | None = None

    @field_validator("id")
    @classmethod
    def _ascii_id(cls, value: str) -> str:
        if not ID_PATTERN.match(value):
            raise ValueError(f"id {value!r} must be lowercase ASCII words joined by '-'")
        return value

    @model_validator(mode="after")
    def _targets_sorted(self) -> CatalogEntry:
        keys = [(t.year, t.tier or "") for t in self.targets]
        if len(set(keys)) != len(keys):
            raise ValueError(f"{self.id}: two targets share a year and tier")
        return self

    @property
    def target_years(self) -> tuple[int, ...]:
        return tuple(sorted({t.year for t in self.targets}))

    def targets_for(self, year: int) -> tuple[Target, ...]:
        return tuple(t for t in self.targets if t.year == year)

    @property
    def first_year(self) -> int:
        return self.start_year + 1

    @property
    def last_year(self) -> int:
        return max(self.target_years)

    def snapshot(self) -> dict[str, object]:
        """The target as it stood when an event was made, frozen onto that event."""
        return self.model_dump(mode="json")
