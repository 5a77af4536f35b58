"""The per-jurisdiction template: the figures a bureau owes, and how to fill each one in.

One row per (indicator, period) the plans cover, plus the start-year row a verdict needs (the
rank at the plan start for 提升N位). Each row says in words what the figure is: the year's own
value, or the count since the plan start (新增 / 建设 are counted from the start). The target is
written as the plan states it: tier (约束性/预期性), range (3–5个) and band (左右).

The columns the upload reads have the Chinese names ingest accepts (指标编号, 报告期, 数值 …); the
descriptive ones (指标名称, 填报口径, 规划目标) are ignored on upload. Rows whose 数值 stays empty
are skipped on upload. The Excel file adds a 填报说明 sheet, a drop-down of the periods each row
may take, and locks every cell but the ones to fill in.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from planwatch.catalog import Catalog
from planwatch.domain.model import CatalogEntry, Frequency
from planwatch.domain.reporting import convention, needs_start_row, target_text
from planwatch_ingest.rules import fold_name

__all__ = [
    "COLUMNS",
    "TemplateRow",
    "covered_years",
    "template_csv",
    "template_rows",
    "template_xlsx",
]

# (header, what the column holds): the first eight are read on upload, the rest are for the reader
COLUMNS = (
    ("指标编号", "系统编号，勿改"),
    ("地区", "填报地区，勿改"),
    ("报告期", "年份（如2024）；可从下拉列表选择"),
    ("数值", "填写数字，不带单位；按“填报口径”列填写"),
    ("单位", "规划所用单位；如用其他单位（如万元）请改写，系统自动换算"),
    ("来源", "数据来源，如统计年鉴、部门报表"),
    ("备注", "需要说明的情况"),
    ("提交编号", "可不填；本单位自己的编号，重复提交时不会重复计数"),
    ("指标名称", "规划原文中的指标"),
    ("填报口径", "本行数值是本年度值还是自规划起始年起的累计数"),
    ("规划目标", "规划的目标值、属性（约束性/预期性）和表述"),
)
_UPLOADED = 8  # the columns ingest reads; the others are ignored on upload


@dataclass(frozen=True, slots=True)
class TemplateRow:
    indicator_id: str
    jurisdiction: str
    period: str
    unit: str
    indicator: str
    convention: str  # 填报口径: what the figure is, in words
    target: str  # 规划目标 as the plan states it
    periods: tuple[str, ...]  # every period this indicator may be reported for (drop-down)
    start_row: bool = False  # the plan-start figure a verdict needs

    def cells(self) -> list[str]:
        return [
            self.indicator_id,
            self.jurisdiction,
            self.period,
            "",
            self.unit,
            "",
            "",
            "",
            self.indicator,
            self.convention,
            self.target,
        ]


def _labels(entry: CatalogEntry, year: int) -> Iterator[str]:
    # Figures are year to date: Q4 and December are the full year, listed once as YYYY.
    if entry.frequency is Frequency.QUARTERLY:
        yield from (f"{year}-Q{q}" for q in range(1, 4))
    elif entry.frequency is Frequency.MONTHLY:
        yield from (f"{year}-{m:02d}" for m in range(1, 12))
    yield str(year)


def _first_year(entry: CatalogEntry) -> int:
    return entry.start_year if needs_start_row(entry) else entry.first_year


def _last_year(catalog: Catalog, entry: CatalogEntry) -> int:
    # the same bound as ingest's row check (rules.py): the plan's end or the last target year
    plan = catalog.plans.get(entry.plan_code)
    return max(plan.end_year if plan else entry.last_year, entry.last_year)


def covered_years(catalog: Catalog, jurisdiction: str) -> tuple[int, int] | None:
    """The first and last year the plans of ``jurisdiction`` cover; None when it has none."""
    wanted = fold_name(jurisdiction)
    spans = [
        (
            entry.start_year if needs_start_row(entry) else entry.first_year,
            _last_year(catalog, entry),
        )
        for entry in catalog
        if fold_name(entry.jurisdiction) == wanted
    ]
    if not spans:
        return None
    return min(s for s, _ in spans), max(e for _, e in spans)


def template_rows(
    catalog: Catalog, jurisdiction: str, year: int | None = None
) -> list[TemplateRow]:
    """One row per figure the jurisdiction owes (of ``year`` alone when given); [] when none.

    Only years the plans cover: an indicator whose plan does not reach ``year`` has no row.
    A statistic several plans target is one series: one row under the series id, reported once
    for all its targets.
    """
    wanted = fold_name(jurisdiction)
    rows: list[TemplateRow] = []
    for series, ids in catalog.series.items():
        entries = [catalog.entries[i] for i in ids]
        entry = entries[0]
        if fold_name(entry.jurisdiction) != wanted:
            continue
        last = max(_last_year(catalog, e) for e in entries)
        start = min(_first_year(e) for e in entries)
        allowed = tuple(p for y in range(start, last + 1) for p in _labels(entry, y))
        if len({e.plan_code for e in entries}) == 1:
            target = "；".join(target_text(e) for e in entries)
        else:  # every target the statistic feeds, with its plan
            target = "；".join(f"{e.plan_code}：{target_text(e)}" for e in entries)
        years = range(start, last + 1) if year is None else [year]
        for y in years:
            if not start <= y <= last:
                continue
            start_row = any(needs_start_row(e) and y == e.start_year for e in entries)
            for period in [str(y)] if start_row else _labels(entry, y):
                rows.append(
                    TemplateRow(
                        series,
                        entry.jurisdiction,
                        period,
                        entry.unit,
                        entry.indicator_simplified,
                        convention(entry, period, start_row=start_row),
                        target,
                        allowed,
                        start_row,
                    )
                )
    return rows


def template_csv(rows: list[TemplateRow]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([name for name, _ in COLUMNS])
    writer.writerows(row.cells() for row in rows)
    # BOM: Excel opens a UTF-8 CSV with Chinese text correctly only with it.
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


_GUIDE = (
    "填写方法",
    "1. 在“数据填报”工作表中，只需填写“数值”列（白色单元格）；来源、备注可选填。",
    "2. 每行的“填报口径”说明该数值是本年度值，还是自规划起始年起的累计数，请按口径填写。",
    "3. “报告期”可从下拉列表中选择；规划未覆盖的年份不能填报。",
    "4. 数值只填数字，不带单位；单位与规划不同时（如万元、亿元），改写“单位”列，系统自动换算。",
    "5. 尚无数据的行留空即可，上传时自动跳过；不要填写公式。",
    "6. 已报送过的数据再次报送不同数值，即为修订，系统保留每一版并在回执中注明。",
    "上传方法",
    "在报送门户“上传模板”页面上传本文件，先预览校验结果，确认无误后提交；"
    "也可使用命令 planwatch push 文件名 --key 密钥。",
)


def template_xlsx(rows: list[TemplateRow], jurisdiction: str = "") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    name = rows[0].jurisdiction if rows else jurisdiction
    title = f"{name}规划指标数据填报模板"
    workbook = Workbook()
    workbook.properties.title = title
    sheet = workbook.active
    assert sheet is not None
    # The first sheet is the one ingest reads: the header row, then the figures.
    sheet.title = "数据填报"
    sheet.append([header for header, _ in COLUMNS])
    for row in rows:
        sheet.append(row.cells())
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    locked_fill = PatternFill("solid", fgColor="F2F2F2")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = header_fill
    widths = (30, 12, 10, 14, 8, 16, 16, 14, 40, 36, 44)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    # Text format on ids and periods: Excel would turn 2024-05 into a date.
    for column in ("A", "B", "C", "E", "F", "G", "H"):
        for cell in sheet[column]:
            cell.number_format = "@"
    editable = {3, 4, 5, 6, 7, 8}  # 报告期 (drop-down), 数值, 单位, 来源, 备注, 提交编号
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            if cell.column in editable:
                cell.protection = Protection(locked=False)
            else:
                cell.fill = locked_fill
            if cell.column > _UPLOADED:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    # Descriptive cells are locked (no password: it guards against slips, not people).
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False
    sheet.protection.autoFilter = False
    sheet.freeze_panes = "D2"
    sheet.oddHeader.center.text = title
    _period_lists(workbook, sheet, rows, DataValidation)
    _guide(workbook, title, rows, Font, Alignment)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _period_lists(
    workbook: object, sheet: object, rows: list[TemplateRow], validation: type
) -> None:
    """A hidden sheet holds each indicator's periods; each row's 报告期 picks from its list."""
    from openpyxl.utils import get_column_letter

    lists = workbook.create_sheet("报告期选项")  # type: ignore[attr-defined]
    lists.sheet_state = "hidden"
    columns: dict[tuple[str, ...], str] = {}
    rules: dict[str, object] = {}
    for line, row in enumerate(rows, start=2):
        letter = columns.get(row.periods)
        if letter is None:
            letter = get_column_letter(len(columns) + 1)
            columns[row.periods] = letter
            for index, period in enumerate(row.periods, start=1):
                lists[f"{letter}{index}"] = period
                lists[f"{letter}{index}"].number_format = "@"
            rule = validation(
                type="list",
                formula1=f"'报告期选项'!${letter}$1:${letter}${len(row.periods)}",
                allow_blank=False,
                showErrorMessage=True,
                errorTitle="报告期",
                error="请从下拉列表中选择规划覆盖的报告期",
            )
            sheet.add_data_validation(rule)  # type: ignore[attr-defined]
            rules[letter] = rule
        rules[letter].add(f"C{line}")  # type: ignore[attr-defined]
    lists.protection.sheet = True


def _guide(workbook: object, title: str, rows: list[TemplateRow], font: type, align: type) -> None:
    guide = workbook.create_sheet("填报说明", 1)  # type: ignore[attr-defined]
    guide["A1"] = title
    guide["A1"].font = font(bold=True, size=14)
    line = 3
    for text in _GUIDE:
        guide[f"A{line}"] = text
        if not text[0].isdigit() and len(text) < 10:
            guide[f"A{line}"].font = font(bold=True)
        line += 1
    line += 1
    guide[f"A{line}"] = "各列说明"
    guide[f"A{line}"].font = font(bold=True)
    for header, meaning in COLUMNS:
        line += 1
        guide[f"A{line}"] = header
        guide[f"B{line}"] = meaning
    if rows:
        line += 2
        first = min(r.period[:4] for r in rows)
        last = max(r.period[:4] for r in rows)
        indicators = len({r.indicator_id for r in rows})
        guide[f"A{line}"] = f"本模板共{indicators}项指标、{len(rows)}行，报告期{first}—{last}年。"
    guide.column_dimensions["A"].width = 16
    guide.column_dimensions["B"].width = 70
    for cells in guide.iter_rows():
        for cell in cells:
            cell.alignment = align(wrap_text=cell.column == 2, vertical="top")
    guide.protection.sheet = True
