"""Bodies to rows: JSON, CSV in UTF-8 or GB18030, .xlsx; everything else refused with a reason."""

from __future__ import annotations

import io
import math

import pytest
from openpyxl import Workbook

from planwatch_ingest.parsing import BodyError, parse_csv, parse_json, parse_xlsx

CSV = (
    "indicator_id,jurisdiction,period,value,unit,comment\r\n"
    'tcity-rd-spend,白银市,2023,"1,250.5",亿元,初值\r\n'
)


def test_json_object_and_array() -> None:
    assert parse_json(b'{"a": 1}').single
    assert parse_json(b'[{"a": 1}, {"b": 2}]').rows == [{"a": 1}, {"b": 2}]


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"{", 400), (b"[]", 422), (b'"text"', 422), (b"\xff\xfe{}", 400), (b"[" * 100_000, 400)],
)
def test_bad_json_bodies(body: bytes, status: int) -> None:
    with pytest.raises(BodyError) as caught:
        parse_json(body)
    assert caught.value.status == status and caught.value.field == "body"


def test_nan_and_huge_numbers_reach_the_row_check() -> None:
    rows = parse_json(b'[{"value": NaN}, {"value": 1e400}, {"value": Infinity}]').rows
    assert math.isnan(rows[0]["value"]) and math.isinf(rows[2]["value"])
    assert rows[1]["value"] == float("inf")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_utf8_and_gb18030(encoding: str) -> None:
    parsed = parse_csv(CSV.encode(encoding), None, 100)
    assert parsed.rows == [
        {
            "indicator_id": "tcity-rd-spend",
            "jurisdiction": "白银市",
            "period": "2023",
            "value": 1250.5,
            "unit": "亿元",
            "comment": "初值",
        }
    ]
    assert parsed.lines == [2]


def test_declared_charset_is_used() -> None:
    assert parse_csv(CSV.encode("gb18030"), "GBK", 100).rows[0]["jurisdiction"] == "白银市"
    with pytest.raises(BodyError):
        parse_csv(CSV.encode("gb18030"), "utf-8", 100)
    with pytest.raises(BodyError) as caught:
        parse_csv(CSV.encode(), "latin-1", 100)
    assert caught.value.status == 415


@pytest.mark.parametrize("data", [CSV.encode("utf-16"), CSV.encode("utf-16-le"), b"\x80\xff\xfe"])
def test_other_encodings_are_refused(data: bytes) -> None:
    with pytest.raises(BodyError) as caught:
        parse_csv(data, None, 100)
    assert caught.value.reason == "encoding"


def test_csv_header_problems_and_empty_template_rows() -> None:
    parsed = parse_csv(b"indicator_id,period,valu\r\nx,2023,1\r\n", None, 100)
    assert ("valu", "unknown column") in parsed.header_errors
    assert ("value", "missing column") in parsed.header_errors
    template = "indicator_id,period,value,indicator\r\na,2023,,名称\r\nb,2024,5,名称\r\n,,,\r\n"
    parsed = parse_csv(template.encode(), None, 100)
    assert parsed.rows == [{"indicator_id": "b", "period": "2024", "value": 5.0}]
    assert parsed.skipped == 1 and parsed.lines == [3]


def test_csv_row_limit() -> None:
    body = "indicator_id,period,value\r\n" + "a,2023,1\r\n" * 11
    with pytest.raises(BodyError) as caught:
        parse_csv(body.encode(), None, 10)
    assert caught.value.status == 413


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_cells_become_the_json_shape() -> None:
    data = _xlsx(
        [
            ["indicator_id", "period", "value", "source"],
            ["tcity-rd-spend", 2023, 12.5, "年报"],
            ["tcity-firms", "2023-Q2", "=1+1", "=cmd()"],
        ]
    )
    parsed = parse_xlsx(data, 100)
    assert parsed.rows[0] == {
        "indicator_id": "tcity-rd-spend",
        "period": "2023",
        "value": 12.5,
        "source": "年报",
    }
    # Formulas come back as text: the row check refuses them, nothing is evaluated.
    assert parsed.rows[1]["value"] == "=1+1" and parsed.rows[1]["source"] == "=cmd()"


@pytest.mark.parametrize("data", [b"PK\x03\x04broken", b"not a zip at all"])
def test_broken_xlsx(data: bytes) -> None:
    with pytest.raises(BodyError) as caught:
        parse_xlsx(data, 100)
    assert caught.value.status == 400
