"""The alerts API's errors: problem+json, with the statuses and shape its document declares."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis

from planwatch.domain.events import Status, StatusChange
from planwatch.security import KeyStore, Role
from planwatch.settings import CommonSettings
from planwatch_alerts.app import create_app
from planwatch_alerts.settings import DEFAULT_ROUTES, Settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PROBLEM = "application/problem+json"
JSON = {"content-type": "application/json"}


def _change(indicator: str, to: Status) -> StatusChange:
    return StatusChange(
        catalog_version="v",
        indicator_id=indicator,
        jurisdiction="甘肃省",
        plan_code="p",
        from_status=None,
        to_status=to,
        tier=None,
        assessment={"status": to.value},
        target={"id": indicator},
        lead_agencies=("省科技厅",),
        responsible_agencies=("省科技厅",),
    )


class Api:
    def __init__(self, client: TestClient, keys: dict[str, str], doc: dict[str, Any]) -> None:
        self.client, self.keys, self.doc = client, keys, doc
        self.schema = schemathesis.openapi.from_dict(doc)

    def call(self, method: str, path: str, key: str = "gansu", **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.keys[key]}", **kw.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kw)

    def conforms(self, template: str, method: str, response: Any) -> dict[str, Any]:
        """The answer is a problem whose status and body the operation's document declares."""
        assert response.headers["content-type"] == PROBLEM, response.text
        declared = self.doc["paths"][template][method.lower()]["responses"]
        assert str(response.status_code) in declared, (template, response.status_code)
        self.schema[template][method.upper()].validate_response(response)
        body: dict[str, Any] = response.json()
        assert body["status"] == response.status_code and isinstance(body["detail"], str)
        assert body["type"].startswith("urn:planwatch:problem:")
        return body


@pytest.fixture
def api(tmp_path: Path, smtp_server: Any) -> Iterator[Api]:
    keys_url = f"sqlite:///{tmp_path / 'keys.db'}"
    store = KeyStore(keys_url)
    gansu, _ = store.create("甘肃省科技厅", ["甘肃省"], [Role.READ])
    qinghai, _ = store.create("青海省科技厅", ["青海省"], [Role.READ])
    writer, _ = store.create("甘肃省统计局", ["甘肃省"], [Role.SUBMIT])
    store.close()
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'alerts.db'}",
        routes_file=DEFAULT_ROUTES,
        consume=False,
        smtp_port=smtp_server.port,
        common=CommonSettings(data_dir=tmp_path, keys_db_url=keys_url),
    )
    app = create_app(settings, run_dispatcher=False)
    with TestClient(app) as client:
        engine = app.state.engine
        engine.handle(_change("gsbase-a", Status.LIMITED_PROGRESS))
        engine.handle(_change("gsbase-b", Status.LIMITED_PROGRESS))
        engine.handle(_change("gsbase-b", Status.ON_TRACK))  # resolved
        keys = {"gansu": gansu, "qinghai": qinghai, "writer": writer}
        yield Api(client, keys, app.openapi())


def _ids(api: Api) -> tuple[int, int]:
    found = {a["indicator_id"]: a for a in api.call("GET", "/v1/alerts").json()}
    assert found["gsbase-b"]["state"] == "resolved"
    return found["gsbase-a"]["id"], found["gsbase-b"]["id"]


def test_each_operation_declares_exactly_what_it_answers(api: Api) -> None:
    declared = {
        (method, path): sorted(operation["responses"])
        for path, methods in api.doc["paths"].items()
        for method, operation in methods.items()
    }
    change = ["200", "400", "401", "403", "404", "409", "422"]
    assert declared == {
        ("get", "/v1/alerts"): ["200", "401", "403", "422"],
        ("get", "/v1/alerts/{alert_id}"): ["200", "401", "403", "404", "422"],
        ("post", "/v1/alerts/{alert_id}/ack"): change,
        ("post", "/v1/alerts/{alert_id}/silence"): change,
        ("get", "/v1/notifications"): ["200", "401", "403", "422"],
    }
    schemas = api.doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "Problem" in schemas
    for (method, path), _ in declared.items():
        for status, answer in api.doc["paths"][path][method]["responses"].items():
            if status != "200":
                assert list(answer["content"]) == [PROBLEM], (method, path, status)


def test_a_missing_or_bad_key_is_a_401_problem(api: Api) -> None:
    for headers in ({}, {"Authorization": "Bearer pw_000000000000_wrong"}):
        response = api.client.get("/v1/notifications", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert api.conforms("/v1/notifications", "GET", response)["type"].endswith("unauthorized")


def test_scope_and_role_are_403_problems(api: Api) -> None:
    alert_id, _ = _ids(api)
    other = api.call("GET", f"/v1/alerts/{alert_id}", "qinghai")
    assert other.status_code == 403
    assert "甘肃省" in api.conforms("/v1/alerts/{alert_id}", "GET", other)["detail"]
    asked = api.call("GET", "/v1/alerts", "qinghai", params={"jurisdiction": "甘肃省"})
    assert asked.status_code == 403
    api.conforms("/v1/alerts", "GET", asked)
    writer = api.call("POST", f"/v1/alerts/{alert_id}/ack", "writer", json={"by": "x"})
    assert writer.status_code == 403
    assert "read" in api.conforms("/v1/alerts/{alert_id}/ack", "POST", writer)["detail"]


def test_an_unknown_alert_is_a_404_problem(api: Api) -> None:
    for method, path, body in (
        ("GET", "/v1/alerts/{alert_id}", None),
        ("POST", "/v1/alerts/{alert_id}/ack", {"by": "x"}),
        ("POST", "/v1/alerts/{alert_id}/silence", {"until": "2099-01-01T00:00:00Z",
                                                   "reason": "r", "by": "b"}),
    ):  # fmt: skip
        response = api.call(method, path.replace("{alert_id}", "9999"), json=body)
        assert response.status_code == 404
        assert api.conforms(path, method, response)["detail"] == "no alert 9999"
    unknown = api.call("GET", "/v1/nothing")
    assert unknown.status_code == 404 and unknown.headers["content-type"] == PROBLEM


def test_changing_a_resolved_alert_is_a_409_problem(api: Api) -> None:
    _, resolved = _ids(api)
    for path, body in (
        ("/v1/alerts/{alert_id}/ack", {"by": "x"}),
        ("/v1/alerts/{alert_id}/silence", {"until": "2099-01-01T00:00:00Z",
                                            "reason": "r", "by": "b"}),
    ):  # fmt: skip
        response = api.call("POST", path.replace("{alert_id}", str(resolved)), json=body)
        assert response.status_code == 409
        assert api.conforms(path, "POST", response)["type"].endswith("alert-resolved")


def test_bad_input_is_a_422_problem_naming_the_field(api: Api) -> None:
    alert_id, _ = _ids(api)
    silence = f"/v1/alerts/{alert_id}/silence"
    ack = f"/v1/alerts/{alert_id}/ack"
    cases = [
        ("GET", "/v1/alerts", "/v1/alerts", {"params": {"state": "closed"}}, "state"),
        ("GET", "/v1/notifications", "/v1/notifications", {"params": {"limit": 0}}, "limit"),
        ("GET", "/v1/alerts/{alert_id}", "/v1/alerts/0", {}, "alert_id"),
        ("GET", "/v1/alerts/{alert_id}", f"/v1/alerts/{2**63}", {}, "alert_id"),
        ("POST", "/v1/alerts/{alert_id}/ack", ack, {"json": {}}, "by"),
        ("POST", "/v1/alerts/{alert_id}/ack", ack, {"json": {"by": "x", "extra": 1}}, "extra"),
        ("POST", "/v1/alerts/{alert_id}/ack", ack, {"content": b"{not json"}, "body"),
        (
            "POST",
            "/v1/alerts/{alert_id}/ack",
            ack,
            {"content": b"{not json", "headers": JSON},
            "body",
        ),
        ("POST", "/v1/alerts/{alert_id}/ack", ack, {"json": ["by"]}, "body"),
        ("POST", "/v1/alerts/{alert_id}/ack", ack, {}, "body"),
        (
            "POST",
            "/v1/alerts/{alert_id}/silence",
            silence,
            {"json": {"until": "2099-01-01T00:00:00", "reason": "r", "by": "b"}},
            "until",
        ),
    ]
    for method, template, path, kw, field in cases:
        response = api.call(method, path, **kw)
        assert response.status_code == 422, (path, kw, response.text)
        body = api.conforms(template, method, response)
        assert field in [e["field"] for e in body["errors"]], (path, kw, body)
        assert body["detail"].startswith(f"{field}: "), body


def test_the_services_own_422_has_the_same_shape(api: Api) -> None:
    alert_id, _ = _ids(api)
    response = api.call(
        "POST",
        f"/v1/alerts/{alert_id}/silence",
        json={"until": "2020-01-01T00:00:00Z", "reason": "r", "by": "b"},
    )
    assert response.status_code == 422
    body = api.conforms("/v1/alerts/{alert_id}/silence", "POST", response)
    assert body["detail"] == "until: must be in the future"
    assert body["errors"] == [
        {"field": "until", "problem": "must be in the future", "reason": "past_time"}
    ]


def test_a_body_that_is_not_utf8_json_is_a_400_problem(api: Api) -> None:
    alert_id, _ = _ids(api)
    for path in ("/v1/alerts/{alert_id}/ack", "/v1/alerts/{alert_id}/silence"):
        response = api.call(
            "POST", path.replace("{alert_id}", str(alert_id)), content=b"\xff\x17", headers=JSON
        )
        assert response.status_code == 400, response.text
        body = api.conforms(path, "POST", response)
        assert [e["field"] for e in body["errors"]] == ["body"]
        assert body["detail"] == "body: not readable as JSON text in UTF-8"
