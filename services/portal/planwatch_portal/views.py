"""What the pages show, from the catalog and what ingest answered. Pure functions.

Validation results come from ingest (its preview); here they are only said in Chinese, with the
field and the fix (``planwatch.domain.row_problems``). The status of an indicator after a
submission is the shared assessment (``planwatch.domain.assessment.assess``, the function the
evaluator runs) over the figures the bureau sent.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from planwatch.catalog import Catalog
from planwatch.domain.assessment import assess
from planwatch.domain.assessment_model import Observation
from planwatch.domain.model import CatalogEntry, Kind, one_line
from planwatch.domain.reporting import convention, target_text
from planwatch.domain.row_problems import STATUS_ZH, explain
from planwatch_portal.owed import Owed

__all__ = [
    "FIELDS",
    "FormRow",
    "OwedView",
    "PreviewRow",
    "ReceiptLine",
    "Sent",
    "definition",
    "owed_views",
    "preview_rows",
    "receipt_csv",
    "receipt_lines",
    "sent_figures",
    "status_of",
]

# the row fields the portal carries between preview and submission (ingest's own names)
FIELDS = ("indicator_id", "jurisdiction", "period", "value", "unit", "source", "comment")

_KIND_ZH = {
    Kind.LEVEL: "水平值：按年末（期末）水平考核，到目标年达到规划值",
    Kind.CUMULATIVE: "累计值：各年发生额之和，按累计总量考核",
    Kind.YEARLY_FLOW: "年度值：每年的发生额，逐年考核",
    Kind.NEW_ITEMS: "新增数：规划起始年以后新增的个数，按累计新增考核",
    Kind.BUILD_COUNT: "建设数：规划期内建成的个数，按累计建成考核",
    Kind.RANKING: "排名：名次，数字越小越好",
    Kind.RANKING_CHANGE: "排名提升：与规划起始年排名相比提升的位数（报送每年名次）",
    Kind.GROWTH_RATE: "增速：本年度同比增长率（%）",
    Kind.MAINTAIN: "保持值：保持在规划值左右，过高过低都偏离目标",
}


def definition(entry: CatalogEntry) -> str:
    """What the indicator is, for a bureau: its name, unit and how the plan measures it."""
    unit = entry.unit if entry.unit not in ("", "无") else "无单位"
    # the catalog's ``note`` is for its maintainers (English), not for a bureau
    return f"{entry.indicator_simplified}（{unit}）。{_KIND_ZH[entry.kind]}。"


@dataclass(frozen=True)
class Sent:
    """One figure the bureau sent (one vintage), as ingest published it."""

    event_id: str
    indicator_id: str
    jurisdiction: str
    period: str
    value: float
    unit: str
    vintage: int
    received_at: str
    source: str | None
    comment: str | None
    submission_id: str
    original_value: float | None
    original_unit: str | None


def sent_figures(figures: Iterable[Mapping[str, Any]]) -> list[Sent]:
    return [
        Sent(
            event_id=f["event_id"],
            indicator_id=f["indicator_id"],
            jurisdiction=f["jurisdiction"],
            period=f["period"],
            value=float(f["value"]),
            unit=f["unit"],
            vintage=int(f["vintage"]),
            received_at=f["received_at"],
            source=f.get("source"),
            comment=f.get("comment"),
            submission_id=f["submission_id"],
            original_value=f.get("original_value"),
            original_unit=f.get("original_unit"),
        )
        for f in figures
    ]


def _latest(sent: Sequence[Sent]) -> dict[tuple[str, str], Sent]:
    """The newest figure per (indicator, jurisdiction): latest period, highest vintage."""
    out: dict[tuple[str, str], Sent] = {}
    for s in sent:
        key = (s.indicator_id, s.jurisdiction)
        have = out.get(key)
        if have is None or (s.period, s.vintage) >= (have.period, have.vintage):
            out[key] = s
    return out


@dataclass(frozen=True)
class Status:
    label: str  # 已达标, 进度正常 … or 待评估
    sentence: str  # the assessment's own Chinese sentence


def status_of(entry: CatalogEntry | None, sent: Sequence[Sent], today: date) -> Status:
    """The verdict the evaluator would give on these figures today (the shared assessment)."""
    if entry is None:
        return Status("待评估", "")
    observations = [
        Observation(period=s.period, value=s.value, vintage=s.vintage)
        for s in sent
        if s.indicator_id == entry.id and s.jurisdiction == entry.jurisdiction
    ]
    try:
        result = assess(entry, observations, today)
    except Exception:
        return Status("待评估", "")
    sentence = result.explanation_zh
    label = sentence.split("：", 1)[0] if "：" in sentence else sentence
    return Status(label or "待评估", sentence)


@dataclass
class OwedView:
    owed: Owed
    definition: str
    convention: str
    target: str
    quote: str
    last: Sent | None
    overdue: bool
    field_name: str  # the form field of its value


def owed_views(owed: Sequence[Owed], sent: Sequence[Sent], today: date) -> list[OwedView]:
    latest = _latest(sent)
    have = {(s.indicator_id, s.jurisdiction, s.period) for s in sent}
    views = []
    for item in owed:
        entry = item.entry
        views.append(
            OwedView(
                owed=item,
                definition=definition(entry),
                convention=convention(entry, item.period),
                target=target_text(entry),
                quote=one_line(entry.source_quote),
                last=latest.get((entry.id, entry.jurisdiction)),
                overdue=item.now
                and item.due < today
                and (entry.id, entry.jurisdiction, item.period) not in have,
                field_name=f"v|{entry.id}|{entry.jurisdiction}|{item.period}",
            )
        )
    return views


@dataclass
class FormRow:
    """A row as the preview form carries it: the text of each field."""

    values: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in FIELDS:
            text = self.values.get(name, "").strip()
            if not text:
                continue
            if name == "value":
                try:
                    out[name] = float(text.replace(",", ""))
                except ValueError:
                    out[name] = text  # ingest names it: not a number
            else:
                out[name] = text
        return out


@dataclass
class PreviewRow:
    number: int  # position in the preview (1-based)
    line: int | None  # the line of the uploaded file
    values: dict[str, str]
    indicator: str
    status: str  # accepted | revised | duplicate | invalid
    status_zh: str
    problems: list[tuple[str, str, str]]  # (字段, 问题, 修改方法)
    detail: str  # conversion or revision note


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value))
    return str(value)


def preview_rows(answer: Mapping[str, Any], catalog: Catalog) -> list[PreviewRow]:
    rows = []
    for item in answer["items"]:
        raw = item.get("input") or {}
        values = {name: _text(raw.get(name)) for name in FIELDS}
        entry = catalog.get(values["indicator_id"])
        problems = [explain(e.get("reason", ""), e.get("field")) for e in item.get("errors", [])]
        detail = ""
        previous = item.get("previous")
        if item["status"] == "revised" and previous:
            detail = (
                f"修订第{previous['vintage']}版（原值{_text(previous['value'])}"
                f"{item.get('unit', '')}），成为第{item['vintage']}版"
            )
        elif item["status"] == "duplicate":
            detail = "与已报送的数值相同，不会重复计数"
        conversion = item.get("conversion")
        if conversion:
            detail += (
                f"{'；' if detail else ''}已由{_text(conversion['from_value'])}"
                f"{conversion['from_unit']}换算为{_text(item['value'])}{item['unit']}"
            )
        rows.append(
            PreviewRow(
                number=item["row"],
                line=item.get("line"),
                values=values,
                indicator=entry.indicator_simplified if entry else "",
                status=item["status"],
                status_zh=STATUS_ZH.get(item["status"], item["status"]),
                problems=problems,
                detail=detail,
            )
        )
    return rows


@dataclass
class ReceiptLine:
    figure: Sent
    indicator: str
    result: str  # 新数据 | 修订
    replaced: Sent | None  # the earlier figure a revision replaces
    status: Status


def receipt_lines(
    received_at: str, sent: Sequence[Sent], catalog: Catalog, today: date
) -> list[ReceiptLine]:
    """The figures of one submission (its ``received_at``), each with what it revised."""
    by_vintage = {(s.indicator_id, s.jurisdiction, s.period, s.vintage): s for s in sent}
    statuses: dict[tuple[str, str], Status] = {}
    lines = []
    for s in sent:
        if s.received_at != received_at:
            continue
        entry = catalog.get(s.indicator_id)
        key = (s.indicator_id, s.jurisdiction)
        if key not in statuses:
            statuses[key] = status_of(entry, sent, today)
        replaced = by_vintage.get((s.indicator_id, s.jurisdiction, s.period, s.vintage - 1))
        lines.append(
            ReceiptLine(
                figure=s,
                indicator=entry.indicator_simplified if entry else s.indicator_id,
                result="修订" if s.vintage > 1 else "新数据",
                replaced=replaced,
                status=statuses[key],
            )
        )
    return lines


def receipt_csv(owner: str, received_at: str, lines: Sequence[ReceiptLine]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["报送单位", owner, "接收时间（UTC）", received_at])
    writer.writerow(
        [
            "指标编号",
            "指标名称",
            "地区",
            "报告期",
            "数值",
            "单位",
            "结果",
            "版本",
            "被修订的原值",
            "被修订的版本",
            "评估状态",
            "事件编号",
        ]
    )
    for line in lines:
        f = line.figure
        writer.writerow(
            [
                f.indicator_id,
                line.indicator,
                f.jurisdiction,
                f.period,
                _text(f.value),
                f.unit,
                line.result,
                f.vintage,
                _text(line.replaced.value) if line.replaced else "",
                line.replaced.vintage if line.replaced else "",
                line.status.label,
                f.event_id,
            ]
        )
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")
