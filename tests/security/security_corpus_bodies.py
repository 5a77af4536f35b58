"""Whole-request faults of the security corpus: bodies that are not JSON/CSV/xlsx, oversized
bodies, content types and charsets, multipart forms, headers and keys, routes and parameters."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator

from security_requests import (
    BASE,
    BIG,
    COLUMNS,
    FILLERS,
    XLSX,
    Case,
    Raw,
    csv_text,
    json_body,
    multipart,
    xlsx,
    xlsx_rows,
)

__all__ = ["body_cases", "header_cases", "route_cases"]

MB = 1024 * 1024


def _zip_bomb() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as entry:
            chunk = b"\0" * MB
            for _ in range(210):
                entry.write(chunk)
    return out.getvalue()


def body_cases() -> Iterator[Case]:
    json_type = {"Content-Type": "application/json"}
    broken_json = {
        "empty": b"",
        "open-brace": b"{",
        "open-bracket": b"[",
        "trailing-comma": b'[{"indicator_id": "tcity-rd-spend"},',
        "no-value": b'{"value":}',
        "single-quotes": b"{'value': 1}",
        "bare-word": b"nul",
        "garbage-after": b'{"value": 1} trailing',
        "object-trailing-comma": b'{"indicator_id": "tcity-rd-spend",}',
        "invalid-utf8": b'{"indicator_id": "\xff\xfe"}',
        "nul-bytes": b"\x00" * 16,
        "utf16-bom": '{"indicator_id": "tcity-rd-spend"}'.encode("utf-16"),
        "utf16le-no-bom": '{"indicator_id": "x"}'.encode("utf-16-le"),
        # Valid rows after a BOM would be fine to accept; this row is bad either way.
        "utf8-bom": b"\xef\xbb\xbf" + json_body(BASE | {"value": Raw("NaN")}),
        "deep-nesting": b"[" * 100_000 + b"]" * 100_000,
        "comment": b'// note\n{"value": 1}',
        "gb18030-text": json.dumps({"indicator_id": "指标"}, ensure_ascii=False).encode("gb18030"),
    }
    for name, data in broken_json.items():
        yield Case(
            f"body-json-{name}", content=data, headers=json_type, field="body", status=(400, 422)
        )
    for name, data in {
        "null": b"null",
        "number": b"42",
        "string": b'"text"',
        "true": b"true",
        "empty-array": b"[]",
    }.items():
        yield Case(
            f"body-json-top-{name}", content=data, headers=json_type, field="body", status=422
        )
    for name, data in {
        "numbers": b"[1, 2, 3]",
        "nulls": b"[null]",
        "arrays": b"[[]]",
        "strings": b'["a"]',
    }.items():
        yield Case(
            f"body-json-rows-{name}", content=data, headers=json_type, row=1, reason="wrong_type"
        )
    yield Case(
        "body-json-duplicate-keys",
        content=b'{"indicator_id": "tcity-rd-spend", "period": "2024", "value": 1, "value": "x"}',
        headers=json_type,
        field="value",
        row=1,
    )
    yield Case(
        "body-json-empty-object", content=b"{}", headers=json_type, field="indicator_id", row=1
    )
    yield Case(
        "body-json-too-many-rows",
        content=lambda: b"[" + b",".join([b"{}"] * 100_001) + b"]",
        headers=json_type,
        field="body",
        status=413,
    )
    # Oversized bodies: declared, streamed without a length, as an upload.
    yield Case(
        "body-50mb-json",
        content=lambda: b"[" + b" " * BIG + b"]",
        headers=json_type,
        field="body",
        status=413,
    )
    yield Case(
        "body-50mb-csv-chunked",
        content=lambda: (
            b"indicator_id,period,value\r\n" + b"tcity-rd-spend,2024,1\r\n" * (BIG // 23)
        ),
        headers={"Content-Type": "text/csv"},
        field="body",
        status=413,
        chunked=True,
    )
    yield Case(
        "body-50mb-upload",
        content=lambda: multipart("big.csv", b"a" * BIG)[0],
        headers=multipart("big.csv", b"")[1],
        field="body",
        status=413,
    )
    yield Case(
        "body-xlsx-zip-bomb",
        content=_zip_bomb,
        headers={"Content-Type": XLSX},
        field="body",
        status=413,
    )
    # Content types and charsets nobody supports.
    for media in (
        "",
        "text/xml",
        "application/xml",
        "application/x-www-form-urlencoded",
        "application/octet-stream",
        "image/png",
        "text/html",
        "application/javascript",
        "application/vnd.ms-excel",
        "application/pdf",
    ):
        headers = {"Content-Type": media} if media else {}
        yield Case(
            f"type-{media or 'none'}",
            content=json_body(BASE),
            headers=headers,
            field="content-type",
            status=415,
        )
    for charset in ("utf-16", "latin-1", '"shift_jis"', "ebcdic-cp-us", "utf-32"):
        yield Case(
            f"charset-{charset}",
            content=csv_text([BASE]).encode(),
            headers={"Content-Type": f"text/csv; charset={charset}"},
            field="body",
            reason="encoding",
            status=415,
        )
    # Text that is neither UTF-8 nor GB18030.
    text = csv_text([BASE, FILLERS[0]])
    for name, data in {
        "utf16-bom": text.encode("utf-16"),
        "utf16be-bom": b"\xfe\xff" + text.encode("utf-16-be"),
        "utf16le-no-bom": text.encode("utf-16-le"),
        "utf32": text.encode("utf-32"),
        "invalid-bytes": b"indicator_id,period,value\r\n\xff\xff\xff,2024,1\r\n",
    }.items():
        yield Case(
            f"encoding-{name}",
            content=data,
            headers={"Content-Type": "text/csv"},
            field="body",
            reason="encoding",
            status=400,
        )
    # CSV shape problems.
    yield Case(
        "encoding-gb18030-declared-utf8",
        content="指标编号,报告期,数值\r\nx,2024,1\r\n".encode("gb18030"),
        headers={"Content-Type": "text/csv; charset=utf-8"},
        field="body",
        reason="encoding",
        status=400,
    )
    for name, data, fld in (
        ("empty", b"", "body"),
        ("blank-lines", b"\r\n\r\n,,\r\n", "body"),
        ("header-only", b"indicator_id,period,value\r\n", "body"),
        ("missing-value-column", b"indicator_id,period\r\ntcity-rd-spend,2024\r\n", "value"),
        ("missing-period-column", b"indicator_id,value\r\ntcity-rd-spend,1\r\n", "period"),
        (
            "unknown-column",
            b"indicator_id,period,value,evil\r\ntcity-rd-spend,2024,1,x\r\n",
            "evil",
        ),
        ("formula-header", b'indicator_id,period,value,=cmd|"/c calc"!A1\r\n', '=cmd|"/c calc"!A1'),
        (
            "extra-cells",
            b"indicator_id,period,value\r\ntcity-rd-spend,2024,1,surplus\r\n",
            "(extra cells)",
        ),
        ("not-csv", b"\x89PNG\r\n\x1a\n\x00\x00", "body"),
        (
            "semicolons",
            b"indicator_id;period;value\r\ntcity-rd-spend;2024;1\r\n",
            "indicator_id;period;value",
        ),
        (
            "value-empty-with-source",
            b"indicator_id,period,value,source\r\ntcity-rd-spend,2024,,bureau\r\n",
            "value",
        ),
    ):
        yield Case(
            f"csv-shape-{name}", content=data, headers={"Content-Type": "text/csv"}, field=fld
        )
    # Broken workbooks.
    good = xlsx_rows([BASE])
    stored = io.BytesIO()
    with zipfile.ZipFile(stored, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    for name, data, status in (
        ("random-bytes", b"\x00\x01\x02 not a zip" * 50, 400),
        ("zip-not-workbook", stored.getvalue(), 400),
        ("truncated", good[: len(good) // 2], 400),
        ("csv-as-xlsx", csv_text([BASE]).encode(), 400),
        ("empty", b"", 400),
    ):
        yield Case(
            f"xlsx-{name}",
            content=data,
            headers={"Content-Type": XLSX},
            field="body",
            status=status,
        )
    for name, rows, fld in (
        ("header-only", [COLUMNS], "body"),
        ("no-rows", [], "body"),
        (
            "unknown-column",
            [["indicator_id", "period", "value", "evil"], ["tcity-rd-spend", "2024", 1, "x"]],
            "evil",
        ),
        (
            "formula-value",
            [["indicator_id", "period", "value"], ["tcity-rd-spend", "2024", "=1+1"]],
            "value",
        ),
        (
            "formula-period",
            [["indicator_id", "period", "value"], ["tcity-rd-spend", "=TODAY()", 1]],
            "period",
        ),
        (
            "formula-indicator",
            [["indicator_id", "period", "value"], ['=WEBSERVICE("http://x")', "2024", 1]],
            "indicator_id",
        ),
    ):
        yield Case(
            f"xlsx-sheet-{name}", content=xlsx(rows), headers={"Content-Type": XLSX}, field=fld
        )
    # Multipart forms that do not carry a file as agreed.
    boundary = "b0und"
    form = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    plain_field = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"\r\n\r\n'
        f"indicator_id,period,value\r\n--{boundary}--\r\n"
    ).encode()
    other_name, _ = multipart("x.csv", b"indicator_id,period,value\r\n")
    two_files = (
        other_name.replace(b"--planwatch-security-boundary--\r\n", b"")
        + b'--planwatch-security-boundary\r\nContent-Disposition: form-data; name="file"; '
        b'filename="y.csv"\r\nContent-Type: text/csv\r\n\r\n'
        b"a\r\n--planwatch-security-boundary--\r\n"
    )
    pdf_body, pdf_headers = multipart("../../report.pdf", b"%PDF-1.4", "application/pdf")
    for name, data, headers, fld, status in (
        ("text-field-not-file", plain_field, form, "file", 422),
        (
            "wrong-field-name",
            other_name.replace(b'name="file"', b'name="upload"'),
            multipart("", b"")[1],
            "file",
            422,
        ),
        ("two-files", two_files, multipart("", b"")[1], "body", 400),
        ("wrong-boundary", other_name, form, ("file", "body"), (400, 422)),
        (
            "no-boundary",
            other_name,
            {"Content-Type": "multipart/form-data"},
            ("file", "body"),
            (400, 422),
        ),
        ("garbage", b"\x00\xff garbage", form, ("file", "body"), (400, 422)),
        ("pdf-path-name", pdf_body, pdf_headers, "content-type", 415),
        ("json-path-name-broken", *multipart("/etc/passwd.json", b"{broken"), "body", 400),
        ("empty-file", multipart("../x.csv", b"")[0], multipart("", b"")[1], "body", 422),
    ):
        yield Case(f"form-{name}", content=data, headers=headers, field=fld, status=status)


def header_cases() -> Iterator[Case]:
    json_type = {"Content-Type": "application/json"}
    body = json_body(BASE | {"value": Raw("NaN")})
    for name, value in (
        ("too-long", "k" * 201),
        ("empty", ""),
        ("tab", "a\tb"),
        ("c1-control", "é\x85".encode("latin-1")),
    ):
        yield Case(
            f"idempotency-key-{name}",
            content=body,
            headers=json_type | {"Idempotency-Key": value},
            field="Idempotency-Key",
            status=400,
        )
    for name, value in (
        ("bearer-only", "Bearer"),
        ("lowercase-scheme", "bearer pw_x_y"),
        ("basic", "Basic dXNlcjpwYXNz"),
        ("token-scheme", "Token pw_abc_def"),
        ("unknown-key", "Bearer pw_000000000000_" + "A" * 43),
        ("empty-parts", "Bearer pw__"),
        ("sql", "Bearer pw_' OR '1'='1_x"),
        ("long", "Bearer " + "A" * 8000),
        ("non-ascii", "Bearer 密钥".encode()),
        ("no-prefix", "Bearer abc"),
    ):
        yield Case(
            f"auth-{name}",
            content=body,
            headers=json_type | {"Authorization": value},
            status=401,
            key=None,
        )
    yield Case("auth-none", content=body, headers=json_type, status=401, key=None)
    yield Case("auth-read-role", content=body, headers=json_type, status=403, key="reader")
    yield Case(
        "scope-other-jurisdiction",
        content=json_body(
            [FILLERS[0], {"indicator_id": "tprov-rd-spend", "period": "2025", "value": 1}]
        ),
        headers=json_type,
        field="jurisdiction",
        row=2,
        reason="scope",
        status=403,
        key="city",
    )


def route_cases() -> Iterator[Case]:
    template = "/v1/templates/白银市"
    for name, query, fld in (
        ("format-pdf", "?format=pdf", "format"),
        ("format-path", "?format=../../x", "format"),
        ("year-text", "?year=abc", "year"),
        ("year-low", "?year=1800", "year"),
        ("year-high", "?year=3000", "year"),
        ("year-huge", "?year=" + "9" * 40, "year"),
        ("year-float", "?year=2024.5", "year"),
    ):
        yield Case(f"template-{name}", method="GET", path=template + query, field=fld, status=422)
    for name, path, status in (
        ("unknown-jurisdiction", "/v1/templates/火星", 404),
        ("traversal", "/v1/templates/..%2F..%2Fetc%2Fpasswd", 404),
        ("formula", "/v1/templates/=1+1", 404),
    ):
        yield Case(f"template-{name}", method="GET", path=path, status=status)
    yield Case(
        "template-other-jurisdiction",
        method="GET",
        path="/v1/templates/甘肃省",
        status=403,
        key="city",
    )
    for method in ("GET", "PUT", "DELETE", "PATCH"):
        yield Case(f"method-{method}-submissions", method=method, content=b"{}", status=405)
    yield Case("method-POST-template", method="POST", path=template, status=405)
    yield Case("route-unknown", method="GET", path="/v1/nothing-here", status=404)
    yield Case("route-admin", method="GET", path="/admin", status=404)
