"""The portal's session and forms: signed HTTP-only cookie, CSRF on every form, sign-in.

Ingest is replaced at the portal's HTTP port by httpx's MockTransport answering as ingest does
(docs/ingest.md); the whole path against a real ingest is tests/integration/portal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from planwatch.catalog import default_catalog
from planwatch.settings import CommonSettings
from planwatch_portal.app import create_app
from planwatch_portal.ingest import IngestClient
from planwatch_portal.settings import Settings
from support.fixtures_ingest import test_client_class as client_class

KEY = "pw_test_key"


def _ingest(request: httpx.Request) -> httpx.Response:
    if request.headers.get("authorization") != f"Bearer {KEY}":
        return httpx.Response(401, json={"status": 401, "detail": "unknown or revoked key"})
    if request.url.path == "/v1/figures":
        return httpx.Response(
            200, json={"submitted_by": "白银市统计局", "jurisdictions": ["白银市"], "figures": []}
        )
    if request.url.path.startswith("/v1/templates/"):
        return httpx.Response(
            200,
            content=b"PK\x03\x04 xlsx",
            headers={
                "content-type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "content-disposition": 'attachment; filename="template.xlsx"',
            },
        )
    return httpx.Response(404, json={"status": 404})


@pytest.fixture
def web() -> Iterator[Any]:
    settings = Settings(session_secret="s" * 32, common=CommonSettings())
    ingest = IngestClient("http://ingest", transport=httpx.MockTransport(_ingest))
    app = create_app(settings, default_catalog(), ingest=ingest)
    with client_class()(app, base_url="https://testserver") as client:
        yield client


def csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page[:500]
    return found.group(1)


def sign_in(web: Any) -> None:
    token = csrf(web.get("/login").text)
    answer = web.post("/login", data={"csrf": token, "key": KEY}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/"


def test_pages_ask_for_the_key_first(web: Any) -> None:
    for path in ("/", "/upload", "/history", "/template/白银市"):
        answer = web.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/login"


def test_the_session_cookie_is_signed_http_only_secure(web: Any) -> None:
    token = csrf(web.get("/login").text)
    answer = web.post("/login", data={"csrf": token, "key": KEY}, follow_redirects=False)
    cookie = answer.headers["set-cookie"].lower()
    assert cookie.startswith("planwatch_portal=")
    assert "httponly" in cookie and "secure" in cookie and "samesite=lax" in cookie
    assert web.get("/", follow_redirects=False).status_code == 200
    # a tampered cookie is no session at all
    web.cookies.set("planwatch_portal", "x" + (web.cookies.get("planwatch_portal") or ""))
    assert web.get("/", follow_redirects=False).status_code == 303


def test_forms_without_the_csrf_token_are_refused(web: Any) -> None:
    refused = web.post("/login", data={"key": KEY, "csrf": "forged"})
    assert refused.status_code == 403 and "表单已过期" in refused.text
    sign_in(web)
    for path in ("/fill", "/preview", "/logout"):
        answer = web.post(path, data={"v|x|白银市|2025": "1"}, follow_redirects=False)
        assert answer.status_code == 403, path
    upload = web.post("/upload", files={"file": ("a.csv", b"x", "text/csv")})
    assert upload.status_code == 403


def test_a_wrong_key_is_told_in_chinese(web: Any) -> None:
    token = csrf(web.get("/login").text)
    answer = web.post("/login", data={"csrf": token, "key": "nope"})
    assert answer.status_code == 401 and "密钥无效" in answer.text


def test_the_template_comes_from_ingest(web: Any) -> None:
    sign_in(web)
    answer = web.get("/template/白银市")
    assert answer.status_code == 200 and answer.content.startswith(b"PK")
    assert "attachment" in answer.headers["content-disposition"]
