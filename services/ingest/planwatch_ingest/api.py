"""``POST /v1/submissions`` and the template download: HTTP only.

The route checks the key, reads the body within its limit, takes the Idempotency-Key and the
file out of a multipart form, and hands the submission to ``SubmissionService`` (service.py),
which answers it.

Batch semantics: all or nothing per request. Any bad row → 422 listing every bad row and field,
nothing kept; any row outside the key's jurisdictions → 403 listing those rows, nothing kept.
Otherwise every row is in the ledger, fsync'd, before the 202.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from planwatch.problems import problem_responses
from planwatch.security import Principal, Role
from planwatch_ingest.parsing import XLSX_TYPE, BodyError
from planwatch_ingest.problems import Problem, ProblemError
from planwatch_ingest.schemas import SubmissionAnswer
from planwatch_ingest.service import Submission, refuse
from planwatch_ingest.templates import (
    covered_years,
    template_csv,
    template_rows,
    template_xlsx,
)

if TYPE_CHECKING:
    from planwatch_ingest.app import Components

__all__ = ["router"]

router = APIRouter()

_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"$ref": "#/components/schemas/SubmissionIn"},
                        {"type": "array", "items": {"$ref": "#/components/schemas/SubmissionIn"}},
                    ]
                }
            },
            "text/csv": {"schema": {"type": "string"}},
            XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    },
    "parameters": [
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "schema": {"type": "string", "maxLength": 200},
            "description": "a resend with the same key gets the first answer again",
        }
    ],
}
_UNAUTHORIZED = "no key, or an unknown or revoked one (Authorization: Bearer <key>)"
# Each status an operation can answer besides its success, with what it means there.
_SUBMIT_PROBLEMS = problem_responses(
    Problem,
    {
        400: "the body cannot be read (not JSON, CSV, .xlsx or multipart; not UTF-8 or GB18030),"
        " or the Idempotency-Key is not 1 to 200 printable characters",
        401: _UNAUTHORIZED,
        403: "the key lacks the submit role, or rows are outside its jurisdictions (`errors` "
        "lists them); nothing was accepted",
        408: "the body did not arrive within the server's body timeout; the connection is closed",
        409: "a request with this Idempotency-Key is being written; send it again shortly",
        413: "the body is over the size limit, or holds more rows than allowed",
        415: "a content type or charset the service does not read",
        422: "rows or the header row are invalid, the body holds no rows, or the Idempotency-Key "
        "was used for another body; `errors` names each row, field and problem; nothing was "
        "accepted",
        503: "the ledger cannot store submissions; nothing was accepted",
    },
    headers={503: {"Retry-After": "seconds to wait before sending again"}},
)
_PREVIEW_PROBLEMS = problem_responses(
    Problem,
    {
        400: "the body cannot be read (not JSON, CSV, .xlsx or multipart; not UTF-8 or GB18030)",
        401: _UNAUTHORIZED,
        403: "the key lacks the submit role",
        408: "the body did not arrive within the server's body timeout; the connection is closed",
        413: "the body is over the size limit, or holds more rows than allowed",
        415: "a content type or charset the service does not read",
        422: "the header row is invalid or the body holds no rows (bad rows are in the answer)",
        503: "the ledger cannot be read",
    },
    headers={503: {"Retry-After": "seconds to wait before sending again"}},
)
_FIGURES_PROBLEMS = problem_responses(
    Problem,
    {
        401: _UNAUTHORIZED,
        403: "the key lacks the submit role",
        503: "the ledger cannot be read",
    },
    headers={503: {"Retry-After": "seconds to wait before sending again"}},
)
_TEMPLATE_PROBLEMS = problem_responses(
    Problem,
    {
        401: _UNAUTHORIZED,
        403: "the key lacks the submit role, or does not report for this jurisdiction",
        404: "no indicator of the catalog is for this jurisdiction, or its plans do not cover"
        " `year`",
        422: "`format` or `year` is invalid; `errors` names it",
    },
)


def _parts(request: Request) -> Components:
    return request.app.state.components  # type: ignore[no-any-return]


def authenticate(request: Request, role: Role) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    unauthorized = {"WWW-Authenticate": 'Bearer realm="planwatch"'}
    if scheme.lower() != "bearer" or not token.strip():
        raise ProblemError(
            401, "unauthorized", "send Authorization: Bearer <key>", headers=unauthorized
        )
    principal = _parts(request).keys.verify(token.strip())
    if principal is None:
        raise ProblemError(401, "unauthorized", "unknown or revoked key", headers=unauthorized)
    if not principal.can(role):
        raise ProblemError(403, "forbidden", f"this key lacks the {role.value} role")
    return principal


def _submitter(request: Request) -> Principal:
    return authenticate(request, Role.SUBMIT)


# A dependency, so the key is checked before any parameter; the body is read after it too.
# Plain ``def``: FastAPI runs it in its thread pool, so a key database that answers slowly (a
# network round trip to PostgreSQL, a write lock) holds this request only, not the event loop.
Submitter = Annotated[Principal, Depends(_submitter)]


async def _read_body(request: Request, limit: int, timeout_s: float) -> bytes:
    """The body, at most ``limit`` bytes, complete within ``timeout_s`` (else 408, closed)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ProblemError(413, "oversized", f"the body is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(timeout_s):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise ProblemError(413, "oversized", f"the body is larger than {limit} bytes")
                chunks.append(chunk)
    except TimeoutError:
        raise ProblemError(
            408,
            "request-timeout",
            f"the request body did not arrive within {timeout_s:g} s",
            headers={"Connection": "close"},
        ) from None
    return b"".join(chunks)


def _media(content_type: str) -> tuple[str, str | None]:
    media, _, params = content_type.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.lower() == "charset":
            charset = value.strip().strip('"') or None
    return media.strip().lower(), charset


async def _unwrap_multipart(request: Request, body: bytes) -> tuple[str, str | None, bytes]:
    """The uploaded file of a multipart form: its type (by its name's ending first) and bytes."""

    async def stream() -> Any:
        yield body

    try:
        form = await MultiPartParser(request.headers, stream(), max_files=1, max_fields=10).parse()
    except MultiPartException as exc:
        raise BodyError(400, "malformed", "body", f"not valid multipart/form-data: {exc}") from None
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise BodyError(422, "missing_field", "file", "send the file in a form field named 'file'")
    data = await upload.read()
    name = (upload.filename or "").lower()  # only its ending is used, never as a path
    media, charset = _media(upload.content_type or "")
    if name.endswith(".xlsx"):
        media = XLSX_TYPE
    elif name.endswith(".csv"):
        media = "text/csv"
    elif name.endswith(".json"):
        media = "application/json"
    return media, charset, data


def _idempotency_key(request: Request, refused: Any) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is not None and (not 0 < len(key) <= 200 or not key.isprintable()):
        problem = "1 to 200 printable characters"
        raise refused(
            400,
            "bad-idempotency-key",
            f"Idempotency-Key: {problem}",
            [{"field": "Idempotency-Key", "problem": problem, "reason": "wrong_type"}],
        )
    return key


@router.post(
    "/v1/submissions",
    status_code=202,
    response_model=SubmissionAnswer,
    responses=_SUBMIT_PROBLEMS,
    openapi_extra=_BODY_DOC,
    tags=["submissions"],
)
async def submit(request: Request, principal: Submitter) -> Response:
    """Submit one figure (object), a batch (array), or a CSV/Excel file; all or nothing."""
    parts = _parts(request)
    media, _ = _media(request.headers.get("content-type", ""))
    fmt = {"application/json": "json", "text/csv": "csv", XLSX_TYPE: "xlsx"}.get(media, "other")
    refused = functools.partial(refuse, parts.metrics, fmt)
    submission = await _submission(request, principal, parts, fmt, refused)
    answer = await parts.submissions.submit(submission)
    headers = {"Idempotency-Replayed": "true"} if answer.replayed else None
    return Response(
        answer.body, status_code=answer.status, media_type="application/json", headers=headers
    )


@router.get(
    "/v1/templates/{jurisdiction}",
    responses={
        200: {"content": {XLSX_TYPE: {}, "text/csv": {}}, "description": "the template file"},
        **_TEMPLATE_PROBLEMS,
    },
    response_class=Response,
    tags=["submissions"],
)
async def template(
    request: Request,
    principal: Submitter,
    jurisdiction: str,
    format: str = Query("xlsx", pattern="^(xlsx|csv)$"),
    year: int | None = Query(None, ge=1900, le=2100),
) -> Response:
    """The indicators, units and periods a jurisdiction owes, as Excel or CSV to fill in."""
    if not principal.covers(jurisdiction):
        raise ProblemError(403, "out-of-scope", f"this key does not report for {jurisdiction}")
    catalog = _parts(request).catalog
    rows = template_rows(catalog, jurisdiction, year)
    if not rows:
        span = covered_years(catalog, jurisdiction)
        if span is None:
            raise ProblemError(
                404, "not-found", f"no indicator of the catalog is for {jurisdiction}"
            )
        raise ProblemError(
            404,
            "not-found",
            f"the plans of {jurisdiction} cover {span[0]}–{span[1]}: nothing is owed for {year}",
        )
    if format == "csv":
        data, media = template_csv(rows), "text/csv; charset=utf-8"
    else:
        data, media = template_xlsx(rows, jurisdiction), XLSX_TYPE
    filename = f"template-{jurisdiction}.{format}"
    disposition = f"attachment; filename=\"template.{format}\"; filename*=UTF-8''{quote(filename)}"
    return Response(data, media_type=media, headers={"Content-Disposition": disposition})


async def _submission(
    request: Request, principal: Principal, parts: Components, fmt: str, refused: Any
) -> Submission:
    """The request as the service takes it: the body read within its limits, the key, the file."""
    media, charset = _media(request.headers.get("content-type", ""))
    settings = parts.settings
    try:
        body = await _read_body(request, settings.max_body_bytes, settings.body_timeout_s)
    except ProblemError as exc:
        reason = "oversized" if exc.status == 413 else "timeout"
        item = {"field": "body", "problem": exc.detail, "reason": reason}
        raise refused(exc.status, exc.slug, exc.detail, [item], exc.headers) from None
    key = _idempotency_key(request, refused) if fmt != "preview" else None
    digest = hashlib.sha256(media.encode() + b"\n" + body).hexdigest()
    data_media, data_charset, data = media, charset, body
    if media == "multipart/form-data":
        try:
            data_media, data_charset, data = await _unwrap_multipart(request, body)
        except BodyError as exc:
            item = {"field": exc.field, "problem": exc.problem, "reason": exc.reason}
            raise refused(exc.status, exc.reason.replace("_", "-"), exc.problem, [item]) from None
    return Submission(principal, data_media, data_charset, data, digest, key, fmt)


@router.post(
    "/v1/submissions/preview",
    responses=_PREVIEW_PROBLEMS,
    openapi_extra=_BODY_DOC,
    tags=["submissions"],
)
async def preview(request: Request, principal: Submitter) -> Response:
    """What ``POST /v1/submissions`` would do with this body, row by row; nothing is kept.

    The same parsing, row check and ledger lookups as a submission. Every row comes back with
    what was read (``input``), its outcome (``accepted``, ``revised`` with the ``previous``
    figure it replaces, ``duplicate``, or ``invalid`` with its ``errors``); ``valid`` says
    whether the submission would be accepted as a whole. Unreadable bodies get the same 4xx.
    """
    parts = _parts(request)
    refused = functools.partial(refuse, parts.metrics, "preview")
    submission = await _submission(request, principal, parts, "preview", refused)
    answer = await parts.submissions.preview(submission)
    return Response(answer, media_type="application/json")


@router.get(
    "/v1/figures",
    responses=_FIGURES_PROBLEMS,
    tags=["submissions"],
)
async def figures(request: Request, principal: Submitter) -> Response:
    """Every figure this key's bureau sent, every vintage, oldest first, with who it is.

    ``figures`` are the submission events as published (docs/ingest.md); a revision is the
    same indicator, jurisdiction and period with the next ``vintage``.
    """
    answer = await _parts(request).submissions.figures(principal)
    return Response(answer, media_type="application/json")
