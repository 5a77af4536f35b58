"""A report as HTML (the board's page), PDF (WeasyPrint: Pango lays out and embeds the Noto CJK
fonts) and XLSX (openpyxl), with one matplotlib chart per indicator behind."""

from __future__ import annotations

import base64
import io
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from planwatch.reports.model import GROUP_ZH, GROUPS, STATUS_ZH, BehindItem, Report

__all__ = ["CJK_FONT", "chart_png", "render_html", "write_pdf", "write_report", "write_xlsx"]

# Debian's fonts-noto-cjk; the family name is what Pango (PDF) and matplotlib (charts) ask for
CJK_FONT = "Noto Sans CJK SC"
_FONT_FILES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
)
_ANSWER_ZH = {"acknowledge": "确认并整改", "dispute": "对数据有异议"}
_TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


@cache
def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    for path in _FONT_FILES:
        if path.exists():
            font_manager.fontManager.addfont(str(path))
    matplotlib.rcParams["font.family"] = [CJK_FONT, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False
    return plt


def chart_png(item: BehindItem) -> bytes:
    """Observed figures against the targets of one indicator behind."""
    plt = _pyplot()
    entry, s = item.standing.entry, item.standing
    fig, ax = plt.subplots(figsize=(6.4, 2.6), dpi=150)
    try:
        if item.series:
            xs, ys = zip(*item.series, strict=True)
            ax.plot(xs, ys, "o-", color="#1f2328", label="实际值")
        if entry.baseline is not None:
            ax.plot(
                [entry.baseline.year], [entry.baseline.value], "s", color="#57606a", label="基期"
            )
        colours = {"binding": "#cf222e", "expected": "#0969da"}
        horizon = s.target_year or entry.last_year
        for t in entry.targets:
            if t.year > horizon:
                continue  # the chart ends at the target year that governs the verdict
            tier = t.tier.value if t.tier else ""
            name = {"binding": "约束值", "expected": "预期值"}.get(tier, "目标值")
            ax.plot([t.year], [t.value], "D", color=colours.get(tier, "#8250df"), label=name)
        if s.planned is not None and item.series:
            ax.plot([item.series[-1][0]], [s.planned], "x", color="#e16f24", ms=9, label="规划路径")
        handles, labels = ax.get_legend_handles_labels()
        unique = dict(zip(labels, handles, strict=True))
        ax.legend(unique.values(), unique.keys(), fontsize=7, loc="best", frameon=False)
        ax.set_title(f"{entry.indicator_simplified}（{entry.unit}）", fontsize=10)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png")
        return out.getvalue()
    finally:
        plt.close(fig)


def _num(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    return f"{value:,.2f}".rstrip("0").rstrip(".") + unit


def _answer(r: Any) -> str:
    recovery = r.get("expected_recovery")
    at = str(r.get("at", ""))[:10]
    tail = f"；预计恢复 {recovery}" if recovery else ""
    kind = _ANSWER_ZH.get(r.get("kind"), r.get("kind"))
    return f"{at} {r.get('agency')}（{kind}）：{r.get('text')}{tail}"


def _context(report: Report, charts: bool = True) -> dict[str, Any]:
    counts, before, movement, shares = (
        report.counts(),
        report.counts("before"),
        report.movement(),
        report.shares(),
    )
    rows = [
        {
            "group": g,
            "name": GROUP_ZH[g],
            "count": counts[g],
            "share": f"{shares[g] * 100:.0f}%",
            "before": before[g],
            "movement": f"{movement[g]:+d}" if movement[g] else "—",
        }
        for g in GROUPS
    ]
    behind = []
    for item in report.behind:
        s = item.standing
        unit = s.entry.unit
        behind.append(
            {
                "name": s.entry.indicator_simplified,
                "jurisdiction": s.entry.jurisdiction,
                "plan": s.entry.plan,
                "status": STATUS_ZH.get(s.status, s.status),
                "previous": STATUS_ZH.get(item.previous_status or "", "—"),
                "latest": f"{_num(s.latest_value, unit)}（{s.latest_period or '—'}）",
                "planned": _num(s.planned, unit),
                "target": f"{_num(s.target_value, unit)}（{s.target_year or '—'}年）",
                "agencies": "、".join(item.agencies) or "—",
                "answers": [_answer(r) for r in item.answers],
                "unanswered": (
                    f"{item.days_unanswered} 天"
                    if item.days_unanswered is not None
                    else ("—" if item.answers or item.alert_opened is None else "0 天")
                ),
                "chart": (
                    "data:image/png;base64," + base64.b64encode(chart_png(item)).decode()
                    if charts
                    else None
                ),
            }
        )
    return {
        "r": report,
        "rows": rows,
        "behind": behind,
        "total": len(report.standings),
        "font": CJK_FONT,
    }


def render_html(report: Report, charts: bool = True) -> str:
    return _TEMPLATES.get_template("report.html").render(**_context(report, charts))


def write_pdf(report: Report, path: Path | io.BytesIO) -> None:
    from weasyprint import HTML

    HTML(string=render_html(report)).write_pdf(path)


def write_xlsx(report: Report, path: Path | io.BytesIO) -> None:
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Font

    ctx = _context(report, charts=False)
    wb = Workbook()
    ws = wb.active
    ws.title = "概况"
    bold = Font(bold=True)
    ws.append([f"督查通报：{report.title}"])
    ws["A1"].font = Font(bold=True, size=14)
    if report.document_no:
        ws.append(["文号", report.document_no])
    ws.append(["报告期", f"{report.period_zh}（{report.period.label}）"])
    ws.append(["对比上期", report.previous.label])
    ws.append(["指标总数", ctx["total"]])
    ws.append([])
    ws.append(["类别", "本期数量", "占比", "上期数量", "变化"])
    for cell in ws[ws.max_row]:
        cell.font = bold
    for row in ctx["rows"]:
        ws.append([row["name"], row["count"], row["share"], row["before"], row["movement"]])
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 40

    detail = wb.create_sheet("进度滞后指标")
    header = [
        "指标",
        "地区",
        "规划",
        "状态",
        "上期状态",
        "最新值",
        "规划路径值",
        "目标",
        "牵头单位",
        "回复",
        "未回复天数",
    ]
    detail.append(header)
    for cell in detail[1]:
        cell.font = bold
    for b in ctx["behind"]:
        detail.append(
            [
                b["name"],
                b["jurisdiction"],
                b["plan"],
                b["status"],
                b["previous"],
                b["latest"],
                b["planned"],
                b["target"],
                b["agencies"],
                "\n".join(b["answers"]) or "未回复",
                b["unanswered"],
            ]
        )
    for col, width in zip("ABCDEFGHIJK", (24, 10, 30, 12, 12, 16, 14, 16, 20, 40, 10), strict=True):
        detail.column_dimensions[col].width = width

    charts = wb.create_sheet("图表")
    row = 1
    for item in report.behind:
        image = Image(io.BytesIO(chart_png(item)))
        image.width, image.height = 640, 260
        charts.add_image(image, f"A{row}")
        row += 14

    everything = wb.create_sheet("全部指标")
    everything.append(["指标", "地区", "本期状态", "上期状态", "最新期", "最新值", "单位"])
    for cell in everything[1]:
        cell.font = bold
    for now, before in zip(report.standings, report.before, strict=True):
        everything.append(
            [
                now.entry.indicator_simplified,
                now.entry.jurisdiction,
                STATUS_ZH.get(now.status, now.status),
                STATUS_ZH.get(before.status, before.status),
                now.latest_period or "—",
                now.latest_value,
                now.entry.unit,
            ]
        )
    wb.save(path)


def write_report(report: Report, path: Path) -> Path:
    """Write ``path`` as PDF or XLSX by its suffix."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        write_pdf(report, path)
    elif suffix == ".xlsx":
        write_xlsx(report, path)
    else:
        raise ValueError(f"-o: {path.name!r} must end in .pdf or .xlsx")
    return path
