"""Hundreds of malformed requests against a real ingest process: each gets a 4xx problem+json
that names the field at fault, none gets a 5xx, and afterwards the service still accepts a valid
submission. The corpus is generated in ``security_corpus.py``; one process serves the module."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from security_corpus import Case, build_corpus

from support.fixtures_security import SecureService

pytestmark = pytest.mark.integration

CORPUS = build_corpus()
CHUNK = 1024 * 1024


@pytest.fixture(scope="module")
def http(secure_ingest: SecureService) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=secure_ingest.url, timeout=60) as client:
        yield client


def _send(http: httpx.Client, service: SecureService, case: Case) -> httpx.Response:
    headers: dict[str, str | bytes] = dict(case.headers)
    if case.key is not None and "Authorization" not in headers:
        headers["Authorization"] = f"Bearer {service.tokens[case.key]}"
    body = case.body()
    content: bytes | Iterator[bytes] | None = body
    if case.chunked and body is not None:
        content = (body[i : i + CHUNK] for i in range(0, len(body), CHUNK))
    return http.request(case.method, case.path, content=content, headers=headers)


def _named(case: Case) -> tuple[str, ...]:
    if case.field is None:
        return ()
    return case.field if isinstance(case.field, tuple) else (case.field,)


def test_the_corpus_is_large_and_names_fields() -> None:
    assert len(CORPUS) >= 200
    assert sum(1 for c in CORPUS if c.field is not None) >= 200


@pytest.mark.parametrize("case", CORPUS, ids=[c.id for c in CORPUS])
def test_a_malformed_request_gets_a_problem_naming_the_field(
    secure_ingest: SecureService, http: httpx.Client, case: Case
) -> None:
    response = _send(http, secure_ingest, case)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:500])
    if case.status is not None:
        allowed = case.status if isinstance(case.status, tuple) else (case.status,)
        assert response.status_code in allowed, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == response.status_code
    assert problem["type"].startswith("urn:planwatch:problem:") and problem["title"]
    assert problem["detail"]
    errors = problem["errors"]
    named = _named(case)
    if named:
        assert any(e.get("field") in named for e in errors), (named, errors[:5])
    if case.row is not None or case.reason is not None:
        matching = [
            e
            for e in errors
            if (case.row is None or e.get("row") == case.row)
            and (not named or e.get("field") in named)
            and (case.reason is None or e.get("reason") == case.reason)
        ]
        assert matching, (case.row, named, case.reason, errors[:5])
        if case.line is not None:
            assert any(e.get("line") == case.line for e in matching), errors[:5]
    for error in errors:
        assert error["problem"] and error["reason"]


def test_the_service_keeps_serving_after_the_corpus(
    secure_ingest: SecureService, http: httpx.Client
) -> None:
    assert secure_ingest.alive(), secure_ingest.service.tail()
    figure = {"indicator_id": "tcity-rd-spend", "period": "2023", "value": 3.25}
    response = http.post("/v1/submissions", json=figure, headers=secure_ingest.auth("city"))
    assert response.status_code == 202, response.text
    assert response.json()["accepted"] == 1
    # Every request of the corpus was refused: nothing else reached the ledger.
    metrics = http.get("/metrics").text
    assert 'planwatch_ingest_rows_total{status="accepted"} 1.0' in metrics
    statuses = [
        line for line in metrics.splitlines() if line.startswith("planwatch_ingest_requests_total{")
    ]
    assert statuses and not [line for line in statuses if 'status="5' in line]
