"""The bureau portal: server-rendered pages, a signed session, every action through ingest.

The session cookie (Starlette's SessionMiddleware: signed with itsdangerous, HTTP-only,
SameSite=Lax, Secure unless configured otherwise) holds the bureau's key, who it is, and a
CSRF token that every form carries back.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData, UploadFile
from starlette.middleware.sessions import SessionMiddleware

from planwatch.catalog import Catalog, default_catalog
from planwatch.domain.row_problems import explain
from planwatch_portal.ingest import Answer, IngestClient, IngestUnavailable
from planwatch_portal.owed import owed
from planwatch_portal.settings import Settings
from planwatch_portal.views import (
    FIELDS,
    FormRow,
    owed_views,
    preview_rows,
    receipt_csv,
    receipt_lines,
    sent_figures,
)

__all__ = ["create_app"]

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
_MAX_UPLOAD = 20 * 1024 * 1024
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _SignIn(Exception):
    """No valid session: go to the sign-in page."""


class _BadCsrf(Exception):
    """A form without the session's CSRF token."""


def _csrf(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


def _check_csrf(request: Request, form: FormData) -> None:
    sent = form.get("csrf")
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not expected or not secrets.compare_digest(sent, expected):
        raise _BadCsrf


def _who(request: Request) -> dict[str, Any]:
    who = request.session.get("who")
    if not who or not request.session.get("key"):
        raise _SignIn
    return dict(who)


def create_app(
    settings: Settings,
    catalog: Catalog | None = None,
    *,
    ingest: IngestClient | None = None,
    today: Any = None,
) -> FastAPI:
    """The portal. ``ingest`` replaces the HTTP client (tests); ``today`` the clock."""
    catalog = catalog or default_catalog()
    clock = today or (lambda: datetime.now(UTC).date())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.ingest = ingest or IngestClient(settings.ingest_url)
        try:
            yield
        finally:
            await app.state.ingest.close()

    app = FastAPI(
        title="planwatch portal", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan
    )
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.session_secret.get_secret_value(),
        session_cookie="planwatch_portal",
        max_age=settings.session_hours * 3600,
        same_site="lax",
        https_only=settings.cookie_secure,
    )

    def client(request: Request) -> IngestClient:
        return request.app.state.ingest  # type: ignore[no-any-return]

    def page(
        request: Request, name: str, context: dict[str, Any], status: int = 200
    ) -> HTMLResponse:
        context = {
            "csrf": _csrf(request),
            "who": request.session.get("who"),
            "nav": name,
            **context,
        }
        response = TEMPLATES.TemplateResponse(request, name, context, status_code=status)
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.exception_handler(_SignIn)
    async def sign_in(request: Request, exc: _SignIn) -> Response:
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(_BadCsrf)
    async def bad_csrf(request: Request, exc: _BadCsrf) -> Response:
        return page(
            request,
            "message.html",
            {"title": "页面已过期", "text": "表单已过期或来源不明，请返回重新操作。"},
            403,
        )

    @app.exception_handler(IngestUnavailable)
    async def unavailable(request: Request, exc: IngestUnavailable) -> Response:
        return page(
            request,
            "message.html",
            {
                "title": "数据接收服务暂不可用",
                "text": "本次操作没有保存任何数据。请稍后重试；如持续出现，请联系系统管理员。",
            },
            503,
        )

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request) -> HTMLResponse:
        return page(request, "login.html", {"error": None})

    @app.post("/login", response_class=HTMLResponse)
    async def login(request: Request) -> Response:
        form = await request.form()
        _check_csrf(request, form)
        key = str(form.get("key") or "").strip()
        answer = await client(request).figures(key) if key else None
        if answer is None or not answer.ok:
            error = "请输入密钥" if not key else "密钥无效、已停用，或没有报送权限"
            return page(request, "login.html", {"error": error}, 401 if key else 422)
        request.session.clear()  # a new session on sign-in: no fixation
        request.session["key"] = key
        request.session["who"] = {
            "owner": answer.body["submitted_by"],
            "jurisdictions": answer.body["jurisdictions"],
        }
        _csrf(request)
        return RedirectResponse("/", status_code=303)

    @app.post("/logout")
    async def logout(request: Request) -> Response:
        form = await request.form()
        _check_csrf(request, form)
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    def jurisdictions_of(who: dict[str, Any]) -> tuple[list[str], bool]:
        named = list(who["jurisdictions"])
        if "*" in named:
            return sorted(catalog.jurisdictions), True
        return [j for j in named if j in catalog.jurisdictions], False

    async def history(request: Request) -> list[Any]:
        answer = await client(request).figures(request.session["key"])
        if not answer.ok:
            request.session.clear()
            raise _SignIn
        return sent_figures(answer.body["figures"])

    @app.get("/", response_class=HTMLResponse)
    async def due(request: Request) -> Response:
        who = _who(request)
        sent = await history(request)
        today = clock()
        names, everything = jurisdictions_of(who)
        items = owed(catalog, names, today, all_jurisdictions=everything)
        views = owed_views(items, sent, today)
        return page(
            request,
            "due.html",
            {
                "now": [v for v in views if v.owed.now],
                "next": [v for v in views if not v.owed.now],
                "jurisdictions": names,
                "today": today,
            },
        )

    async def show_preview(request: Request, answer: Answer, origin: str) -> Response:
        if answer.status == 401:
            request.session.clear()
            raise _SignIn
        if not answer.ok:
            problems = [
                (e.get("line") or e.get("row"), *explain(e.get("reason", ""), e.get("field")))
                for e in (answer.body.get("errors") or [])
            ]
            return page(
                request,
                "upload.html",
                {"problems": problems, "detail": answer.body.get("detail", "")},
                answer.status,
            )
        rows = preview_rows(answer.body, catalog)
        # One submission per preview: sending its form twice (a double click, Back and send
        # again) replays the first answer; a new preview is a new submission.
        nonce = secrets.token_urlsafe(16)
        return page(
            request,
            "preview.html",
            {"answer": answer.body, "rows": rows, "origin": origin, "nonce": nonce},
        )

    @app.post("/fill", response_class=HTMLResponse)
    async def fill(request: Request) -> Response:
        _who(request)
        form = await request.form()
        _check_csrf(request, form)
        rows = []
        for name, value in form.multi_items():
            if not name.startswith("v|") or not isinstance(value, str) or not value.strip():
                continue
            parts = name.split("|", 3)
            if len(parts) != 4:
                continue  # not a field of the 待报送 form
            _, indicator_id, jurisdiction, period = parts
            rows.append(
                FormRow(
                    {
                        "indicator_id": indicator_id,
                        "jurisdiction": jurisdiction,
                        "period": period,
                        "value": value,
                    }
                ).as_json()
            )
        if not rows:
            return page(
                request,
                "message.html",
                {"title": "没有填写数据", "text": "请在“待报送”页面至少填写一个数值。"},
                422,
            )
        answer = await client(request).preview_rows(request.session["key"], rows)
        return await show_preview(request, answer, "fill")

    @app.get("/upload", response_class=HTMLResponse)
    def upload_form(request: Request) -> Response:
        who = _who(request)
        names, _ = jurisdictions_of(who)
        return page(request, "upload.html", {"problems": [], "detail": "", "jurisdictions": names})

    @app.post("/upload", response_class=HTMLResponse)
    async def upload(request: Request) -> Response:
        _who(request)
        form = await request.form(max_files=1, max_fields=10)
        _check_csrf(request, form)
        file = form.get("file")
        if not isinstance(file, UploadFile) or not file.filename:
            return page(
                request,
                "upload.html",
                {"problems": [], "detail": "请选择要上传的模板文件（.xlsx 或 .csv）"},
                422,
            )
        data = await file.read(_MAX_UPLOAD + 1)
        if len(data) > _MAX_UPLOAD:
            return page(
                request,
                "upload.html",
                {"problems": [], "detail": "文件超过20MB，请分成几个文件上传"},
                413,
            )
        name = file.filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
        media = _XLSX if name.lower().endswith(".xlsx") else "text/csv"
        answer = await client(request).preview_file(request.session["key"], name, data, media)
        return await show_preview(request, answer, "upload")

    def posted_rows(form: FormData) -> list[dict[str, Any]]:
        text = str(form.get("rows") or "0")
        count = int(text) if text.isdigit() else 0
        rows = []
        for n in range(1, min(count, 100_000) + 1):
            values = {f: str(form.get(f"r{n}-{f}") or "") for f in FIELDS}
            if not values["value"].strip():
                continue  # a value cleared in the preview: the row is left out
            rows.append(FormRow(values).as_json())
        return rows

    @app.post("/preview", response_class=HTMLResponse)
    async def recheck(request: Request) -> Response:
        who = _who(request)
        form = await request.form(max_fields=200_000)
        _check_csrf(request, form)
        rows = posted_rows(form)
        key = request.session["key"]
        if not rows:
            return page(
                request,
                "message.html",
                {"title": "没有可提交的数据", "text": "所有行的数值都已清空。"},
                422,
            )
        if form.get("action") != "submit":
            return await show_preview(request, await client(request).preview_rows(key, rows), "")
        body = orjson.dumps(rows, option=orjson.OPT_SORT_KEYS)
        nonce = str(form.get("nonce") or secrets.token_urlsafe(16)).encode()
        idempotency = hashlib.sha256(
            who["owner"].encode() + b"\n" + nonce + b"\n" + body
        ).hexdigest()
        answer = await client(request).submit(key, rows, f"portal-{idempotency[:40]}")
        if answer.status == 202:
            result = answer.body
            target = f"/receipts/{quote(result['received_at'])}?duplicate={result['duplicate']}"
            return RedirectResponse(target, status_code=303)
        # refused after all (another submission came first): show the row-by-row check again
        return await show_preview(request, await client(request).preview_rows(key, rows), "")

    @app.get("/receipts/{received_at}", response_class=HTMLResponse)
    async def receipt(request: Request, received_at: str, duplicate: int = 0) -> Response:
        who = _who(request)
        sent = await history(request)
        lines = receipt_lines(received_at, sent, catalog, clock())
        if not lines and not duplicate:
            return page(
                request,
                "message.html",
                {"title": "没有这份回执", "text": "本单位没有在这个时间报送的数据。"},
                404,
            )
        return page(
            request,
            "receipt.html",
            {
                "lines": lines,
                "received_at": received_at,
                "duplicate": duplicate,
                "owner": who["owner"],
                "download": f"/receipts/{quote(received_at)}/download",
            },
        )

    @app.get("/receipts/{received_at}/download")
    async def receipt_download(request: Request, received_at: str) -> Response:
        who = _who(request)
        sent = await history(request)
        lines = receipt_lines(received_at, sent, catalog, clock())
        if not lines:
            return Response("没有这份回执", status_code=404, media_type="text/plain")
        stamp = received_at[:19].replace(":", "").replace("-", "")
        filename = f"回执-{stamp}.csv"
        return Response(
            receipt_csv(who["owner"], received_at, lines),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="receipt-{stamp}.csv"; '
                f"filename*=UTF-8''{quote(filename)}"
            },
        )

    @app.get("/history", response_class=HTMLResponse)
    async def sent_history(request: Request) -> Response:
        _who(request)
        sent = await history(request)
        names = {e.id: e.indicator_simplified for e in catalog}
        ordered = sorted(sent, key=lambda s: (s.indicator_id, s.jurisdiction, s.period, s.vintage))
        return page(request, "history.html", {"sent": ordered, "names": names})

    @app.get("/template/{jurisdiction}")
    async def template(request: Request, jurisdiction: str, format: str = "xlsx") -> Response:
        _who(request)
        fmt = "csv" if format == "csv" else "xlsx"
        answer = await client(request).template(request.session["key"], jurisdiction, fmt)
        if not answer.ok:
            return page(
                request,
                "message.html",
                {"title": "无法下载模板", "text": str(answer.body.get("detail", ""))},
                answer.status,
            )
        headers = {"Content-Disposition": answer.headers.get("content-disposition", "")}
        return Response(answer.body, media_type=answer.headers["content-type"], headers=headers)

    return app
