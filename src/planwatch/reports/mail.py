"""The report e-mailed to the leadership list: a short Chinese summary with the file attached."""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from datetime import date
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from planwatch.reports.model import GROUP_ZH, GROUPS, Report, previous_period, report_period

__all__ = ["last_complete_period", "report_message", "send_report"]

_TYPES = {
    ".pdf": ("application", "pdf"),
    ".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def last_complete_period(today: date, every: str) -> str:
    """The last month or quarter that ended before ``today`` (what a scheduled run reports)."""
    if every == "month":
        current = report_period(f"{today.year}-{today.month:02d}")
    elif every == "quarter":
        current = report_period(f"{today.year}-Q{(today.month - 1) // 3 + 1}")
    else:
        raise ValueError(f"every: {every!r} must be month or quarter")
    return previous_period(current).label


def report_message(
    report: Report, files: Sequence[Path], sender: str, to: Sequence[str]
) -> EmailMessage:
    counts, movement = report.counts(), report.movement()
    lines = [
        "各位领导：",
        "",
        f"现报送《{report.title}》{report.period_zh}督查通报"
        + (f"（{report.document_no}）" if report.document_no else "")
        + "，详见附件。",
        "",
        f"纳入督查的指标共 {len(report.standings)} 项：",
    ]
    for g in GROUPS:
        change = f"，较上期{movement[g]:+d}" if movement[g] else ""
        lines.append(f"  {GROUP_ZH[g]} {counts[g]} 项{change}")
    if report.behind:
        lines += ["", "进度滞后指标及牵头单位："]
        for item in report.behind:
            answered = "已回复" if item.answers else "未回复"
            if item.days_unanswered is not None:
                answered += f" {item.days_unanswered} 天"
            entry = item.standing.entry
            lines.append(
                f"  {entry.indicator_simplified}（{entry.jurisdiction}）"
                f"— {'、'.join(item.agencies)}，{answered}"
            )
    msg = EmailMessage()
    msg["From"], msg["To"] = sender, ", ".join(to)
    msg["Subject"] = f"【督查通报】{report.title} {report.period_zh}"
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="planwatch")
    msg.set_content("\n".join(lines) + "\n", charset="utf-8")
    for path in files:
        maintype, subtype = _TYPES[path.suffix.lower()]
        msg.add_attachment(
            path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name
        )
    return msg


def send_report(
    report: Report,
    files: Sequence[Path],
    to: Sequence[str],
    host: str,
    port: int,
    sender: str,
    timeout: float = 30.0,
) -> None:
    if not to:
        raise ValueError("mail-to: no address given")
    with smtplib.SMTP(host, port, timeout=timeout) as smtp:
        smtp.send_message(report_message(report, files, sender, to), to_addrs=list(to))
