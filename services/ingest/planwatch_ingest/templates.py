"""The per-jurisdiction template: the indicators, units and periods a bureau owes.

The same columns the upload reads, plus ``indicator`` and ``target`` for the reader (ignored on
upload). Rows whose ``value`` stays empty are skipped on upload.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from planwatch.catalog import Catalog
from planwatch.domain.kinds import first_owed_year
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


def _periods(entry: CatalogEntry, year: int | None) -> Iterator[str]:
    # a rank gain also owes the rank of the plan's start year, which it is counted from
    years = range(first_owed_year(entry), entry.last_year + 1) if year is None else [year]
    for y in years:
        # Figures are year to date: Q4 and December are the full year, listed once as YYYY.
        if entry.frequency is Frequency.QUARTERLY:
            yield from (f"{y}-Q{q}" for q in range(1, 4))
        elif entry.frequency is Frequency.MONTHLY:
            yield from (f"{y}-{m:02d}" for m in range(1, 12))
        yield str(y)


def _target_text(entry: CatalogEntry) -> str:
    return "; ".join(f"{t.year}: {t.value:g}{entry.unit}" for t in entry.targets)


def template_rows(catalog: Catalog, jurisdiction: str, year: int | None = None) -> list[list[str]]:
    """Header plus one row per (indicator, period) the jurisdiction owes; empty when unknown."""
    wanted = fold_name(jurisdiction)
    rows = [list(COLUMNS)]
    for entry in catalog:
        if fold_name(entry.jurisdiction) != wanted:
            continue
        for period in _periods(entry, year):
            rows.append(
                [
                    entry.id,
                    entry.jurisdiction,
                    period,
                    "",
                    entry.unit,
                    "",
                    "",
                    "",
                    entry.indicator,
                    _target_text(entry),
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
