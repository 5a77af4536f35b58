"""The answer page an agency reaches from its notification: no key, only the signed link.

``GET /answer/<id>?t=<token>`` shows the alert (plan, indicator, figures, earlier answers) and a
form; ``POST /answer/<id>`` stores the answer. A forged, expired, used or another alert's link
gets a page that says so in Chinese (403, 410, 409, 403), and nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from planwatch_alerts.answers import KIND_ZH, AnswerKind, quoted_answers, record_answer, used
from planwatch_alerts.links import Grant, LinkError, LinkSigner, Refusal
from planwatch_alerts.messages import STATUS_ZH, describe
from planwatch_alerts.store import alerts, supervising

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.globals.update(statuses=STATUS_ZH)

_STATUS = {
    Refusal.FORGED: 403,
    Refusal.OTHER_ALERT: 403,
    Refusal.EXPIRED: 410,
    Refusal.USED: 409,
}
_TEXT_MAX = 4000


@dataclass(frozen=True)
class Wording:
    """What the page asks, in the words of the alert's kind: a target behind is answered with
    measures and a date of recovery, a chase for overdue data with the reason and the date the
    figure will be reported (stored in the same fields, ``text`` and ``expected_recovery``)."""

    title: str
    noun: str  # what is answered: 预警 or 催报
    kinds: dict[AnswerKind, str]  # an answer's kind, as the page and its receipt name it
    recovery: str  # the name of an answer's date
    settled: str  # the alert is resolved
    acknowledge: str
    dispute: str
    text: str
    date: str
    no_kind: str
    no_measures: str
    no_reason: str
    no_date: str
    bad_date: str
    past_date: str


PROGRESS = Wording(
    title="回复预警",
    noun="预警",
    kinds=KIND_ZH,
    recovery="预计恢复",
    settled="该预警已恢复到规划进度，无需回复；如需说明，仍可提交。",
    acknowledge="确认预警，说明整改措施和预计恢复日期",
    dispute="对数据有异议，说明理由",
    text="整改措施 / 异议理由",
    date="预计恢复日期（确认整改时必填）",
    no_kind="请选择“确认并整改”或“对数据有异议”。",
    no_measures="请填写整改措施。",
    no_reason="请填写异议理由。",
    no_date="确认整改时请填写预计恢复日期。",
    bad_date="预计恢复日期格式应为 年-月-日，例如 2026-06-30。",
    past_date="预计恢复日期不能早于今天。",
)
DATA = Wording(
    title="回复催报",
    noun="催报",
    kinds={AnswerKind.ACKNOWLEDGE: "确认逾期", AnswerKind.DISPUTE: "对逾期认定有异议"},
    recovery="预计报送",
    settled="该期数据已收到，催报已解除，无需回复；如需说明，仍可提交。",
    acknowledge="确认逾期，说明未报原因和预计报送日期",
    dispute="对逾期认定有异议（例如已经报送，或本期不应报送），说明理由",
    text="未报原因 / 异议理由",
    date="预计报送日期（确认逾期时必填）",
    no_kind="请选择“确认逾期”或“对逾期认定有异议”。",
    no_measures="请填写未报原因。",
    no_reason="请填写异议理由。",
    no_date="确认逾期时请填写预计报送日期。",
    bad_date="预计报送日期格式应为 年-月-日，例如 2026-06-30。",
    past_date="预计报送日期不能早于今天。",
)


# the supervising body told of a long-overdue figure answers with what it does to see it reported,
# as its digest asks ("说明督办情况和预计报送日期"); the kinds are a chase's, its history quotes the
# publisher's answers to the chase beside its own
SUPERVISION = replace(
    DATA,
    title="回复督办",
    noun="督办",
    acknowledge="确认逾期，说明督办情况和预计报送日期",
    text="督办情况 / 异议理由",
    no_measures="请填写督办情况。",
)


def wording(alert_type: str | None, alert_key: str = "") -> Wording:
    if alert_type != "overdue":
        return PROGRESS
    return SUPERVISION if supervising(alert_key) else DATA


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
        if row is None:  # signed for an alert that is gone (a database reset): nothing to answer
            raise LinkError(Refusal.FORGED)
        # an escalated chase lists the publisher's answers to the chase too, as its digest does
        history = quoted_answers(c, [row])[alert_id]
    alert = dict(row._mapping)
    context: dict[str, Any] = {
        "alert": alert,
        "facts": describe(alert, request.app.state.catalog),
        "agency": grant.agency,
        "expires": grant.expires,
        "token": token,
        "history": history,
        "words": wording(alert["type"], alert["alert_key"]),
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
    words = _wording(request, alert_id)
    errors: dict[str, str] = {}
    try:
        answer = AnswerKind(kind)
    except ValueError:
        errors["kind"] = words.no_kind
        answer = AnswerKind.ACKNOWLEDGE
    text = text.strip()
    if not text:
        errors["text"] = words.no_measures if answer is AnswerKind.ACKNOWLEDGE else words.no_reason
    elif len(text) > _TEXT_MAX:
        errors["text"] = f"内容过长：最多 {_TEXT_MAX} 字。"
    recovery: date | None = None
    now = request.app.state.clock()
    if expected_recovery.strip():
        try:
            recovery = date.fromisoformat(expected_recovery.strip())
        except ValueError:
            errors["expected_recovery"] = words.bad_date
        else:
            if recovery < now.date():
                errors["expected_recovery"] = words.past_date
    elif answer is AnswerKind.ACKNOWLEDGE and "kind" not in errors:
        errors["expected_recovery"] = words.no_date
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
            "detail": f"{grant.agency}对本条{words.noun}的回复（{words.kinds[answer]}）已记录，"
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


def _wording(request: Request, alert_id: int) -> Wording:
    with request.app.state.db.connect() as c:
        found = c.execute(
            sa.select(alerts.c.type, alerts.c.alert_key).where(alerts.c.id == alert_id)
        ).first()
    return PROGRESS if found is None else wording(found.type, found.alert_key)
