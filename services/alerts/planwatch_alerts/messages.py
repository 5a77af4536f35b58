"""Digest messages: one per receiver and group, in Chinese by default (English available)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from planwatch.domain.model import one_line

__all__ = ["render_digest"]

_STATUS = {
    "zh": {
        "achieved": "已达标",
        "on_track": "进度正常",
        "needs_acceleration": "需加快进度",
        "limited_progress": "进展有限",
        "deterioration": "出现倒退",
        "no_data": "暂无数据",
        "overdue": "数据逾期未报",
    },
    "en": {
        "achieved": "achieved",
        "on_track": "on track",
        "needs_acceleration": "needs acceleration",
        "limited_progress": "limited progress",
        "deterioration": "deterioration",
        "no_data": "no data",
        "overdue": "data overdue",
    },
}
_KIND = {
    "zh": {"firing": "预警", "resolved": "已恢复", "repeat": "仍未改善", "escalation": "升级提醒"},
    "en": {
        "firing": "ALERT",
        "resolved": "RESOLVED",
        "repeat": "STILL OPEN",
        "escalation": "ESCALATION",
    },
}


def _num(value: Any) -> str:
    if value is None:
        return "—"
    return f"{float(value):,.2f}".rstrip("0").rstrip(".")


def _amount(value: Any, unit: str, sep: str = "") -> str:
    """A value with its unit; an unknown value is a dash alone."""
    return "—" if value is None else f"{_num(value)}{sep}{unit}"


def _pct(value: Any) -> str:
    return "" if value is None else f" ({float(value):+.1f}%)"


def _item(alert: dict[str, Any], kind: str, lang: str, board_url: str) -> str:
    snap = alert["snapshot"]
    target = snap.get("target") or {}
    a = snap.get("assessment") or {}
    unit = target.get("unit", "")
    name = target.get("indicator_simplified") or target.get("indicator") or alert["indicator_id"]
    if lang == "en":
        name = target.get("indicator_en") or name
    status = _STATUS[lang].get(alert["status"], alert["status"])
    link = f"{board_url.rstrip('/')}/indicators/{alert['indicator_id']}"
    lines = [f"[{_KIND[lang][kind]}] {name} ({alert['jurisdiction']}) — {status}"]
    if alert["type"] == "overdue":
        if lang == "zh":
            lines.append(
                f"  {snap.get('overdue_period')} 期数据应于 {snap.get('due_date')} 前报送，"
                "至今未收到。"
            )
        else:
            lines.append(
                f"  the figure for {snap.get('overdue_period')} was due by "
                f"{snap.get('due_date')} and has not arrived."
            )
    else:
        tier = {"binding": ("约束值", "binding"), "expected": ("预期值", "expected")}.get(
            a.get("tier") or "", ("目标", "target")
        )
        if lang == "zh":
            lines += [
                f"  {a.get('target_year')}年{tier[0]}：{_amount(a.get('target_value'), unit)}",
                f"  最新值（{a.get('latest_period')}）：{_amount(a.get('latest_value'), unit)}；"
                f"规划路径应为 {_amount(a.get('planned'), unit)}；"
                f"差距 {_amount(a.get('gap'), unit)}" + _pct(a.get("gap_pct")),
                f"  按近期趋势 {a.get('target_year')} 年预计：{_amount(a.get('projected'), unit)}",
            ]
        else:
            lines += [
                f"  {tier[1]} for {a.get('target_year')}: "
                f"{_amount(a.get('target_value'), unit, ' ')}",
                f"  latest ({a.get('latest_period')}): "
                f"{_amount(a.get('latest_value'), unit, ' ')}; "
                f"planned {_amount(a.get('planned'), unit, ' ')}; "
                f"gap {_amount(a.get('gap'), unit, ' ')}" + _pct(a.get("gap_pct")),
                f"  projected for {a.get('target_year')}: {_amount(a.get('projected'), unit, ' ')}",
            ]
    explanation = a.get(f"explanation_{lang}")
    if explanation and alert["type"] != "overdue":
        lines.append(f"  {explanation}")
    quote = one_line(target.get("source_quote") or "")
    simplified = one_line(target.get("source_quote_simplified") or "")
    if quote and simplified and simplified != quote and lang == "zh":
        # a Traditional plan: read in Simplified, the plan's own words kept beside it
        lines.append(f"  规划原文(简体)：「{simplified}」(原文：「{quote}」)")
    elif quote:
        lines.append(f"  规划原文：「{quote}」" if lang == "zh" else f"  plan text: “{quote}”")
    lines.append(f"  {'看板' if lang == 'zh' else 'board'}: {link}")
    return "\n".join(lines)


def render_digest(
    entries: Sequence[tuple[dict[str, Any], str]],
    addressee: str,
    copied: Sequence[str],
    lang: str,
    board_url: str,
) -> tuple[str, str]:
    """Subject and body of one digest: ``entries`` are (alert row, item kind) pairs."""
    firing = sum(1 for _, k in entries if k != "resolved")
    resolved = len(entries) - firing
    if lang == "zh":
        subject = f"【planwatch】{addressee}：{firing} 项指标预警" + (
            f"，{resolved} 项已恢复" if resolved else ""
        )
        head = [f"{addressee}：", "以下规划指标需要关注。"]
        if copied:
            head.append(f"抄送：{'、'.join(copied)}")
    else:
        subject = f"[planwatch] {addressee}: {firing} indicator(s) behind" + (
            f", {resolved} resolved" if resolved else ""
        )
        head = [f"To {addressee}:", "The following plan indicators need attention."]
        if copied:
            head.append(f"Copied: {', '.join(copied)}")
    body = (
        "\n".join(head)
        + "\n\n"
        + "\n\n".join(_item(alert, kind, lang, board_url) for alert, kind in entries)
        + "\n"
    )
    return subject, body
