"""The edges of the HTTP surface: content types, short CSV rows, numbers, readiness in words."""

from __future__ import annotations

import time
from typing import Any

from support.ingest import CITY


def post(ingest: Any, body: Any, **headers: str) -> Any:
    all_headers = {**ingest.auth(ingest.keys.city), **headers}
    if isinstance(body, bytes):
        return ingest.client.post("/v1/submissions", content=body, headers=all_headers)
    return ingest.client.post("/v1/submissions", json=body, headers=all_headers)


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def test_text_plain_gets_the_documented_415(ingest: Any) -> None:
    body = b"indicator_id,period,value\r\ntcity-rd-spend,2023,1\r\n"
    problem = assert_problem(post(ingest, body, **{"Content-Type": "text/plain"}), 415)
    assert problem["errors"][0]["reason"] == "unsupported_media_type"
    assert "text/plain" in problem["errors"][0]["problem"]


def test_a_csv_row_with_missing_columns_names_the_row_and_the_column(ingest: Any) -> None:
    body = (
        b"indicator_id,period,value,source\r\n"
        b"tcity-rd-spend,2023,1,x\r\n"
        b"tcity-firms,2023\r\n"  # ends before the value column
    )
    problem = assert_problem(post(ingest, body, **{"Content-Type": "text/csv"}), 422)
    assert problem["type"].endswith(":invalid-rows")
    [error] = problem["errors"]
    assert (error["row"], error["line"], error["field"]) == (2, 3, "value")
    assert error["reason"] == "missing_column" and "2 cells" in error["problem"]


def test_a_short_row_missing_only_optional_columns_is_read(ingest: Any) -> None:
    body = b"indicator_id,period,value,source\r\ntcity-firms,2023,5\r\n"
    response = post(ingest, body, **{"Content-Type": "text/csv"})
    assert response.status_code == 202, response.text


def test_spreadsheet_numbers_are_read_and_python_syntax_refused(ingest: Any) -> None:
    body = (
        'indicator_id,period,value\r\ntcity-rd-spend,2023,"1,234.5"\r\ntcity-firms,2023,１２０\r\n'
    ).encode()
    response = post(ingest, body, **{"Content-Type": "text/csv; charset=utf-8"})
    assert response.status_code == 202, response.text
    assert [r["value"] for r in response.json()["results"]] == [1234.5, 120.0]
    refused = post(
        ingest,
        b"indicator_id,period,value\r\ntcity-talent,2023,1_000\r\n",
        **{"Content-Type": "text/csv"},
    )
    [error] = assert_problem(refused, 422)["errors"]
    assert (error["field"], error["reason"]) == ("value", "not_a_number")
    assert "underscores" in error["problem"]


def test_readiness_says_what_is_down_in_words_and_forgets_it_when_back(ingest: Any) -> None:
    client = ingest.client

    def ready(status: int) -> Any:
        deadline = time.monotonic() + 5
        response = client.get("/readyz")
        while response.status_code != status and time.monotonic() < deadline:
            time.sleep(0.02)
            response = client.get("/readyz")
        return response

    assert ready(200).json() == {"status": "ready", "broker": "up"}
    ingest.publisher.up = False
    down = assert_problem(ready(503), 503)
    assert down["type"].endswith(":broker-unreachable")
    assert down["detail"].startswith("消息代理") and "cannot be reached" in down["detail"]
    assert "127.0.0.1" not in down["detail"] and "Error" not in down["detail"]
    # submissions are still accepted while the broker is away
    accepted = post(ingest, {"indicator_id": "tcity-firms", "period": "2023", "value": 3})
    assert accepted.status_code == 202 and accepted.json()["results"][0]["jurisdiction"] == CITY
    ingest.publisher.up = True
    assert ready(200).json() == {"status": "ready", "broker": "up"}


def test_a_slow_key_database_holds_its_request_only_not_the_others(ingest: Any) -> None:
    """The key store stands in for a keys database that answers slowly (a network round trip to
    PostgreSQL, a write lock): it is the real store, delayed. While one request waits for it,
    the service still answers others."""
    import threading

    app = ingest.client.app
    components = app.state.components
    store = components.keys
    entered, released = threading.Event(), threading.Event()

    class SlowKeys:
        def __getattr__(self, name: str) -> Any:
            return getattr(store, name)

        def verify(self, token: str) -> Any:
            entered.set()
            time.sleep(1.5)
            released.set()
            return store.verify(token)

    components.keys = SlowKeys()
    answers: list[int] = []
    slow = threading.Thread(
        target=lambda: answers.append(
            post(ingest, {"indicator_id": "tcity-firms", "period": "2023", "value": 5}).status_code
        )
    )
    try:
        slow.start()
        assert entered.wait(5)
        assert ingest.client.get("/healthz").status_code == 200
        assert not released.is_set(), "the health check waited for another request's key lookup"
    finally:
        slow.join(10)
        components.keys = store
    assert answers == [202]
