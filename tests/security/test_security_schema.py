"""schemathesis against the OpenAPI documents of the running ingest and alerts processes.

Requests are generated from each operation's schema (valid and invalid bodies, parameters and
headers), sent with a key that covers every jurisdiction, and every answer is checked: never a
5xx, a status code, content type, headers and body that the document declares. Both documents
declare each error answer under ``application/problem+json`` with the ``Problem`` schema, so an
error's body is checked like any other.
"""

from __future__ import annotations

from typing import Any

import httpx
import orjson
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks

from support.fixtures_security import SecureService

pytestmark = pytest.mark.integration

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
# Excel bodies are bytes like any binary upload (generated ones are not workbooks: 400).
schemathesis.serializer.alias(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/octet-stream"
)


BOUNDED = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,  # the same requests on every run: a failure here is reproducible
)


def _ingest_doc() -> dict[str, Any]:
    from planwatch.settings import CommonSettings
    from planwatch_ingest.app import create_app
    from planwatch_ingest.settings import Settings

    # Building the app connects nothing; only its lifespan does.
    common = CommonSettings(_env_file=None)  # type: ignore[call-arg]
    return create_app(Settings(_env_file=None, common=common)).openapi()  # type: ignore[call-arg]


def _alerts_doc() -> dict[str, Any] | None:
    try:
        from planwatch_alerts.app import create_app
    except ImportError:
        return None
    from planwatch.settings import CommonSettings
    from planwatch_alerts.settings import Settings

    common = CommonSettings(_env_file=None)  # type: ignore[call-arg]
    return create_app(Settings(_env_file=None, common=common)).openapi()  # type: ignore[call-arg]


# The documents are built from the apps at collection (schemathesis generates one test per
# operation from them); the first test checks they are what the running processes serve.
INGEST_DOC = _ingest_doc()
ALERTS_DOC = _alerts_doc()
ingest = schemathesis.openapi.from_dict(INGEST_DOC)
alerts = schemathesis.openapi.from_dict(
    ALERTS_DOC or {"openapi": "3.1.0", "info": {"title": "none", "version": "0"}, "paths": {}}
)
no_alerts = pytest.mark.skipif(ALERTS_DOC is None, reason="planwatch_alerts has no create_app yet")


def test_the_documents_are_what_the_processes_serve(secure_ingest: SecureService) -> None:
    served = httpx.get(f"{secure_ingest.url}/openapi.json", timeout=10).json()
    assert served == INGEST_DOC
    assert "/v1/submissions" in served["paths"]


@no_alerts
def test_the_alerts_document_is_what_the_process_serves(secure_alerts: SecureService) -> None:
    served = httpx.get(f"{secure_alerts.url}/openapi.json", timeout=10).json()
    assert served == ALERTS_DOC
    assert "/v1/alerts" in served["paths"]


def _call(
    case: schemathesis.Case, service: SecureService, key: str, checks: list[Any] = CHECKS
) -> None:
    """Send the generated request with httpx, then run the checks on the answer.

    schemathesis's own sender counts the connections of a requests session, which breaks on the
    urllib3-future that grafana-client brings in; requests still builds the exact request
    (body, multipart boundary, query), httpx sends it.
    """
    kwargs = case.as_transport_kwargs(base_url=service.url, headers=service.auth(key))
    wanted = ("method", "url", "headers", "files", "data", "json", "params", "cookies")
    prepared = requests.Request(**{k: v for k, v in kwargs.items() if k in wanted}).prepare()
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body
    response = httpx.request(
        prepared.method or "GET",
        prepared.url or "",
        content=body,
        headers=dict(prepared.headers),
        timeout=30,
    )
    case.validate_response(response, checks=checks, headers=dict(prepared.headers))


@ingest.parametrize()
@BOUNDED
def test_ingest_answers_as_its_openapi_says(
    case: schemathesis.Case, secure_ingest: SecureService
) -> None:
    _call(case, secure_ingest, "everything")


@no_alerts
@alerts.parametrize()
@BOUNDED
def test_alerts_answers_as_its_openapi_says(
    case: schemathesis.Case, secure_alerts: SecureService
) -> None:
    _call(case, secure_alerts, "everything")


PROBLEM_TYPE = "application/problem+json"


def _error_answers(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
    """Each operation's error answers (status 4xx or 5xx, or a range) by status."""
    return {
        (method, path): {
            status: answer
            for status, answer in operation["responses"].items()
            if not status.startswith(("1", "2", "3"))
        }
        for path, methods in doc["paths"].items()
        for method, operation in methods.items()
    }


def test_ingest_documents_each_error_as_a_problem() -> None:
    found = _error_answers(INGEST_DOC)
    assert {op: sorted(answers) for op, answers in found.items()} == {
        ("post", "/v1/submissions"): [
            *("400", "401", "403", "408", "409"),
            *("413", "415", "422", "503"),
        ],
        ("post", "/v1/submissions/preview"): [
            *("400", "401", "403", "408"),
            *("413", "415", "422", "503"),
        ],
        ("get", "/v1/figures"): ["401", "403", "503"],
        ("get", "/v1/templates/{jurisdiction}"): ["401", "403", "404", "422"],
        ("get", "/healthz"): [],
        ("get", "/readyz"): ["503"],
        ("get", "/metrics"): [],
    }
    problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
    for op, answers in found.items():
        for status, answer in answers.items():
            assert answer["content"] == {PROBLEM_TYPE: problem}, (op, status)
    submit = found[("post", "/v1/submissions")]
    assert "WWW-Authenticate" in submit["401"]["headers"]
    assert "Retry-After" in submit["503"]["headers"]
    schemas = INGEST_DOC["components"]["schemas"]
    assert {"problem", "reason"} <= set(schemas["ProblemItem"]["required"])
    assert "HTTPValidationError" not in schemas


def test_ingest_error_bodies_match_the_document(secure_ingest: SecureService) -> None:
    submissions = ingest["/v1/submissions"]["POST"]
    response = httpx.post(
        f"{secure_ingest.url}/v1/submissions",
        json=[{"indicator_id": "tcity-rd-spend", "period": "2023", "value": "many"}],
        headers=secure_ingest.auth("everything"),
        timeout=10,
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_TYPE
    submissions.validate_response(response)  # raises if the body is not the documented one
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [(1, "value")]
    # The check reads the body: the same answer with an item lacking its reason fails it.
    body = response.json()
    del body["errors"][0]["reason"]
    altered = httpx.Response(
        422, headers=response.headers, content=orjson.dumps(body), request=response.request
    )
    altered.read()
    altered.elapsed = response.elapsed
    with pytest.raises(AssertionError, match="reason"):
        submissions.validate_response(altered)
    # A template parameter FastAPI rejects answers in the same documented shape.
    template = httpx.get(
        f"{secure_ingest.url}/v1/templates/白银市",
        params={"format": "pdf"},
        headers=secure_ingest.auth("everything"),
        timeout=10,
    )
    assert template.status_code == 422, template.text
    ingest["/v1/templates/{jurisdiction}"]["GET"].validate_response(template)
    assert [e["field"] for e in template.json()["errors"]] == ["format"]


@no_alerts
def test_alerts_documents_its_error_statuses() -> None:
    assert ALERTS_DOC is not None
    for path, methods in ALERTS_DOC["paths"].items():
        for method, operation in methods.items():
            declared = set(operation["responses"])
            assert {"401", "403"} <= declared or "4XX" in declared, (method, path, declared)


@no_alerts
def test_alerts_error_bodies_match_the_document(secure_alerts: SecureService) -> None:
    assert ALERTS_DOC is not None
    alert = httpx.get(
        f"{secure_alerts.url}/v1/alerts", headers=secure_alerts.auth("everything"), timeout=10
    ).json()[0]
    response = httpx.post(
        f"{secure_alerts.url}/v1/alerts/{alert['id']}/silence",
        json={"until": "2000-01-01T00:00:00Z", "reason": "r", "by": "b"},
        headers=secure_alerts.auth("everything"),
        timeout=10,
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json", response.text
    # the body is what the document declares for this operation's 422 (raises if not) ...
    alerts["/v1/alerts/{alert_id}/silence"]["POST"].validate_response(response)
    # ... the same problem shape as a 422 of FastAPI's own validation, naming field and problem
    assert response.json()["errors"] == [
        {"field": "until", "problem": "must be in the future", "reason": "past_time"}
    ]
