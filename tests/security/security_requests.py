"""Requests of the security corpus: the ``Case`` shape and the encoders (JSON with non-JSON
number tokens, CSV, .xlsx, multipart/form-data with any file name).

The catalog the cases are written for is the test catalog of ``support.ingest``: ``tcity-*``
entries of 白银市 (2021–2025) and ``tprov-rd-spend`` of 甘肃省 (2024–2030).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BASE",
    "BIG",
    "COLUMNS",
    "FILLERS",
    "MISSING",
    "XLSX",
    "Case",
    "Raw",
    "csv_text",
    "json_body",
    "multipart",
    "xlsx",
    "xlsx_rows",
]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MB = 1024 * 1024
BIG = 50 * MB  # over the default 20 MiB limit


class _Missing:
    """Marks a field left out of the row."""


MISSING = _Missing()


@dataclass(frozen=True)
class Raw:
    """A JSON token written verbatim (NaN, Infinity, 1e400: not JSON, but sent by real clients)."""

    text: str


@dataclass
class Case:
    id: str
    method: str = "POST"
    path: str = "/v1/submissions"
    content: bytes | Callable[[], bytes] | None = None
    headers: dict[str, str | bytes] = field(default_factory=dict)
    # The errors must name this field (None: no single field is at fault, e.g. a duplicate row
    # or an unknown route); several names when more than one is right.
    field: str | tuple[str, ...] | None = None
    row: int | None = None
    line: int | None = None
    reason: str | None = None
    status: int | tuple[int, ...] | None = None  # None: any 4xx
    key: str | None = "everything"  # which key of the fixture; None: no Authorization header
    chunked: bool = False  # send without Content-Length

    def body(self) -> bytes | None:
        return self.content() if callable(self.content) else self.content


BASE: dict[str, Any] = {"indicator_id": "tcity-rd-spend", "period": "2024", "value": 1.5}
# Valid rows placed around the bad one in a batch: other series, so no duplicate is introduced.
FILLERS: list[dict[str, Any]] = [
    {"indicator_id": "tcity-firms", "period": "2023", "value": 5},
    {"indicator_id": "tcity-talent", "period": "2023", "value": 2.5},
]


def json_body(data: Any) -> bytes:
    """JSON with ``Raw`` tokens written verbatim."""
    raws: dict[str, str] = {}

    def swap(value: Any) -> Any:
        if isinstance(value, Raw):
            marker = f"@@raw{len(raws)}@@"
            raws[marker] = value.text
            return marker
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(v) for v in value]
        return value

    text = json.dumps(swap(data), ensure_ascii=False)
    for marker, token in raws.items():
        text = text.replace(f'"{marker}"', token)
    return text.encode()


def _cell(value: Any) -> str:
    if isinstance(value, Raw):
        return json.loads(value.text) if value.text.startswith('"') else value.text
    return "" if value is None else str(value)


COLUMNS = [
    "indicator_id",
    "jurisdiction",
    "period",
    "value",
    "unit",
    "source",
    "comment",
    "submission_id",
]


def csv_text(rows: list[dict[str, Any]], header: list[str] | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    columns = header or COLUMNS
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return out.getvalue()


def xlsx(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "submissions"
    for cells in rows:
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_rows(rows: list[dict[str, Any]]) -> bytes:
    def cell(value: Any) -> Any:
        if isinstance(value, Raw):
            return json.loads(value.text) if value.text.startswith('"') else value.text
        return value

    return xlsx([COLUMNS] + [[cell(r.get(c)) for c in COLUMNS] for r in rows])


def multipart(
    filename: str | bytes, content: bytes, part_type: str = "application/octet-stream"
) -> tuple[bytes, dict[str, str | bytes]]:
    boundary = "planwatch-security-boundary"
    name = filename if isinstance(filename, bytes) else filename.encode()
    body = (
        f"--{boundary}\r\n".encode()
        + b'Content-Disposition: form-data; name="file"; filename="'
        + name
        + b'"\r\n'
        + f"Content-Type: {part_type}\r\n\r\n".encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
