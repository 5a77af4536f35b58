"""``POST /v1/submissions`` and the template download.

Batch semantics: all or nothing per request. Any bad row → 422 listing every bad row and field,
nothing kept; any row outside the key's jurisdictions → 403 listing those rows, nothing kept.
Otherwise every row is in the ledger, fsync'd, before the 202.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from planwatch.problems import problem_responses
from planwatch.security import Principal, Role
from planwatch_ingest.outcomes import Decision, decide
from planwatch_ingest.parsing import XLSX_TYPE, BodyError, Parsed, parse_csv, parse_json, parse_xlsx
from planwatch_ingest.ports import AlreadyAnswered, KeyInFlight, LedgerBroken
from planwatch_ingest.problems import Problem, ProblemError
from planwatch_ingest.schemas import SubmissionAnswer
from planwatch_ingest.templates import (
    covered_years,
    template_csv,
    template_rows,
    template_xlsx,
)

if TYPE_CHECKING:
    from planwatch_ingest.app import Components

__all__ = ["router"]

log = logging.getLogger("planwatch_ingest.access")
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


async def _submitter(request: Request) -> Principal:
    return authenticate(request, Role.SUBMIT)


# A dependency, so the key is checked before any parameter; the body is read after it too.
Submitter = Annotated[Principal, Depends(_submitter)]


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ProblemError(413, "oversized", f"the body is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ProblemError(413, "oversized", f"the body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _media(content_type: str) -> tuple[str, str | None]:
    media, _, params = content_type.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.lower() == "charset":
            charset = value.strip().strip('"') or None
    return media.strip().lower(), charset


def _parse_as(media: str, charset: str | None, body: bytes, max_rows: int) -> Parsed:
    if media == "application/json" or media.endswith("+json"):
        return parse_json(body)
    if media in ("text/csv", "application/csv", "text/plain"):
        return parse_csv(body, charset, max_rows)
    if media == XLSX_TYPE:
        return parse_xlsx(body, max_rows)
    raise BodyError(
        415,
        "unsupported_media_type",
        "content-type",
        f"{media or 'no content type'}: "
        "send application/json, text/csv, .xlsx or multipart/form-data",
    )


async def _parse_multipart(request: Request, body: bytes, max_rows: int) -> Parsed:
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
    return _parse_as(media, charset, data, max_rows)


def _with_lines(items: list[dict[str, Any]], parsed: Parsed) -> list[dict[str, Any]]:
    if parsed.lines is not None:
        lines = parsed.lines
        for item in items:
            row = item.get("row")
            if row:
                item["line"] = lines[row - 1]
    return items


def _render(decision: Decision, parsed: Parsed, owner: str, received_at: str) -> bytes:
    results = _with_lines(decision.results, parsed)
    counts = {"accepted": 0, "revised": 0, "duplicate": 0}
    for result in results:
        counts[result["status"]] += 1
    return orjson.dumps(
        {
            "rows": len(results),
            **counts,
            "skipped": parsed.skipped,
            "received_at": received_at,
            "submitted_by": owner,
            "results": results,
        }
    )


def _reject(
    parts: Components, fmt: str, status: int, slug: str, detail: str, errors: list[Any]
) -> ProblemError:
    for error in errors:
        parts.metrics.rejected.labels(error.get("reason", slug)).inc()
    parts.metrics.requests.labels(fmt, str(status)).inc()
    return ProblemError(status, slug, detail, errors)


async def _rows_of(
    request: Request, parts: Components, media: str, charset: str | None, fmt: str, body: bytes
) -> Parsed:
    """The body's rows, or the 4xx that says why it has none (header problems included)."""
    settings = parts.settings
    try:
        if media == "multipart/form-data":
            parsed = await _parse_multipart(request, body, settings.max_rows)
        else:
            parsed = _parse_as(media, charset, body, settings.max_rows)
    except BodyError as exc:
        raise _reject(
            parts,
            fmt,
            exc.status,
            exc.reason.replace("_", "-"),
            exc.problem,
            [{"field": exc.field, "problem": exc.problem, "reason": exc.reason}],
        ) from None
    fmt = parsed.fmt
    if parsed.header_errors:
        errors = [
            {"row": 0, "line": 1, "field": c, "problem": p, "reason": "bad_header"}
            for c, p in parsed.header_errors
        ]
        raise _reject(
            parts, fmt, 422, "bad-header", "the header row does not name the columns", errors
        )
    if len(parsed.rows) > settings.max_rows:
        raise _reject(
            parts,
            fmt,
            413,
            "oversized",
            f"more than {settings.max_rows} rows",
            [
                {
                    "field": "body",
                    "problem": f"more than {settings.max_rows} rows",
                    "reason": "oversized",
                }
            ],
        )
    return parsed


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
    started = time.perf_counter()
    parts = _parts(request)
    settings = parts.settings
    media, charset = _media(request.headers.get("content-type", ""))
    fmt = {"application/json": "json", "text/csv": "csv", XLSX_TYPE: "xlsx"}.get(media, "other")
    try:
        body = await _read_body(request, settings.max_body_bytes)
    except ProblemError as exc:
        raise _reject(
            parts,
            fmt,
            exc.status,
            exc.slug,
            exc.detail,
            [{"field": "body", "problem": exc.detail, "reason": "oversized"}],
        ) from None

    idempotency = None
    key = request.headers.get("idempotency-key")
    if key is not None:
        if not 0 < len(key) <= 200 or not key.isprintable():
            raise _reject(
                parts,
                fmt,
                400,
                "bad-idempotency-key",
                "Idempotency-Key: 1 to 200 printable characters",
                [
                    {
                        "field": "Idempotency-Key",
                        "problem": "1 to 200 printable characters",
                        "reason": "wrong_type",
                    }
                ],
            )
        digest = hashlib.sha256(media.encode() + b"\n" + body).hexdigest()
        idempotency = (key, digest)
        loop = asyncio.get_running_loop()
        stored = await loop.run_in_executor(
            parts.executor, parts.ledger.replay, principal.owner, key
        )
        if stored is not None:
            return _replay(parts, fmt, stored.request_sha256, digest, stored.status, stored.body)

    parsed = await _rows_of(request, parts, media, charset, fmt, body)
    fmt = parsed.fmt
    checked = parts.validator.check(parsed.rows, principal)
    if checked.forbidden:
        errors = _with_lines([e.as_dict() for e in checked.forbidden], parsed)
        raise _reject(
            parts,
            fmt,
            403,
            "out-of-scope",
            f"{len(errors)} rows are outside this key's jurisdictions; nothing was accepted",
            errors,
        )
    if checked.errors:
        errors = _with_lines([e.as_dict() for e in checked.errors], parsed)
        raise _reject(
            parts,
            fmt,
            422,
            "invalid-rows",
            f"{len(errors)} problems in the submitted rows; nothing was accepted",
            errors,
        )

    received_at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    owner = principal.owner
    version = parts.catalog.version
    figures = checked.figures

    def decide_now(latest: Any, named: Any) -> Decision:
        return decide(
            figures, latest, named, owner=owner, received_at=received_at, catalog_version=version
        )

    def render(decision: Decision) -> tuple[int, bytes]:
        return 202, _render(decision, parsed, owner, received_at)

    loop = asyncio.get_running_loop()
    try:
        # Decided here, on the event loop: requests apply to the lookups one after another.
        decision = parts.ledger.stage(owner, figures, decide_now, key)
    except AlreadyAnswered:
        assert key is not None  # only a request with an idempotency key was answered before
        stored = await loop.run_in_executor(parts.executor, parts.ledger.replay, owner, key)
        assert stored is not None and idempotency is not None
        return _replay(
            parts, fmt, stored.request_sha256, idempotency[1], stored.status, stored.body
        )
    except KeyInFlight:
        raise _reject(
            parts,
            fmt,
            409,
            "idempotency-key-in-flight",
            "a request with this Idempotency-Key is in progress; send it again shortly",
            [{"field": "Idempotency-Key", "problem": "in progress", "reason": "in_flight"}],
        ) from None
    except LedgerBroken as exc:
        raise _unavailable(str(exc)) from None
    if decision.errors:
        errors = _with_lines([e.as_dict() for e in decision.errors], parsed)
        raise _reject(
            parts,
            fmt,
            422,
            "invalid-rows",
            f"{len(errors)} problems in the submitted rows; nothing was accepted",
            errors,
        )
    answer = _render(decision, parsed, owner, received_at)
    write = functools.partial(
        parts.ledger.write,
        owner,
        decision,
        key_id=principal.key_id,
        idempotency=idempotency,
        answer=(202, answer),
    )
    try:
        # The ledger thread appends and fsyncs; meanwhile the loop checks the next request.
        await loop.run_in_executor(parts.executor, write)
    except LedgerBroken as exc:
        raise _unavailable(str(exc)) from None
    parts.relay.notify()
    metrics = parts.metrics
    for status in ("accepted", "revised", "duplicate"):
        count = sum(1 for r in decision.results if r["status"] == status)
        if count:
            metrics.rows.labels(status).inc(count)
    metrics.requests.labels(fmt, "202").inc()
    elapsed = time.perf_counter() - started
    metrics.latency.labels(fmt).observe(elapsed)
    log.info(
        "submission",
        extra={
            "owner": owner,
            "key_id": principal.key_id,
            "format": fmt,
            "rows": len(figures),
            "new_events": len(decision.events),
            "ms": round(elapsed * 1000, 2),
        },
    )
    return Response(answer, status_code=202, media_type="application/json")


def _unavailable(why: str) -> ProblemError:
    log.error("ledger unavailable: %s", why)
    return ProblemError(
        503,
        "ledger-unavailable",
        "the ledger cannot store submissions; nothing of this request was accepted",
        headers={"Retry-After": "30"},
    )


def _replay(
    parts: Components, fmt: str, stored_sha: str, digest: str, status: int, body: bytes
) -> Response:
    if stored_sha != digest:
        raise _reject(
            parts,
            fmt,
            422,
            "idempotency-key-reused",
            "this Idempotency-Key was used for a different request",
            [
                {
                    "field": "Idempotency-Key",
                    "problem": "used before for a different request",
                    "reason": "idempotency_key_reused",
                }
            ],
        )
    parts.metrics.requests.labels(fmt, str(status)).inc()
    return Response(
        body,
        status_code=status,
        media_type="application/json",
        headers={"Idempotency-Replayed": "true"},
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


def _input_of(raw: Any) -> dict[str, Any]:
    """A submitted row as it was read, JSON-safe (dates and odd cells as text)."""
    if not isinstance(raw, dict):
        return {"(row)": str(raw)[:200]}
    out: dict[str, Any] = {}
    for name, value in raw.items():
        ok = value is None or isinstance(value, str | int | float | bool)
        out[str(name)] = value if ok else str(value)
    return out


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
    media, charset = _media(request.headers.get("content-type", ""))
    body = await _read_body(request, parts.settings.max_body_bytes)
    parsed = await _rows_of(request, parts, media, charset, "preview", body)
    checked = parts.validator.check(parsed.rows, principal)
    by_row: dict[int, list[dict[str, Any]]] = {}
    for error in [*checked.forbidden, *checked.errors]:
        found = error.as_dict()
        by_row.setdefault(found.pop("row"), []).append(found)
    previous: dict[str, Any] = {}

    def decide_now(latest: Any, named: Any) -> Decision:
        for figure in checked.figures:
            known = latest.get(figure.series)
            if known is not None:
                previous[figure.series] = known
        return decide(
            checked.figures,
            latest,
            named,
            owner=principal.owner,
            received_at="",
            catalog_version=parts.catalog.version,
        )

    try:
        decision = parts.ledger.peek(principal.owner, checked.figures, decide_now)
    except LedgerBroken as exc:
        raise _unavailable(str(exc)) from None
    for error in decision.errors:
        found = error.as_dict()
        by_row.setdefault(found.pop("row"), []).append(found)
    outcomes = {result["row"]: result for result in decision.results}
    series = {figure.row: figure.series for figure in checked.figures}
    items = []
    counts = {"accepted": 0, "revised": 0, "duplicate": 0, "invalid": 0}
    for index, raw in enumerate(parsed.rows):
        row = index + 1
        item: dict[str, Any] = {"row": row, "input": _input_of(raw)}
        if parsed.lines is not None:
            item["line"] = parsed.lines[index]
        result = outcomes.get(row)
        if row in by_row or result is None:
            item["status"] = "invalid"
            item["errors"] = by_row.get(row, [])
        else:
            item["status"] = result["status"]
            for name in ("indicator_id", "jurisdiction", "period", "value", "unit", "conversion"):
                item[name] = result[name]
            item["vintage"] = result["vintage"]
            known = previous.get(series[row])
            if result["status"] == "revised" and known is not None:
                item["previous"] = {
                    "vintage": known.vintage,
                    "value": known.value,
                    "event_id": known.event_id,
                }
            item["errors"] = []
        counts[item["status"]] += 1
        items.append(item)
    answer = {
        "rows": len(items),
        **counts,
        "skipped": parsed.skipped,
        "valid": counts["invalid"] == 0,
        "items": items,
    }
    return Response(orjson.dumps(answer, default=str), media_type="application/json")


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
    parts = _parts(request)
    loop = asyncio.get_running_loop()
    try:
        payloads = await loop.run_in_executor(parts.executor, parts.ledger.history, principal.owner)
    except LedgerBroken as exc:
        raise _unavailable(str(exc)) from None
    head = orjson.dumps(
        {"submitted_by": principal.owner, "jurisdictions": sorted(principal.jurisdictions)}
    )
    body = head[:-1] + b',"figures":[' + b",".join(payloads) + b"]}"
    return Response(body, media_type="application/json")
