"""The answer page an agency reaches from its notification: no key, only the signed link.

``GET /answer/<id>?t=<token>`` shows the alert (plan, indicator, figures, earlier answers) and a
form; ``POST /answer/<id>`` stores the answer. A forged, expired, used or another alert's link
gets a page that says so in Chinese (403, 410, 409, 403), and nothing is stored.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from planwatch_alerts.answers import KIND_ZH, AnswerKind, record_answer, responses_of, used
from planwatch_alerts.links import Grant, LinkError, LinkSigner, Refusal
from planwatch_alerts.messages import STATUS_ZH, describe
from planwatch_alerts.store import alerts

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.globals.update(kinds=KIND_ZH, statuses=STATUS_ZH)

_STATUS = {
    Refusal.FORGED: 403,
    Refusal.OTHER_ALERT: 403,
    Refusal.EXPIRED: 410,
    Refusal.USED: 409,
}
_TEXT_MAX = 4000


def _refused(request: Request, error: LinkError) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(
        request,
        "answer_message.html",
        {"title": error.title, "detail": error.detail, "refused": True},
        status_code=_STATUS[error.refusal],
    )


def _grant(request: Request, alert_id: int, token: str) -> Grant:
    signer: LinkSigner = request.app.state.signer
    grant = signer.read(token, alert_id, request.app.state.clock())
    with request.app.state.db.connect() as c:
        if used(c, grant):
            raise LinkError(Refusal.USED)
    return grant


def _form(
    request: Request,
    alert_id: int,
    token: str,
    grant: Grant,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    with request.app.state.db.connect() as c:
        row = c.execute(sa.select(alerts).where(alerts.c.id == alert_id)).first()
        history = responses_of(c, [alert_id])[alert_id]
    if row is None:  # signed for an alert that is gone (a database reset): nothing to answer
        raise LinkError(Refusal.FORGED)
    alert = dict(row._mapping)
    context: dict[str, Any] = {
        "alert": alert,
        "facts": describe(alert, request.app.state.catalog),
        "agency": grant.agency,
        "expires": grant.expires,
        "token": token,
        "history": history,
        "errors": errors or {},
        "values": values or {},
    }
    return TEMPLATES.TemplateResponse(
        request, "answer.html", context, status_code=422 if errors else 200
    )


@router.get("/answer/{alert_id}", response_class=HTMLResponse)
def answer_form(request: Request, alert_id: int, t: str = Query("")) -> HTMLResponse:
    try:
        grant = _grant(request, alert_id, t)
        return _form(request, alert_id, t, grant)
    except LinkError as error:
        return _refused(request, error)


@router.post("/answer/{alert_id}", response_class=HTMLResponse)
def answer_submit(
    request: Request,
    alert_id: int,
    t: str = Form(""),
    kind: str = Form(""),
    text: str = Form(""),
    expected_recovery: str = Form(""),
) -> HTMLResponse:
    try:
        grant = _grant(request, alert_id, t)
    except LinkError as error:
        return _refused(request, error)
    values = {"kind": kind, "text": text, "expected_recovery": expected_recovery}
    errors: dict[str, str] = {}
    try:
        answer = AnswerKind(kind)
    except ValueError:
        errors["kind"] = "请选择“确认并整改”或“对数据有异议”。"
        answer = AnswerKind.ACKNOWLEDGE
    text = text.strip()
    if not text:
        errors["text"] = (
            "请填写整改措施。" if answer is AnswerKind.ACKNOWLEDGE else "请填写异议理由。"
        )
    elif len(text) > _TEXT_MAX:
        errors["text"] = f"内容过长：最多 {_TEXT_MAX} 字。"
    recovery: date | None = None
    now = request.app.state.clock()
    if expected_recovery.strip():
        try:
            recovery = date.fromisoformat(expected_recovery.strip())
        except ValueError:
            errors["expected_recovery"] = "预计恢复日期格式应为 年-月-日，例如 2026-06-30。"
        else:
            if recovery < now.date():
                errors["expected_recovery"] = "预计恢复日期不能早于今天。"
    elif answer is AnswerKind.ACKNOWLEDGE and "kind" not in errors:
        errors["expected_recovery"] = "确认整改时请填写预计恢复日期。"
    if errors:
        try:
            return _form(request, alert_id, t, grant, errors, values)
        except LinkError as error:
            return _refused(request, error)
    try:
        with request.app.state.db.begin() as c:
            record_answer(c, grant, answer, text, recovery, now)
    except (LinkError, sa.exc.IntegrityError) as error:  # the same link sent twice at once
        return _refused(request, error if isinstance(error, LinkError) else LinkError(Refusal.USED))
    request.app.state.engine.wake()
    return TEMPLATES.TemplateResponse(
        request,
        "answer_message.html",
        {
            "title": "回复已收到",
            "detail": f"{grant.agency}对本条预警的回复（{KIND_ZH[answer]}）已记录，"
            "将显示在指标看板和下一次通知中。",
            "refused": False,
            "board": f"{request.app.state.board_url.rstrip('/')}/indicators/"
            f"{_indicator(request, alert_id)}",
        },
    )


def _indicator(request: Request, alert_id: int) -> str:
    with request.app.state.db.connect() as c:
        return str(
            c.execute(sa.select(alerts.c.indicator_id).where(alerts.c.id == alert_id)).scalar()
        )
