"""The per-jurisdiction template: the indicators, units and periods a bureau owes.

The same columns the upload reads, plus ``indicator`` and ``target`` for the reader (ignored on
upload). Rows whose ``value`` stays empty are skipped on upload.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from planwatch.catalog import Catalog
from planwatch.domain.model import CatalogEntry, Frequency
from planwatch_ingest.rules import fold_name

__all__ = ["COLUMNS", "template_csv", "template_rows", "template_xlsx"]

COLUMNS = (
    "indicator_id",
    "jurisdiction",
    "period",
    "value",
    "unit",
    "source",
    "comment",
    "submission_id",
    "indicator",
    "target",
)


def _periods(frequency: Frequency, first_year: int, last_year: int) -> Iterator[str]:
    for y in range(first_year, last_year + 1):
        # Figures are year to date: Q4 and December are the full year, listed once as YYYY.
        if frequency is Frequency.QUARTERLY:
            yield from (f"{y}-Q{q}" for q in range(1, 4))
        elif frequency is Frequency.MONTHLY:
            yield from (f"{y}-{m:02d}" for m in range(1, 12))
        yield str(y)


def _target_text(entries: list[CatalogEntry]) -> str:
    """Every target the statistic feeds; with the plan's code when several plans target it."""
    several = len(entries) > 1
    return "; ".join(
        f"{e.plan_code} " * several + f"{t.year}: {t.value:g}{e.unit}"
        for e in entries
        for t in e.targets
    )


def template_rows(catalog: Catalog, jurisdiction: str, year: int | None = None) -> list[list[str]]:
    """Header plus one row per (statistic, period) the jurisdiction owes; empty when unknown.

    A statistic several plans target is one series: one row under the series id, reported once
    for all its targets."""
    wanted = fold_name(jurisdiction)
    rows = [list(COLUMNS)]
    for series, ids in catalog.series.items():
        entries = [catalog.entries[i] for i in ids]
        first = entries[0]
        if fold_name(first.jurisdiction) != wanted:
            continue
        years = (
            (min(e.first_year for e in entries), max(e.last_year for e in entries))
            if year is None
            else (year, year)
        )
        for period in _periods(first.frequency, *years):
            rows.append(
                [
                    series,
                    first.jurisdiction,
                    period,
                    "",
                    first.unit,
                    "",
                    "",
                    "",
                    first.indicator_simplified,
                    _target_text(entries),
                ]
            )
    return rows


def template_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    # BOM: Excel opens a UTF-8 CSV with Chinese text correctly only with it.
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def template_xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "submissions"
    for row in rows:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    # Text format on period and id columns: Excel would turn 2024-05 into a date.
    for column in ("A", "B", "C", "E", "F", "G", "H"):
        for cell in sheet[column]:
            cell.number_format = "@"
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
