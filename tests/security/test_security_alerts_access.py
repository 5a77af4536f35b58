"""Who may read what at the alerts service (a real process): every endpoint but health, metrics
and docs needs a key with the read or admin role; a key reads and changes only the alerts of its
jurisdictions (403 for another's); a revoked key is refused on the next request."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from support.fixtures_security import SecureService

pytestmark = pytest.mark.integration

PUBLIC = {"/healthz", "/metrics", "/docs", "/openapi.json", "/redoc"}
SILENCE = {"until": "2099-01-01T00:00:00Z", "reason": "维护", "by": "甘肃省科技厅"}


@pytest.fixture(scope="module")
def http(secure_alerts: SecureService) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=secure_alerts.url, timeout=30) as client:
        yield client


def _alerts(http: httpx.Client, service: SecureService) -> dict[str, dict[str, Any]]:
    """Every alert by jurisdiction, read with the key that covers them all."""
    found = http.get("/v1/alerts", headers=service.auth("everything")).json()
    return {a["jurisdiction"]: a for a in found}


def _protected(http: httpx.Client, alert_id: int) -> list[tuple[str, str, Any]]:
    found = []
    for path, methods in http.get("/openapi.json").json()["paths"].items():
        if path in PUBLIC:
            continue
        for method in methods:
            body = SILENCE if path.endswith("/silence") else {"by": "x"}
            found.append((method.upper(), path.replace("{alert_id}", str(alert_id)), body))
    return found


def test_public_endpoints_answer_without_a_key(http: httpx.Client) -> None:
    for path in ("/healthz", "/metrics", "/docs", "/openapi.json"):
        assert http.get(path).status_code == 200, path


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer pw_000000000000_wrong", "Basic YWRtaW46YWRtaW4=", "Bearer "],
    ids=["none", "unknown", "basic", "empty"],
)
def test_every_other_endpoint_needs_a_valid_key(
    secure_alerts: SecureService, http: httpx.Client, authorization: str | None
) -> None:
    alert_id = _alerts(http, secure_alerts)["甘肃省"]["id"]
    operations = _protected(http, alert_id)
    assert {("GET", "/v1/alerts"), ("GET", f"/v1/alerts/{alert_id}")} <= {
        (m, p) for m, p, _ in operations
    }
    headers = {"Authorization": authorization.strip()} if authorization else {}
    for method, path, body in operations:
        json = body if method == "POST" else None
        response = http.request(method, path, json=json, headers=headers)
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_key_without_read_or_admin_role_reads_nothing(
    secure_alerts: SecureService, http: httpx.Client
) -> None:
    writer = secure_alerts.auth("writer")  # a statistics bureau's submit key
    assert http.get("/v1/alerts", headers=writer).status_code == 403
    assert http.get("/v1/notifications", headers=writer).status_code == 403


def test_a_key_reads_only_its_jurisdictions(
    secure_alerts: SecureService, http: httpx.Client
) -> None:
    alerts = _alerts(http, secure_alerts)
    assert set(alerts) == {"甘肃省", "青海省"}
    gansu = secure_alerts.auth("gansu")
    mine = http.get("/v1/alerts", headers=gansu).json()
    assert {a["jurisdiction"] for a in mine} == {"甘肃省"}
    other = alerts["青海省"]["id"]
    for response in (
        http.get("/v1/alerts", params={"jurisdiction": "青海省"}, headers=gansu),
        http.get(f"/v1/alerts/{other}", headers=gansu),
    ):
        assert response.status_code == 403, response.text
        assert "qinghai-b" not in response.text


def test_a_key_cannot_change_another_jurisdictions_alerts(
    secure_alerts: SecureService, http: httpx.Client
) -> None:
    other = _alerts(http, secure_alerts)["青海省"]
    gansu = secure_alerts.auth("gansu")
    ack = http.post(f"/v1/alerts/{other['id']}/ack", json={"by": "甘肃省科技厅"}, headers=gansu)
    assert ack.status_code == 403
    silence = http.post(f"/v1/alerts/{other['id']}/silence", json=SILENCE, headers=gansu)
    assert silence.status_code == 403
    after = _alerts(http, secure_alerts)["青海省"]
    assert (after["state"], after["acknowledged_by"], after["silenced_by"]) == (
        other["state"],
        None,
        None,
    )
    # Its own key may: the refusal above was about scope, not about the request.
    qinghai = secure_alerts.auth("qinghai")
    done = http.post(f"/v1/alerts/{other['id']}/ack", json={"by": "青海省科技厅"}, headers=qinghai)
    assert done.status_code == 200 and done.json()["acknowledged_by"] == "青海省科技厅"


def test_a_key_sees_only_its_notifications(
    secure_alerts: SecureService, http: httpx.Client
) -> None:
    alerts = _alerts(http, secure_alerts)
    other = alerts["青海省"]["id"]
    deadline = time.monotonic() + 20
    everything: list[dict[str, Any]] = []
    while time.monotonic() < deadline:  # the dispatcher writes them within a tick or two
        everything = http.get("/v1/notifications", headers=secure_alerts.auth("everything")).json()
        if any(other in n["alert_ids"] for n in everything):
            break
        time.sleep(0.1)
    assert any(other in n["alert_ids"] for n in everything), everything
    history = http.get("/v1/notifications", headers=secure_alerts.auth("gansu")).json()
    assert history and all(other not in n["alert_ids"] for n in history)


def test_a_revoked_key_stops_working_at_once(
    secure_alerts: SecureService, http: httpx.Client
) -> None:
    token, key_id = secure_alerts.new_key("甘肃省科技厅（临时）", ["甘肃省"], ["read"])
    headers = {"Authorization": f"Bearer {token}"}
    assert http.get("/v1/alerts", headers=headers).status_code == 200
    planwatch = Path(sys.executable).with_name("planwatch")
    done = subprocess.run(
        [str(planwatch), "keys", "revoke", key_id],
        env={"PLANWATCH_KEYS_DB_URL": secure_alerts.keys_url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert http.get("/v1/alerts", headers=headers).status_code == 401
    assert http.get("/v1/alerts", headers=secure_alerts.auth("gansu")).status_code == 200
