"""Digest messages: one per receiver and group, in Chinese by default (English available).

Read as the agency reads it: every item names its plan (title and 文号), gives each figure once,
quotes a table row with its column headers, shows the answers already given, and, for an
agency, the link to answer and the date to answer by. A digest of recoveries only is good news
and says so. A reminder (a figure soon due) tells its publisher which figure is due on which
date and how to report it, after the alerts of the digest; a digest of reminders only asks for
the figures and nothing else. Each digest has a plain-text and an HTML part with the same
content.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import jinja2

from planwatch.catalog import Catalog
from planwatch.domain.assessment_model import headline_tier
from planwatch.domain.chinese import to_simplified
from planwatch.domain.model import CatalogEntry, one_line
from planwatch.domain.quotes import table_cells
from planwatch.domain.status import STATUS_INFO
from planwatch_alerts.store import supervising

__all__ = ["HOW_TO_REPORT", "STATUS_ZH", "Digest", "DigestItem", "describe", "render_digest"]

_STATUS = {
    "zh": {s.value: i.zh for s, i in STATUS_INFO.items()},
    "en": {s.value: i.en for s, i in STATUS_INFO.items()},
}
STATUS_ZH = _STATUS["zh"]
_KIND = {
    "zh": {
        "firing": "预警",
        "resolved": "已恢复",
        "repeat": "仍未改善",
        "escalation": "升级提醒",
        "reminder": "报送提醒",
    },
    "en": {
        "firing": "ALERT",
        "resolved": "RESOLVED",
        "repeat": "STILL OPEN",
        "escalation": "ESCALATION",
        "reminder": "REMINDER",
    },
}
# how a bureau reports a figure: the portal (docs/bureaus.md) or the ingest API (docs/ingest.md)
HOW_TO_REPORT = {
    "zh": "报送方式：登录数据报送门户，在“待报送”页面在线填报或上传模板；"
    "也可通过数据接收接口 POST /v1/submissions 报送。",
    "en": "How to report: the reporting portal (page 待报送, fill in or upload the template), "
    "or the ingest API, POST /v1/submissions.",
}
_DUE_SOON = {"zh": "数据即将到期", "en": "figure due soon"}
_PLACE = {"reminder": 1, "resolved": 2}  # where an item stands in a digest; alerts first
_ANSWER = {
    "zh": {"acknowledge": "确认并整改", "dispute": "对数据有异议"},
    "en": {"acknowledge": "acknowledged", "dispute": "disputed"},
}
# an answer to a chase for overdue data: the reason it is late and when it will be reported
_ANSWER_DATA = {
    "zh": {"acknowledge": "确认逾期", "dispute": "对逾期认定有异议"},
    "en": {"acknowledge": "acknowledged", "dispute": "disputed"},
}
_HTML = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


@dataclass(frozen=True)
class DigestItem:
    alert: dict[str, Any]  # the alert row
    kind: str  # firing | resolved | repeat | escalation | reminder
    responses: Sequence[Mapping[str, Any]] = ()
    answer_url: str | None = None  # the signed link, for an agency's own alerts


@dataclass(frozen=True)
class Digest:
    subject: str
    text: str
    html: str


@dataclass
class Facts:
    """What one alert says, in the reader's language, each figure once."""

    name: str
    jurisdiction: str
    status: str
    plan: str  # title (文号)
    figures: list[str] = field(default_factory=list)
    quote: str | None = None  # prose, as written
    quote_simplified: str | None = None  # its Simplified form, when the plan is Traditional
    cells: list[tuple[str, str]] | None = None  # a table row: (header, cell)


def _num(value: Any) -> str:
    if value is None:
        return "—"
    return f"{float(value):,.2f}".rstrip("0").rstrip(".")


def _amount(value: Any, unit: str, sep: str = "") -> str:
    """A value with its unit; an unknown value is a dash alone."""
    return "—" if value is None else f"{_num(value)}{sep}{unit}"


def _pct(value: Any) -> str:
    return "" if value is None else f" ({float(value):+.1f}%)"


def _entry(target: Mapping[str, Any]) -> CatalogEntry | None:
    try:
        return CatalogEntry.model_validate(target)
    except ValueError:  # a partial snapshot (older events): quote it as it is
        return None


def plan_title(alert: Mapping[str, Any], catalog: Catalog | None, lang: str = "zh") -> str:
    """The plan's title, with its 文号 where it has one."""
    plan = catalog.plans.get(alert["plan_code"]) if catalog is not None else None
    target = (alert.get("snapshot") or {}).get("target") or {}
    if plan is None:
        return str(target.get("plan") or alert["plan_code"])
    title = plan.title_en if lang == "en" else plan.title
    if plan.document_no:
        return f"{title}（{plan.document_no}）" if lang == "zh" else f"{title} ({plan.document_no})"
    return title


_TIER = {"binding": ("约束值", "binding"), "expected": ("预期值", "expected")}


def _final_of(snap: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The final verdict an alert is about, as the assessment's tier result: the target year a
    ``final`` change names, or the headline when it is itself a complete year's."""
    a = snap.get("assessment") or {}
    year = snap.get("target_year")
    tiers: Mapping[str, Any] = a.get("tiers") or {}
    if year is not None:
        found: Mapping[str, Any] = next(
            (y for y in a.get("years") or () if y.get("year") == year), {}
        )
        tiers = found.get("tiers") or {}
    head = headline_tier(tiers)
    return head if head is not None and head.get("final") else None


_FINAL_LINES = {
    "zh": (
        "{year}年{tier}：{target}",
        "{year}年实际：{observed}；差距 {gap}{pct}",
        "{year}年已结束，此为最终结论，以后年份的数据不改变该年度结论。",
        "当前进展：{now}",
    ),
    "en": (
        "{tier} for {year}: {target}",
        "{year} actual: {observed}; gap {gap}{pct}",
        "{year} is over: the verdict is final, later figures do not change it.",
        "now: {now}",
    ),
}


def _final_figures(
    t: Mapping[str, Any], snap: Mapping[str, Any], unit: str, lang: str
) -> list[str]:
    """A complete target year: its target, its own figure and the shortfall, and that the
    verdict is final; for a year the headline has left, where the headline stands now."""
    tier = _TIER.get(t.get("tier") or "", ("目标", "target"))
    sep = "" if lang == "zh" else " "
    now = (snap.get("assessment") or {}).get(f"explanation_{lang}")
    values = {
        "year": t.get("year"),
        "tier": tier[0] if lang == "zh" else tier[1],
        "target": _amount(t.get("target"), unit, sep),
        "observed": _amount(t.get("observed"), unit, sep),
        "gap": _amount(t.get("gap"), unit, sep),
        "pct": _pct(t.get("gap_pct")),
        "now": now,
    }
    *lines, current = _FINAL_LINES[lang]
    moved_on = snap.get("target_year") is not None  # a final change: the headline is elsewhere
    return [line.format(**values) for line in (*lines, *([current] if moved_on and now else []))]


def describe(alert: Mapping[str, Any], catalog: Catalog | None, lang: str = "zh") -> Facts:
    snap = alert["snapshot"]
    target = snap.get("target") or {}
    a = snap.get("assessment") or {}
    unit = target.get("unit", "")
    name = target.get("indicator_simplified") or target.get("indicator") or alert["indicator_id"]
    if lang == "en":
        name = target.get("indicator_en") or name
    facts = Facts(
        name=name,
        jurisdiction=alert["jurisdiction"],
        status=_STATUS[lang].get(alert["status"], alert["status"]),
        plan=plan_title(alert, catalog, lang),
    )
    # an off-track alert about a complete target year: its final verdict
    final = None if alert["type"] in ("reminder", "overdue") else _final_of(snap)
    if alert["type"] == "reminder":
        facts.status = _DUE_SOON[lang]
        if lang == "zh":
            facts.figures.append(
                f"{snap.get('overdue_period')} 期数据应于 {snap.get('due_date')} 前报送，"
                "请按期报送；已报送的无需处理。"
            )
        else:
            facts.figures.append(
                f"the figure for {snap.get('overdue_period')} is due by "
                f"{snap.get('due_date')}; please report it in time (already reported: no action)."
            )
        facts.figures.append(HOW_TO_REPORT[lang])
    elif alert["type"] == "overdue":
        if lang == "zh":
            facts.figures.append(
                f"{snap.get('overdue_period')} 期数据应于 {snap.get('due_date')} 前报送，"
                "至今未收到。"
            )
        else:
            facts.figures.append(
                f"the figure for {snap.get('overdue_period')} was due by "
                f"{snap.get('due_date')} and has not arrived."
            )
        facts.figures.append(HOW_TO_REPORT[lang])
    elif final is not None:
        facts.figures += _final_figures(final, snap, unit, lang)
    else:
        tier = _TIER.get(a.get("tier") or "", ("目标", "target"))
        if lang == "zh":
            facts.figures += [
                f"{a.get('target_year')}年{tier[0]}：{_amount(a.get('target_value'), unit)}",
                f"最新值（{a.get('latest_period')}）：{_amount(a.get('latest_value'), unit)}；"
                f"规划路径应为 {_amount(a.get('planned'), unit)}；"
                f"差距 {_amount(a.get('gap'), unit)}" + _pct(a.get("gap_pct")),
                f"按近期趋势 {a.get('target_year')} 年预计：{_amount(a.get('projected'), unit)}",
            ]
        else:
            facts.figures += [
                f"{tier[1]} for {a.get('target_year')}: "
                f"{_amount(a.get('target_value'), unit, ' ')}",
                f"latest ({a.get('latest_period')}): "
                f"{_amount(a.get('latest_value'), unit, ' ')}; "
                f"planned {_amount(a.get('planned'), unit, ' ')}; "
                f"gap {_amount(a.get('gap'), unit, ' ')}" + _pct(a.get("gap_pct")),
                f"projected for {a.get('target_year')}: {_amount(a.get('projected'), unit, ' ')}",
            ]
    entry = _entry(target)
    facts.cells = table_cells(entry) if entry is not None else None
    if facts.cells is None:
        # the sentence of the target year the alert is about, when the plan gives it apart
        # ("R&D经费投入达到280亿元" for 2030), else the entry's
        year = final.get("year") if final is not None else a.get("target_year")
        own = next(
            (t.get("quote") for t in target.get("targets") or () if t.get("year") == year), None
        )
        if own:
            facts.quote = one_line(own)
            simplified = one_line(to_simplified(own))
        else:
            facts.quote = one_line(target.get("source_quote") or "") or None
            simplified = one_line(target.get("source_quote_simplified") or "")
        if simplified and simplified != facts.quote:
            facts.quote_simplified = simplified
    return facts


def _quote_line(facts: Facts, lang: str) -> str | None:
    if facts.cells:
        row = "；".join(f"{h} {c}" for h, c in facts.cells)
        return f"规划原文（表格行）：{row}" if lang == "zh" else f"plan table row: {row}"
    if facts.quote and facts.quote_simplified and lang == "zh":
        # a Traditional plan: read in Simplified, the plan's own words kept beside it
        return f"规划原文(简体)：「{facts.quote_simplified}」(原文：「{facts.quote}」)"
    if facts.quote:
        return f"规划原文：「{facts.quote}」" if lang == "zh" else f"plan text: “{facts.quote}”"
    return None


def _answer_line(r: Mapping[str, Any], lang: str, data: bool = False) -> str:
    """An answer as a digest quotes it; ``data``: an answer to a chase for overdue data, whose
    date is when the figure will be reported."""
    at = r["at"].strftime("%Y-%m-%d") if hasattr(r["at"], "strftime") else str(r["at"])[:10]
    kind = (_ANSWER_DATA if data else _ANSWER)[lang].get(r["kind"], r["kind"])
    recovery = r.get("expected_recovery")
    if lang == "zh":
        tail = f"；{'预计报送' if data else '预计恢复'}：{recovery}" if recovery else ""
        return f"{at} {r['agency']}（{kind}）：{r['text']}{tail}"
    tail = f"; {'expected report' if data else 'expected recovery'}: {recovery}" if recovery else ""
    return f"{at} {r['agency']} ({kind}): {r['text']}{tail}"


def _waiting(item: DigestItem, lang: str, today: date | None) -> str | None:
    """For an escalation: how long the alert has waited for an answer."""
    opened = item.alert.get("opened_at")
    if item.kind != "escalation" or item.responses or today is None or opened is None:
        return None
    days = (today - opened.date()).days
    if lang == "zh":
        return f"预警发出于 {opened.date()}，已 {days} 天未回复"
    return f"alerted on {opened.date()}, unanswered for {days} days"


def _item_text(
    item: DigestItem, facts: Facts, lang: str, board_url: str, today: date | None = None
) -> str:
    alert = item.alert
    link = f"{board_url.rstrip('/')}/indicators/{alert['indicator_id']}"
    zh = lang == "zh"
    where = f"（{facts.jurisdiction}）" if zh else f" ({facts.jurisdiction})"
    lines = [f"[{_KIND[lang][item.kind]}] {facts.name}{where} — {facts.status}"]
    lines.append(f"  规划：{facts.plan}" if zh else f"  plan: {facts.plan}")
    if item.kind != "resolved":
        lines += [f"  {f}" for f in facts.figures]
        quote = _quote_line(facts, lang)
        if quote:
            lines.append(f"  {quote}")
    data = alert.get("type") == "overdue"
    for r in item.responses:
        lines.append(f"  {'已回复' if zh else 'answered'}：{_answer_line(r, lang, data)}")
    waiting = _waiting(item, lang, today)
    if waiting:
        lines.append(f"  {waiting}")
    if item.answer_url and item.kind != "resolved":
        lines.append(f"  {'回复链接' if zh else 'answer'}：{item.answer_url}")
    lines.append(f"  看板：{link}" if zh else f"  board: {link}")
    return "\n".join(lines)


def _about(items: Sequence[DigestItem]) -> str:
    """What a digest's alerts are about: ``data`` (figures overdue: a chase, or its escalation
    to the supervising body), ``progress`` (targets behind or missed) or ``both``."""
    kinds = {"data" if i.alert.get("type") == "overdue" else "progress" for i in items}
    return kinds.pop() if len(kinds) == 1 else "both"


def _escalated(items: Sequence[DigestItem]) -> bool:
    """Every item is told to a supervising body: a long-overdue figure's escalation, or a
    chase nobody answered, escalated by the routing's rule."""
    return all(
        i.kind == "escalation" or supervising(str(i.alert.get("alert_key", ""))) for i in items
    )


def _also_resolved(resolved: Sequence[DigestItem], lang: str) -> str:
    if not resolved:
        return ""
    return f"，{len(resolved)} 项已恢复" if lang == "zh" else f", {len(resolved)} resolved"


def _firing_head(
    firing: Sequence[DigestItem],
    resolved: Sequence[DigestItem],
    addressee: str,
    lang: str,
    reply_by: date | None,
) -> tuple[str, list[str]]:
    """Subject and opening lines of a digest with alerts: a bureau chased for overdue figures is
    told its data is late, not that a target is behind, and is asked when it will report."""
    about, n, more = _about(firing), len(firing), _also_resolved(resolved, lang)
    if lang == "zh":
        if about == "data":
            subject = f"【planwatch】{addressee}：{n} 项指标数据逾期未报{more}"
            if _escalated(firing):
                lines = ["以下规划指标的数据逾期已久，至今未收到，请督促报送单位尽快报送。"]
                ask = "说明督办情况和预计报送日期，或对逾期认定提出异议并说明理由。"
            else:
                lines = ["以下规划指标的数据已过报送截止日期，至今未收到，请尽快报送。"]
                ask = "说明未报原因和预计报送日期，或对逾期认定提出异议并说明理由。"
        else:
            subject = f"【planwatch】{addressee}：{n} 项指标预警{more}"
            lines = [
                "以下规划指标进度滞后，需要关注。"
                if about == "progress"
                else "以下规划指标进度滞后或数据逾期未报，需要关注。"
            ]
            ask = "确认并说明整改措施和预计恢复日期，或对数据提出异议并说明理由。"
        if reply_by is not None:
            lines.append(f"请于 {reply_by} 前通过每项下方的回复链接作答：{ask}")
        return subject, lines
    if about == "data":
        subject = f"[planwatch] {addressee}: {n} figure(s) overdue{more}"
        if _escalated(firing):
            lines = ["These figures are long overdue; please see that they are reported."]
        else:
            lines = [
                "These figures are past their due date and have not arrived; please report them."
            ]
    else:
        subject = f"[planwatch] {addressee}: {n} indicator(s) behind{more}"
        lines = [
            "The following plan indicators need attention."
            if about == "progress"
            else "The following plan indicators are behind or their figures overdue."
        ]
    if reply_by is not None:
        lines.append(f"Please answer by {reply_by} through the link under each item.")
    return subject, lines


def _reminder_head(
    reminders: Sequence[DigestItem], resolved: Sequence[DigestItem], addressee: str, lang: str
) -> tuple[str, list[str]]:
    n, more = len(reminders), _also_resolved(resolved, lang)
    if lang == "zh":
        return f"【planwatch】{addressee}：{n} 项指标数据即将到期，请按期报送{more}", [
            "以下规划指标的数据即将到报送期限，请在截止日期前报送，无需回复。"
        ]
    return f"[planwatch] {addressee}: {n} figure(s) due soon{more}", [
        "These figures are due soon; please report them in time."
    ]


def _resolved_head(
    resolved: Sequence[DigestItem], addressee: str, lang: str
) -> tuple[str, list[str]]:
    """Good news: a target back on its path, or an overdue figure that has arrived."""
    about, n = _about(resolved), len(resolved)
    if lang == "zh":
        if about == "data":
            return f"【planwatch】{addressee}：{n} 项逾期数据已收到", [
                "以下规划指标的逾期数据已收到，催报解除，无需回复。"
            ]
        line = {
            "progress": "好消息：以下规划指标已恢复到规划进度，无需回复。",
            "both": "好消息：以下规划指标已恢复到规划进度或逾期数据已收到，无需回复。",
        }[about]
        return f"【planwatch】{addressee}：{n} 项指标已恢复正常", [line]
    if about == "data":
        return f"[planwatch] {addressee}: {n} overdue figure(s) received", [
            "The overdue figures below have arrived; the chase is over."
        ]
    return f"[planwatch] {addressee}: {n} indicator(s) back on track", [
        "Good news: these indicators are back on track."
        if about == "progress"
        else "Good news: these indicators are back on track or their overdue figures arrived."
    ]


def render_digest(
    items: Sequence[DigestItem],
    addressee: str,
    copied: Sequence[str],
    lang: str,
    board_url: str,
    catalog: Catalog | None = None,
    reply_by: date | None = None,
    today: date | None = None,
) -> Digest:
    """Subject, plain text and HTML of one digest (``today``: for days unanswered)."""
    firing = [i for i in items if i.kind not in ("resolved", "reminder")]
    resolved = [i for i in items if i.kind == "resolved"]
    reminders = [i for i in items if i.kind == "reminder"]
    asks = reply_by is not None and any(i.answer_url for i in firing)
    zh = lang == "zh"
    head = [f"{addressee}：" if zh else f"To {addressee}:"]
    if firing:
        subject, lines = _firing_head(firing, resolved, addressee, lang, reply_by if asks else None)
    elif reminders:
        subject, lines = _reminder_head(reminders, resolved, addressee, lang)
    else:
        subject, lines = _resolved_head(resolved, addressee, lang)
    head += lines
    if copied:
        head.append(f"抄送：{'、'.join(copied)}" if zh else f"Copied: {', '.join(copied)}")
    facts = [describe(i.alert, catalog, lang) for i in items]
    # the alerts first, then the reminders, then the good news (each in the order given)
    ordered = sorted(zip(items, facts, strict=True), key=lambda p: _PLACE.get(p[0].kind, 0))
    sections: list[str] = []
    if firing and reminders:
        sections.append(
            f"另有 {len(reminders)} 项数据即将到期，报送提醒列在预警之后。"
            if zh
            else f"{len(reminders)} figure(s) due soon follow the alerts."
        )
    if (firing or reminders) and resolved:
        sections.append("已恢复的指标见文末。" if zh else "Recovered indicators are listed last.")
    text = (
        "\n".join(head + sections)
        + "\n\n"
        + "\n\n".join(_item_text(i, f, lang, board_url, today) for i, f in ordered)
        + "\n"
    )
    html = _HTML.get_template("digest.html").render(
        lang=lang,
        head=head,
        items=[
            {
                "item": i,
                "facts": f,
                "kind": _KIND[lang][i.kind],
                "quote": _quote_line(f, lang) if not f.cells else None,
                "answers": [
                    _answer_line(r, lang, i.alert.get("type") == "overdue") for r in i.responses
                ],
                "waiting": _waiting(i, lang, today),
                "board": f"{board_url.rstrip('/')}/indicators/{i.alert['indicator_id']}",
            }
            for i, f in ordered
        ],
        zh=zh,
    )
    return Digest(subject, text, html)
