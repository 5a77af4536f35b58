"""Who may do what at the ingest service (a real process): keys required, scopes enforced,
secrets stored hashed and compared in constant time, a revoked key refused on the next request."""

from __future__ import annotations

import hashlib
import hmac
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from planwatch.security import KeyStore, Role
from support.fixtures_security import SecureService

pytestmark = pytest.mark.integration

PUBLIC = {"/healthz", "/readyz", "/metrics", "/docs", "/openapi.json", "/redoc"}
CITY_FIGURE = {"indicator_id": "tcity-rd-spend", "period": "2022", "value": 4.0}
PROVINCE_FIGURE = {"indicator_id": "tprov-rd-spend", "period": "2024", "value": 7.0}


@pytest.fixture(scope="module")
def http(secure_ingest: SecureService) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=secure_ingest.url, timeout=30) as client:
        yield client


def _protected(http: httpx.Client) -> list[tuple[str, str]]:
    """Every operation the service documents, except the public ones, with its path filled in."""
    found = []
    for path, methods in http.get("/openapi.json").json()["paths"].items():
        if path in PUBLIC:
            continue
        for method in methods:
            found.append((method.upper(), path.replace("{jurisdiction}", "白银市")))
    return found


def _assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["status"] == 401


def _submit(http: httpx.Client, headers: dict[str, str], rows: Any) -> httpx.Response:
    return http.post("/v1/submissions", json=rows, headers=headers)


def test_public_endpoints_answer_without_a_key(http: httpx.Client) -> None:
    for path in ("/healthz", "/metrics", "/docs", "/openapi.json"):
        assert http.get(path).status_code == 200, path
    # no key is asked; the broker of the fixture is up, so ingest is ready (the publisher may
    # not have looked yet right after the start)
    deadline = time.monotonic() + 15
    ready = http.get("/readyz")
    while ready.status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
        ready = http.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json()["broker"] == "up"


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer pw_000000000000_wrong", "Basic YWRtaW46YWRtaW4=", "Bearer demo"],
    ids=["none", "unknown", "basic", "demo-not-configured"],
)
def test_every_other_endpoint_needs_a_valid_key(
    http: httpx.Client, authorization: str | None
) -> None:
    operations = _protected(http)
    assert ("POST", "/v1/submissions") in operations
    assert ("GET", "/v1/templates/白银市") in operations
    headers = {"Authorization": authorization} if authorization else {}
    for method, path in operations:
        _assert_unauthorized(http.request(method, path, json=CITY_FIGURE, headers=headers))


@pytest.mark.parametrize("authorization", [None, "Bearer pw_000000000000_wrong"])
def test_the_key_is_checked_before_anything_of_the_request(
    http: httpx.Client, authorization: str | None
) -> None:
    # Without a valid key nothing else is looked at: not the body (broken JSON, a type the
    # service does not read), not a header, not a parameter. Each of these is a 401, not a 4xx
    # that tells an anonymous caller something about the request.
    key = {"Authorization": authorization} if authorization else {}
    as_json = {**key, "Content-Type": "application/json"}
    as_xml = {**key, "Content-Type": "application/xml"}
    long_idempotency_key = {**key, "Idempotency-Key": "k" * 201}
    for method, path, kwargs in [
        ("POST", "/v1/submissions", {"content": b"{not json", "headers": as_json}),
        ("POST", "/v1/submissions", {"content": b"[]", "headers": as_json}),
        ("POST", "/v1/submissions", {"content": b"<x/>", "headers": as_xml}),
        ("POST", "/v1/submissions", {"json": [CITY_FIGURE], "headers": long_idempotency_key}),
        ("GET", "/v1/templates/白银市", {"params": {"format": "pdf"}, "headers": key}),
        ("GET", "/v1/templates/白银市", {"params": {"year": "1"}, "headers": key}),
    ]:
        _assert_unauthorized(http.request(method, path, **kwargs))


def test_a_city_key_cannot_write_provincial_figures(
    secure_ingest: SecureService, http: httpx.Client
) -> None:
    city, province = secure_ingest.auth("city"), secure_ingest.auth("province")
    response = _submit(http, city, [CITY_FIGURE, PROVINCE_FIGURE])
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    [error] = response.json()["errors"]
    assert (error["row"], error["field"], error["reason"]) == (2, "jurisdiction", "scope")
    # All or nothing: neither row was kept; each owner's own figure is new to the ledger.
    assert _submit(http, city, CITY_FIGURE).json()["accepted"] == 1
    assert _submit(http, province, PROVINCE_FIGURE).json()["accepted"] == 1


def test_a_provincial_key_cannot_write_city_figures_even_unnamed(
    secure_ingest: SecureService, http: httpx.Client
) -> None:
    # No jurisdiction in the row: the indicator decides it, and the scope is checked on that.
    figure = {"indicator_id": "tcity-firms", "period": "2022", "value": 12}
    response = _submit(http, secure_ingest.auth("province"), figure)
    assert response.status_code == 403
    assert response.json()["errors"][0]["reason"] == "scope"
    response = _submit(http, secure_ingest.auth("province"), {**figure, "jurisdiction": "白银市"})
    assert response.status_code == 403


def test_a_key_without_the_submit_role_cannot_submit_or_download(
    secure_ingest: SecureService, http: httpx.Client
) -> None:
    reader = secure_ingest.auth("reader")
    assert _submit(http, reader, CITY_FIGURE).status_code == 403
    assert http.get("/v1/templates/白银市", headers=reader).status_code == 403


def test_a_key_downloads_only_its_own_templates(
    secure_ingest: SecureService, http: httpx.Client
) -> None:
    city = secure_ingest.auth("city")
    own = http.get("/v1/templates/白银市?format=csv", headers=city)
    assert own.status_code == 200 and "tcity-rd-spend" in own.text
    for path in ("/v1/templates/甘肃省?format=csv", "/v1/templates/甘肃省"):
        other = http.get(path, headers=city)
        assert other.status_code == 403, other.text
        assert other.headers["content-type"].startswith("application/problem+json")
        assert "tprov" not in other.text


def test_keys_are_stored_hashed(secure_ingest: SecureService) -> None:
    stored = b"".join(
        path.read_bytes()
        for path in secure_ingest.keys_file.parent.glob(f"{secure_ingest.keys_file.name}*")
    )
    assert stored
    for token in secure_ingest.tokens.values():
        secret = token.split("_", 2)[2]
        assert secret.encode() not in stored
        assert token.encode() not in stored
        assert hashlib.sha256(secret.encode()).hexdigest().encode() in stored


def test_secrets_are_compared_in_constant_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every verdict of the key store goes through hmac.compare_digest, never ``==``."""
    store = KeyStore(f"sqlite:///{tmp_path / 'keys.db'}")
    token, record = store.create("白银市统计局", ["白银市"], [Role.SUBMIT])
    revoked, revoked_record = store.create("白银市统计局", ["白银市"], [Role.SUBMIT])
    store.revoke(revoked_record.key_id)
    calls: list[tuple[Any, Any]] = []
    compare: Callable[[Any, Any], bool] = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return compare(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    try:
        cases = {
            "right": (token, True),
            "wrong secret": (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), False),
            "unknown id": (f"pw_ffffffffffff_{token.split('_', 2)[2]}", False),
            "revoked": (revoked, False),
        }
        for name, (candidate, valid) in cases.items():
            calls.clear()
            assert (store.verify(candidate) is not None) is valid, name
            assert calls, f"{name}: decided without hmac.compare_digest"
    finally:
        store.close()
    assert record.key_id in token


def test_a_revoked_key_stops_working_at_once(
    secure_ingest: SecureService, http: httpx.Client
) -> None:
    token, key_id = secure_ingest.new_key("白银市统计局（临时）", ["白银市"], ["submit"])
    headers = {"Authorization": f"Bearer {token}"}
    figure = {"indicator_id": "tcity-talent", "period": "2022", "value": 1.25}
    assert _submit(http, headers, figure).status_code == 202
    assert http.get("/v1/templates/白银市", headers=headers).status_code == 200
    planwatch = Path(sys.executable).with_name("planwatch")
    done = subprocess.run(
        [str(planwatch), "keys", "revoke", key_id],
        env={"PLANWATCH_KEYS_DB_URL": secure_ingest.keys_url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"revoked {key_id}" in done.stdout
    # The very next requests, with no restart of the service.
    _assert_unauthorized(_submit(http, headers, {**figure, "value": 1.5}))
    _assert_unauthorized(http.get("/v1/templates/白银市", headers=headers))
    # Other keys of the same bureau's store are untouched.
    assert _submit(http, secure_ingest.auth("city"), {**figure, "value": 1.5}).status_code == 202
