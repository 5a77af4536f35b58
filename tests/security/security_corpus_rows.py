"""Row faults of the security corpus, crossed with the ways a row arrives.

One table line (a field, a bad value, the reason the service must give) becomes requests as one
JSON object, first or last of a JSON batch, a CSV in UTF-8 / UTF-8 with BOM / GB18030 (declared
or sniffed), and for a sample an .xlsx sheet and a multipart upload whose file name is a path.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from security_requests import (
    BASE,
    FILLERS,
    MISSING,
    XLSX,
    Case,
    Raw,
    csv_text,
    json_body,
    multipart,
    xlsx_rows,
)

__all__ = ["duplicate_cases", "row_cases"]


@dataclass(frozen=True)
class RowFault:
    name: str
    changes: dict[str, Any]  # field → value (MISSING: leave out; Raw: verbatim JSON token)
    field: str | None
    reason: str | None
    csv: bool = True  # also meaningful as a CSV/xlsx cell (a text value)


def _faults() -> list[RowFault]:
    faults: list[RowFault] = []

    def add(
        name: str, changes: dict[str, Any], fld: str | None, reason: str | None, csv: bool = True
    ) -> None:
        faults.append(RowFault(name, changes, fld, reason, csv))

    # Missing fields (null is the same as left out).
    for name in ("indicator_id", "period", "value"):
        add(f"missing-{name}", {name: MISSING}, name, "missing_field", csv=name != "value")
        add(f"null-{name}", {name: None}, name, "missing_field", csv=False)
    # Wrong JSON types.
    for name, values in {
        "indicator_id": [123, [], {}, True],
        "period": [2024, 2024.0, [], {"year": 2024}],
        "jurisdiction": [1, [], True],
        "unit": [5, ["亿元"], {}],
        "source": [1, ["x"]],
        "comment": [{}, 2.5],
        "submission_id": [12, [1]],
    }.items():
        for value in values:
            add(f"type-{name}-{type(value).__name__}", {name: value}, name, "wrong_type", csv=False)
    for value in ("1.5", True, [1.5], {"v": 1}):
        add(f"type-value-{type(value).__name__}", {"value": value}, "value", "not_a_number", False)
    # Values in text (CSV/xlsx cells and JSON strings alike are refused unless they are numbers).
    # A comma only separates groups of three digits ("1,5,6" is not 156); "1_000" is Python's
    # syntax, not a spreadsheet's; Arabic-Indic digits and spaces inside a number are refused too.
    for text in ("abc", "=1+1", "1,5,6", "一百", "0x10", "--5", "1_000", "1 000", "١٢٣"):
        add(f"text-value-{text}", {"value": text}, "value", "not_a_number")
    # Non-finite and huge numbers.
    for token in ("NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1.8e308", "1" + "0" * 400):
        add(f"nonfinite-{token[:12]}", {"value": Raw(token)}, "value", "not_finite")
    for token in ("1e16", "-1e16", "1e300", "123456789012345678901234567890"):
        add(f"huge-{token[:12]}", {"value": Raw(token)}, "value", "out_of_range")
    # Values impossible for the kind of indicator.
    for indicator, value, reason in (
        ("tcity-rd-share", 140, "share_out_of_range"),
        ("tcity-rd-share", -0.5, "share_out_of_range"),
        ("tcity-firms", -5, "negative_count"),
        ("tcity-rank", 0, "out_of_range"),
        ("tcity-rank", -3, None),  # 位 also counts: out of range or negative, both right
        ("tcity-growth", -100, "out_of_range"),
        ("tcity-growth", -250.5, "out_of_range"),
    ):
        add(
            f"kind-{indicator}-{value}",
            {"indicator_id": indicator, "value": value},
            "value",
            reason,
        )
    # Wrong units.
    for indicator, unit in (
        ("tcity-rd-spend", "公斤"),
        ("tcity-rd-spend", "%"),
        ("tcity-rd-spend", "人"),
        ("tcity-firms", "万人"),
        ("tcity-rd-share", "亿元"),
        ("tcity-talent", "元"),
    ):
        add(
            f"unit-{indicator}-{unit}",
            {"indicator_id": indicator, "unit": unit},
            "unit",
            "unit_mismatch",
        )
    # Impossible periods.
    for text in (
        "2024-13",
        "2024-00",
        "2024-Q0",
        "2024-Q5",
        "2024-1",
        "24",
        "20240",
        "1899",
        "2101",
        "9999",
        "2024-Q1-01",
        "2024/03",
        "2024年",
        "Q1-2024",
        "2024-02-30",
        "2024-W01",
        "-2024",
        "2024.5",
        "=2024",
        "２０２４-13",
    ):
        add(f"period-{text}", {"period": text}, "period", "invalid_period")
    add("period-empty", {"period": ""}, "period", "invalid_period", csv=False)
    for text in ("2019", "2026", "2030", "1900", "2100", "2020-Q4", "2026-01"):
        add(f"outside-{text}", {"period": text}, "period", "period_outside_plan")
    # Unknown indicators and jurisdictions (spreadsheet formulas included).
    for text in ("nope", "TCITY-RD-SPEND", "=cmd|' /C calc'!A0", "../../etc/passwd", "x" * 300):
        add(f"indicator-{text[:20]}", {"indicator_id": text}, "indicator_id", "unknown_indicator")
    for text in ("甘肃省", "上海市", "=1+1", "白银"):
        add(
            f"jurisdiction-{text}",
            {"jurisdiction": text},
            "jurisdiction",
            "jurisdiction_not_covered",
        )
    # Text fields: formula injection, control characters, length.
    formulas = ('=HYPERLINK("http://x","y")', "+1+1", "-1+A1", "@SUM(A1:A9)", "\t=1", "\r=2")
    for name in ("source", "comment", "submission_id"):
        for text in formulas:
            add(
                f"formula-{name}-{text[:6]}",
                {name: text},
                name,
                "formula",
                csv=text[0] not in "\t\r",
            )
        for text in ("a\x07b", "a\x00b", "right\u202eleft", "line\nbreak"):
            add(
                f"control-{name}-{text}",
                {name: text},
                name,
                "control_chars",
                csv="\x00" not in text,
            )
    for name, limit in (("source", 500), ("comment", 2000), ("submission_id", 128)):
        add(f"long-{name}", {name: "长" * (limit + 1)}, name, "too_long")
    # Unknown fields.
    for name in ("extra", "Value", "__proto__", "indicator", "constructor", ""):
        add(f"unknown-{name or 'empty'}", {name: 1}, name, "unknown_field", csv=False)
    return faults


def _row(changes: dict[str, Any]) -> dict[str, Any]:
    row = dict(BASE)
    for name, value in changes.items():
        if value is MISSING:
            row.pop(name, None)
        else:
            row[name] = value
    return row


def row_cases() -> Iterator[Case]:
    json_type = {"Content-Type": "application/json"}
    for fault in _faults():
        bad = _row(fault.changes)
        expect = {"field": fault.field, "reason": fault.reason}
        yield Case(
            f"json-object-{fault.name}", content=json_body(bad), headers=json_type, row=1, **expect
        )
        yield Case(
            f"json-first-{fault.name}",
            content=json_body([bad, *FILLERS]),
            headers=json_type,
            row=1,
            **expect,
        )
        yield Case(
            f"json-last-{fault.name}",
            content=json_body([*FILLERS, bad]),
            headers=json_type,
            row=3,
            **expect,
        )
        if not fault.csv:
            continue
        text = csv_text([FILLERS[0], bad])
        for label, data, content_type in (
            ("utf8", text.encode(), "text/csv"),
            ("bom", b"\xef\xbb\xbf" + text.encode(), "text/csv; charset=utf-8"),
            ("gb18030", text.encode("gb18030"), "text/csv; charset=GB18030"),
            ("gb18030-sniffed", text.encode("gb18030"), "text/csv"),
        ):
            yield Case(
                f"csv-{label}-{fault.name}",
                content=data,
                headers={"Content-Type": content_type},
                row=2,
                line=3,
                **expect,
            )
    # A sample of the faults also as an .xlsx sheet and as uploads named like paths.
    # openpyxl cannot write control characters into a cell: those stay CSV-only.
    sample = [f for f in _faults() if f.csv and "control" not in f.name][::5]
    names = [
        "../../../../etc/passwd",
        "..\\..\\..\\Windows\\win.ini",
        "/etc/shadow",
        "C:\\boot",
        "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "~/.ssh/authorized_keys",
        "\u202egpj",
        "x" * 2000,
        "nul\x00byte",
        "报表/../../../数据",
    ]
    for index, fault in enumerate(sample):
        bad = _row(fault.changes)
        expect = {"field": fault.field, "reason": fault.reason, "row": 2, "line": 3}
        yield Case(
            f"xlsx-{fault.name}",
            content=xlsx_rows([FILLERS[0], bad]),
            headers={"Content-Type": XLSX},
            **expect,
        )
        path = names[index % len(names)]
        if index % 2:
            body, headers = multipart(path + ".xlsx", xlsx_rows([FILLERS[0], bad]))
        else:
            body, headers = multipart(path + ".csv", csv_text([FILLERS[0], bad]).encode())
        yield Case(f"upload-{index}-{fault.name}", content=body, headers=headers, **expect)


def duplicate_cases() -> Iterator[Case]:
    first = dict(BASE)
    same = [
        ("identical", dict(BASE)),
        ("padded-period", {**BASE, "period": " 2024 "}),
        ("explicit-jurisdiction", {**BASE, "jurisdiction": "白银市"}),
        ("converted-unit", {**BASE, "unit": "万元", "value": 15000}),
        ("other-value", {**BASE, "value": 2.5}),
    ]
    for name, other in same:
        for label, rows, at in (
            ("pair", [first, other], 2),
            ("spread", [first, *FILLERS, other], 4),
        ):
            yield Case(
                f"duplicate-{label}-{name}",
                content=json_body(rows),
                headers={"Content-Type": "application/json"},
                row=at,
                reason="duplicate_row",
            )
        yield Case(
            f"duplicate-csv-{name}",
            content=csv_text([first, other]).encode(),
            headers={"Content-Type": "text/csv"},
            row=2,
            line=3,
            reason="duplicate_row",
        )
    ids = [{**BASE, "submission_id": "s-1"}, {**FILLERS[0], "submission_id": "s-1"}]
    yield Case(
        "duplicate-submission-id",
        content=json_body(ids),
        headers={"Content-Type": "application/json"},
        field="submission_id",
        row=2,
        reason="duplicate_row",
    )
