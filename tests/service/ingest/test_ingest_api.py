"""The HTTP interface of ingest, on a test catalog, with the publisher fake at its port."""

from __future__ import annotations

import io
import time
from typing import Any

import orjson
import pytest
from openpyxl import Workbook, load_workbook

from planwatch.domain.events import SubmissionEvent
from planwatch.security import KeyStore
from support.ingest import CITY, PROVINCE

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROWS = [
    {"indicator_id": "tcity-rd-spend", "period": "2023", "value": 12.5, "source": "年报"},
    {"indicator_id": "tcity-firms", "jurisdiction": CITY, "period": "2022", "value": 120},
    {"indicator_id": "tcity-talent", "period": "2024", "value": 25000, "unit": "人"},
]


def post(ingest: Any, body: Any, key: str | None = None, **headers: str) -> Any:
    all_headers = {**ingest.auth(key or ingest.keys.city), **headers}
    if isinstance(body, bytes):
        return ingest.client.post("/v1/submissions", content=body, headers=all_headers)
    return ingest.client.post("/v1/submissions", json=body, headers=all_headers)


def published(ingest: Any, count: int) -> list[SubmissionEvent]:
    deadline = time.monotonic() + 5
    while len(ingest.publisher.events) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return [SubmissionEvent.from_bytes(e) for e in ingest.publisher.events]


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["type"].startswith("urn:planwatch:problem:")
    assert body["title"] and body["detail"]
    return body


def test_a_batch_is_accepted_with_a_result_per_row(ingest: Any) -> None:
    response = post(ingest, ROWS)
    assert response.status_code == 202, response.text
    body = response.json()
    assert (body["rows"], body["accepted"], body["revised"], body["duplicate"]) == (3, 3, 0, 0)
    assert body["submitted_by"] == "白银市统计局"
    talent = body["results"][2]
    assert talent["status"] == "accepted" and talent["vintage"] == 1
    assert talent["value"] == 2.5 and talent["unit"] == "万人"
    assert talent["conversion"]["from_unit"] == "人" and "万人" in talent["conversion"]["note"]
    events = published(ingest, 3)
    assert sorted(e.event_id for e in events) == sorted(r["event_id"] for r in body["results"])
    assert {e.submitted_by for e in events} == {"白银市统计局"}


def test_a_single_object(ingest: Any) -> None:
    response = post(ingest, ROWS[0])
    assert response.status_code == 202
    assert [r["row"] for r in response.json()["results"]] == [1]


def test_one_bad_row_rejects_the_whole_batch(ingest: Any) -> None:
    bad = {"indicator_id": "tcity-rd-share", "period": "2023", "value": 140}
    unknown = {"indicator_id": "nope", "period": "2023", "value": 1}
    body = assert_problem(post(ingest, [*ROWS, bad, unknown]), 422)
    assert [(e["row"], e["field"], e["reason"]) for e in body["errors"]] == [
        (4, "value", "share_out_of_range"),
        (5, "indicator_id", "unknown_indicator"),
    ]
    time.sleep(0.2)
    assert ingest.publisher.events == []
    # Nothing was kept: the same good rows are new afterwards.
    assert post(ingest, ROWS).json()["accepted"] == 3


def test_revisions_get_a_new_vintage_and_keep_the_old(ingest: Any) -> None:
    first = post(ingest, ROWS[0]).json()["results"][0]
    second = post(ingest, {**ROWS[0], "value": 13.0}).json()["results"][0]
    third = post(ingest, {**ROWS[0], "value": 13.0}).json()["results"][0]
    assert (first["status"], second["status"], third["status"]) == (
        "accepted",
        "revised",
        "duplicate",
    )
    assert (first["vintage"], second["vintage"], third["vintage"]) == (1, 2, 2)
    assert third["event_id"] == second["event_id"]
    events = published(ingest, 2)
    assert [(e.vintage, e.value) for e in events] == [(1, 12.5), (2, 13.0)]


def test_same_submission_id_is_accepted_once(ingest: Any) -> None:
    row = {**ROWS[0], "submission_id": "bj-2023-001"}
    first = post(ingest, row).json()["results"][0]
    replay = post(ingest, row).json()["results"][0]
    assert replay["status"] == "duplicate"
    assert (replay["event_id"], replay["vintage"]) == (first["event_id"], first["vintage"])
    conflict = assert_problem(post(ingest, {**row, "value": 99}), 422)
    assert conflict["errors"][0]["reason"] == "submission_id_conflict"
    assert len(published(ingest, 1)) == 1


def test_idempotency_key_replays_the_first_answer(ingest: Any) -> None:
    body = orjson.dumps(ROWS)
    headers = {"Idempotency-Key": "push-42", "Content-Type": "application/json"}
    first = post(ingest, body, **headers)
    again = post(ingest, body, **headers)
    assert first.status_code == again.status_code == 202
    assert again.content == first.content
    assert again.headers["idempotency-replayed"] == "true"
    other = post(ingest, orjson.dumps(ROWS[:1]), **headers)
    assert assert_problem(other, 422)["errors"][0]["field"] == "Idempotency-Key"
    assert len(published(ingest, 3)) == 3


def test_keys_and_scopes(ingest: Any) -> None:
    client = ingest.client
    missing = client.post("/v1/submissions", json=ROWS)
    assert_problem(missing, 401)
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert_problem(post(ingest, ROWS, key="pw_bad_key"), 401)
    assert_problem(post(ingest, ROWS, key=ingest.keys.reader), 403)  # read role only
    provincial = {"indicator_id": "tprov-rd-spend", "period": "2025", "value": 190}
    body = assert_problem(post(ingest, [ROWS[0], provincial]), 403)
    assert [(e["row"], e["field"], e["reason"]) for e in body["errors"]] == [
        (2, "jurisdiction", "scope")
    ]
    assert post(ingest, provincial, key=ingest.keys.province).status_code == 202
    assert post(ingest, [ROWS[0], provincial], key=ingest.keys.everything).status_code == 202


def test_a_revoked_key_stops_at_once(ingest: Any) -> None:
    store = KeyStore(f"sqlite:///{ingest.tmp / 'keys.db'}")
    key_id = ingest.keys.city.split("_")[1]
    assert post(ingest, ROWS[0]).status_code == 202
    assert store.revoke(key_id)
    store.close()
    assert_problem(post(ingest, ROWS[0]), 401)


@pytest.mark.parametrize(
    ("body", "content_type", "status", "reason"),
    [
        (b"{not json", "application/json", 400, "malformed"),
        (
            b'[{"indicator_id": "tcity-rd-spend", "period": "2023", "value": NaN}]',
            "application/json",
            422,
            "not_finite",
        ),
        (b"[]", "application/json", 422, "empty"),
        (b"<xml/>", "application/xml", 415, "unsupported_media_type"),
        (b"a,b\r\n", "text/csv; charset=latin-1", 415, "encoding"),
        ("indicator_id,period,value\r\n".encode("utf-16"), "text/csv", 400, "encoding"),
        (b"PK\x03\x04", XLSX, 400, "malformed"),
    ],
)
def test_bodies_that_cannot_be_read(
    ingest: Any, body: bytes, content_type: str, status: int, reason: str
) -> None:
    problem = assert_problem(post(ingest, body, **{"Content-Type": content_type}), status)
    assert problem["errors"][0]["reason"] == reason
    assert problem["errors"][0]["field"]


def test_oversized_bodies(ingest: Any) -> None:
    limit = ingest.client.app.state.components.settings.max_body_bytes
    problem = assert_problem(
        post(ingest, b"[" + b" " * limit + b"]", **{"Content-Type": "application/json"}), 413
    )
    assert problem["errors"][0]["reason"] == "oversized"
    assert ingest.client.get("/healthz").status_code == 200


def _csv(rows: list[dict[str, Any]], encoding: str = "utf-8") -> bytes:
    names = ["indicator_id", "jurisdiction", "period", "value", "unit", "source"]
    lines = [",".join(names)]
    for row in rows:
        lines.append(",".join(str(row.get(n, "")) for n in names))
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def _xlsx(rows: list[dict[str, Any]]) -> bytes:
    names = ["indicator_id", "jurisdiction", "period", "value", "unit", "source"]
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(names)
    for row in rows:
        sheet.append([row.get(n) for n in names])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _canonical(results: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    keys = ("row", "event_id", "indicator_id", "jurisdiction", "period", "vintage", "value", "unit")
    return [tuple(r[k] for k in keys) for r in results]


def test_csv_excel_and_json_give_the_same_figures(ingest: Any) -> None:
    from_json = post(ingest, ROWS).json()["results"]
    # The same figures again, as files: each row is a duplicate of the same event.
    for body, media in [
        (_csv(ROWS), "text/csv"),
        (_csv(ROWS, "gb18030"), "text/csv; charset=gb18030"),
        (_csv(ROWS, "gb18030"), "text/csv"),
        (_xlsx(ROWS), XLSX),
    ]:
        answer = post(ingest, body, **{"Content-Type": media})
        assert answer.status_code == 202, answer.text
        results = answer.json()["results"]
        assert {r["status"] for r in results} == {"duplicate"}
        assert _canonical(results) == _canonical(from_json)
        assert [r["line"] for r in results] == [2, 3, 4]
    upload = ingest.client.post(
        "/v1/submissions",
        files={"file": ("../../etc/白银 2023.xlsx", _xlsx(ROWS), "application/octet-stream")},
        headers=ingest.auth(ingest.keys.city),
    )
    assert upload.status_code == 202 and _canonical(upload.json()["results"]) == _canonical(
        from_json
    )
    assert len(published(ingest, 3)) == 3


def test_files_name_the_bad_line(ingest: Any) -> None:
    bad = [*ROWS, {"indicator_id": "tcity-firms", "period": "2023", "value": -4, "source": "=1+2"}]
    for body, media in [(_csv(bad), "text/csv"), (_xlsx(bad), XLSX)]:
        problem = assert_problem(post(ingest, body, **{"Content-Type": media}), 422)
        assert sorted(
            (e["row"], e["line"], e["field"], e["reason"]) for e in problem["errors"]
        ) == [
            (4, 5, "source", "formula"),
            (4, 5, "value", "negative_count"),
        ]
    json_problem = assert_problem(post(ingest, bad), 422)
    assert sorted((e["row"], e["field"]) for e in json_problem["errors"]) == [
        (4, "source"),
        (4, "value"),
    ]


def test_template_downloads_round_trip(ingest: Any) -> None:
    client, auth = ingest.client, ingest.auth(ingest.keys.city)
    csv_answer = client.get(
        f"/v1/templates/{CITY}", params={"format": "csv", "year": 2023}, headers=auth
    )
    assert csv_answer.status_code == 200 and csv_answer.content.startswith(b"\xef\xbb\xbf")
    lines = csv_answer.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("指标编号,地区,报告期,数值,单位")
    assert any(line.startswith(f"tcity-rd-spend,{CITY},2023,,亿元") for line in lines)
    xlsx_answer = client.get(f"/v1/templates/{CITY}", headers=auth)
    assert xlsx_answer.headers["content-type"] == XLSX
    sheet = load_workbook(io.BytesIO(xlsx_answer.content)).active
    assert sheet is not None
    assert {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)} == {
        "tcity-rd-spend",
        "tcity-firms",
        "tcity-rd-share",
        "tcity-growth",
        "tcity-rank",
        "tcity-talent",
    }
    # Fill one value in the downloaded template and upload it as it is.
    filled = csv_answer.content.decode("utf-8-sig").replace(
        f"tcity-firms,{CITY},2023,,家", f"tcity-firms,{CITY},2023,88,家"
    )
    answer = post(ingest, filled.encode(), **{"Content-Type": "text/csv"})
    assert answer.status_code == 202, answer.text
    assert answer.json()["accepted"] == 1 and answer.json()["skipped"] == len(lines) - 2
    assert_problem(client.get(f"/v1/templates/{PROVINCE}", headers=auth), 403)
    assert_problem(
        client.get("/v1/templates/火星市", headers=ingest.auth(ingest.keys.everything)), 404
    )
    assert_problem(client.get(f"/v1/templates/{CITY}"), 401)


def test_operations_endpoints(ingest: Any) -> None:
    client = ingest.client
    assert client.get("/healthz").json() == {"status": "ok"}
    post(ingest, ROWS)
    assert_problem(post(ingest, {"indicator_id": "nope", "period": "2023", "value": 1}), 422)
    published(ingest, 3)
    deadline = time.monotonic() + 5
    while client.get("/readyz").status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert client.get("/readyz").json()["broker"] == "up"
    text = client.get("/metrics").text
    assert 'planwatch_ingest_rows_total{status="accepted"} 3.0' in text
    assert 'planwatch_ingest_rows_rejected_total{reason="unknown_indicator"} 1.0' in text
    assert "planwatch_ingest_request_seconds_bucket" in text
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert "SubmissionIn" in schema["components"]["schemas"]
    assert_problem(client.get("/nowhere"), 404)
    wrong_method = client.get("/v1/submissions")
    assert assert_problem(wrong_method, 405)["type"].endswith("method-not-allowed")
    assert wrong_method.headers["allow"] == "POST"
