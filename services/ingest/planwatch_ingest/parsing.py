"""Turn a request body (JSON, CSV or .xlsx) into rows for the validator, or say why it cannot.

CSV and Excel rows come out in the same shape as JSON objects: numbers in ``value`` are numbers,
the other cells are text, empty cells are left out. ``lines`` gives the file line of each row.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import orjson

from planwatch_ingest.validation import FIELDS, MISSING_CELLS, NotANumber

__all__ = [
    "MISSING_CELLS",
    "BodyError",
    "NotANumber",
    "Parsed",
    "decode_text",
    "parse_csv",
    "parse_json",
    "parse_xlsx",
    "read_number",
]

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Columns a template carries for the reader; ignored on upload.
INFO_COLUMNS = frozenset(
    {"indicator", "indicator_en", "target", "指标名称", "目标", "填报口径", "规划目标"}
)
_ALIASES = {
    "指标编号": "indicator_id",
    "地区": "jurisdiction",
    "报告期": "period",
    "数值": "value",
    "单位": "unit",
    "来源": "source",
    "备注": "comment",
    "提交编号": "submission_id",
}
_REQUIRED = ("indicator_id", "period", "value")
_FILLED = frozenset({"source", "comment", "submission_id"})  # a template row does not have them
_MAX_UNZIPPED = 200 * 1024 * 1024  # an .xlsx that inflates past this is a zip bomb


class BodyError(Exception):
    """A body that cannot be read as rows at all (before any row is checked)."""

    def __init__(self, status: int, reason: str, field: str, problem: str) -> None:
        super().__init__(problem)
        self.status = status
        self.reason = reason
        self.field = field
        self.problem = problem


@dataclass
class Parsed:
    rows: list[Any]
    lines: list[int] | None = None  # file line of each row (CSV/Excel)
    skipped: int = 0  # template rows left empty
    single: bool = False  # one JSON object rather than an array
    fmt: str = "json"
    header_errors: list[tuple[str, str]] = field(default_factory=list)  # (column, problem)


def parse_json(body: bytes) -> Parsed:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as first:
        # NaN, Infinity and numbers past a double are not JSON, but the standard library reads
        # them: then the row check names the row and field instead of "malformed body".
        try:
            data = json.loads(body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise BodyError(400, "malformed", "body", f"not valid JSON: {first}") from None
    if isinstance(data, dict):
        return Parsed([data], single=True)
    if isinstance(data, list):
        if not data:
            raise BodyError(422, "empty", "body", "the array holds no rows")
        return Parsed(data)
    raise BodyError(422, "wrong_type", "body", "must be a JSON object or an array of objects")


def decode_text(data: bytes, charset: str | None = None) -> str:
    """UTF-8 (with or without BOM) or GB18030; anything else is refused with a reason."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BodyError(400, "encoding", "body", "UTF-16 text: save the file as UTF-8 or GB18030")
    if data.startswith(b"\xef\xbb\xbf"):
        data, charset = data[3:], "utf-8"
    wanted = (charset or "").lower().replace("_", "-")
    if wanted in ("utf-8", "utf8"):
        encodings = ["utf-8"]
    elif wanted in ("gb18030", "gbk", "gb2312", "cp936"):
        encodings = ["gb18030"]
    elif wanted in ("", "us-ascii", "ascii"):
        encodings = ["utf-8", "gb18030"]
    else:
        raise BodyError(415, "encoding", "body", f"charset {charset!r}: send UTF-8 or GB18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            raise BodyError(400, "encoding", "body", "NUL bytes: not UTF-8 or GB18030 text")
        return text
    raise BodyError(400, "encoding", "body", "neither UTF-8 nor GB18030 text")


# What a bureau's spreadsheet writes for a number, read on purpose: full-width digits, point,
# comma, signs and space (typed with a Chinese input method), commas between groups of three
# digits (Excel's and WPS's number format), a leading or trailing space, and the scientific
# notation Excel's CSV export uses for wide numbers. Anything else is refused with the reason.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．，－＋　", "0123456789.,-+ ")
_PLAIN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)
_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?", re.ASCII)
_NOT_FINITE = frozenset({"nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"})


def read_number(cell: str) -> float | NotANumber:
    """The number in a CSV or Excel text cell (see above for what is read), or why it is not."""
    text = cell.translate(_FULL_WIDTH).strip()
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    if _PLAIN.fullmatch(text) or text.lower() in _NOT_FINITE:  # NaN/Infinity: refused as such
        return float(text)
    if "_" in text:
        why = "underscores do not separate digits here: write 1000 or 1,000"
    elif "," in text:
        why = "a comma only separates groups of three digits, e.g. 1,234,567.8"
    elif any(c.isdigit() and not c.isascii() for c in text):
        why = "digits must be 0-9 (or full-width ０-９)"
    elif any(c.isspace() for c in text):
        why = "no spaces inside a number"
    elif text.endswith("%"):
        why = "write the number without %: the unit column says what it is"
    else:
        why = "not a number"
    return NotANumber(cell, why)


def _header(cells: list[Any]) -> tuple[list[str | None], list[tuple[str, str]]]:
    names: list[str | None] = []
    problems: list[tuple[str, str]] = []
    for cell in cells:
        raw = str(cell).strip() if cell is not None else ""
        name = _ALIASES.get(raw, raw.lower())
        if name in FIELDS:
            names.append(name)
        elif name in INFO_COLUMNS or raw in INFO_COLUMNS or not raw:
            names.append(None)
        else:
            names.append(None)
            problems.append((raw[:80], "unknown column"))
    for required in ("indicator_id", "period", "value"):
        if required not in names:
            problems.append((required, "missing column"))
    return names, problems


def _cell_text(name: str, cell: Any) -> Any:
    if isinstance(cell, datetime | date) and name == "period":
        return f"{cell.year:04d}-{cell.month:02d}"
    if isinstance(cell, float) and cell.is_integer() and name != "value":
        return str(int(cell))
    if isinstance(cell, int) and not isinstance(cell, bool) and name != "value":
        return str(cell)
    if isinstance(cell, str) and name == "value":
        return read_number(cell)
    if isinstance(cell, str):
        return cell.strip() if name != "comment" else cell
    return cell


def _table(records: Any, fmt: str, max_rows: int) -> Parsed:
    out = Parsed([], lines=[], fmt=fmt)
    names: list[str | None] | None = None
    for line, cells in enumerate(records, start=1):
        cells = list(cells)
        if names is None:
            if not any(c not in (None, "") for c in cells):
                continue
            names, out.header_errors = _header(cells)
            if out.header_errors:
                return out
            continue
        row: dict[str, Any] = {}
        extra = False
        for index, cell in enumerate(cells):
            if cell is None or cell == "":
                continue
            name = names[index] if index < len(names) else None
            if name is None:
                extra = extra or index >= len(names)
                continue
            row[name] = _cell_text(name, cell)
        if extra:
            row["(extra cells)"] = True
        if not row:
            continue
        missing = tuple(n for i, n in enumerate(names) if n in _REQUIRED and i >= len(cells))
        if missing:  # a short row: its data is missing, it is not a template row left empty
            row[MISSING_CELLS] = (missing, len(cells))
        if not missing and "value" not in row and not (_FILLED & row.keys()):
            out.skipped += 1  # a template row nobody filled in
            continue
        out.rows.append(row)
        assert out.lines is not None
        out.lines.append(line)
        if len(out.rows) > max_rows:
            raise BodyError(413, "oversized", "body", f"more than {max_rows} rows")
    if names is None:
        raise BodyError(422, "empty", "body", "the file holds no header row")
    if not out.rows:
        raise BodyError(422, "empty", "body", "the file holds no filled-in rows")
    return out


def parse_csv(body: bytes, charset: str | None, max_rows: int) -> Parsed:
    text = decode_text(body, charset)
    try:
        return _table(csv.reader(io.StringIO(text, newline="")), "csv", max_rows)
    except csv.Error as exc:
        raise BodyError(400, "malformed", "body", f"not valid CSV: {exc}") from None


def parse_xlsx(body: bytes, max_rows: int) -> Parsed:
    from openpyxl import load_workbook  # loaded on first Excel upload only

    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            if sum(info.file_size for info in archive.infolist()) > _MAX_UNZIPPED:
                raise BodyError(413, "oversized", "body", "the workbook inflates past 200 MB")
    except zipfile.BadZipFile:
        raise BodyError(400, "malformed", "body", "not an .xlsx workbook") from None
    try:
        # data_only=False: a formula comes back as its text and is refused, never evaluated.
        workbook = load_workbook(io.BytesIO(body), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for broken workbooks
        raise BodyError(400, "malformed", "body", f"not a readable .xlsx workbook: {exc}") from None
    try:
        sheet = (
            workbook["submissions"]
            if "submissions" in workbook.sheetnames
            else workbook.worksheets[0]
        )
        return _table(sheet.iter_rows(values_only=True), "xlsx", max_rows)
    except BodyError:
        raise
    except Exception as exc:
        raise BodyError(400, "malformed", "body", f"not a readable .xlsx workbook: {exc}") from None
    finally:
        workbook.close()
