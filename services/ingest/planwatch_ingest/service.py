"""The submission service: one application function between the HTTP route and the ledger.

``SubmissionService.submit`` takes a submission as the route read it (who sends it, the body's
type and bytes, the Idempotency-Key) and answers it: replay a stored answer, parse and check the
rows, decide new / revised / duplicate against the ledger and store the decision in one
transaction, then wake the relay that publishes it. It knows nothing of HTTP but the status and
body of its answer; refusals are ``ProblemError`` with the row, field and reason at fault.

Its ports are the ``Ledger`` (record, replay), ``Figures`` (peek, history: the preview and the
bureau's figures) and a callable that wakes the relay; tests give it the in-memory ledger of
``planwatch_ingest.adapters.memory_ledger``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from planwatch.security import Principal
from planwatch_ingest.metrics import IngestMetrics
from planwatch_ingest.outcomes import Decision, Known, decide
from planwatch_ingest.parsing import XLSX_TYPE, BodyError, Parsed, parse_csv, parse_json, parse_xlsx
from planwatch_ingest.ports import (
    AlreadyAnswered,
    Figures,
    KeyInFlight,
    Ledger,
    LedgerBroken,
    StoredResponse,
)
from planwatch_ingest.problems import ProblemError
from planwatch_ingest.validation import MISSING_CELLS, Figure, Validator

__all__ = ["Answer", "Submission", "SubmissionService", "parse_body", "refuse"]

log = logging.getLogger("planwatch_ingest.access")


@dataclass(frozen=True, slots=True)
class Submission:
    """A request as the route read it: the body is not parsed yet (a replay needs no parse)."""

    principal: Principal
    media: str  # the content type of ``data`` (the file's, for a multipart upload)
    charset: str | None
    data: bytes
    digest: str  # SHA-256 of the request's content type and body, for the Idempotency-Key
    idempotency_key: str | None = None
    fmt: str = "other"  # the format label of the metrics


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes
    replayed: bool = False


def refuse(
    metrics: IngestMetrics,
    fmt: str,
    status: int,
    slug: str,
    detail: str,
    errors: list[Any],
    headers: Mapping[str, str] | None = None,
) -> ProblemError:
    """The problem for a refused request, counted by reason and status."""
    for error in errors:
        metrics.rejected.labels(error.get("reason", slug)).inc()
    metrics.requests.labels(fmt, str(status)).inc()
    return ProblemError(status, slug, detail, errors, headers=dict(headers) if headers else None)


def parse_body(media: str, charset: str | None, body: bytes, max_rows: int) -> Parsed:
    """Rows out of a JSON, CSV or .xlsx body; BodyError (415) for any other content type."""
    if media == "application/json" or media.endswith("+json"):
        return parse_json(body)
    if media in ("text/csv", "application/csv"):
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


_FIGURE_FIELDS = ("indicator_id", "jurisdiction", "period", "value", "unit", "conversion")


def _input_of(raw: Any) -> dict[str, Any]:
    """A submitted row as it was read, JSON-safe (dates and odd cells as text)."""
    if not isinstance(raw, dict):
        return {"(row)": str(raw)[:200]}
    out: dict[str, Any] = {}
    for name, value in raw.items():
        if name == MISSING_CELLS:
            continue
        ok = value is None or isinstance(value, str | int | float | bool)
        out[str(name)] = value if ok else str(value)
    return out


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


class SubmissionService:
    def __init__(
        self,
        ledger: Ledger,
        figures: Figures,
        validator: Validator,
        *,
        catalog_version: str,
        executor: Executor,
        metrics: IngestMetrics,
        max_rows: int,
        recorded: Callable[[], None] = lambda: None,
    ) -> None:
        self._ledger = ledger
        self._figures = figures
        self._validator = validator
        self._version = catalog_version
        self._executor = executor  # the one thread that talks to the ledger
        self._metrics = metrics
        self._max_rows = max_rows
        self._recorded = recorded

    async def submit(self, submission: Submission) -> Answer:
        """Answer a submission: 202 with every row's outcome, a replay, or a ProblemError."""
        started = time.perf_counter()
        principal, key, fmt = submission.principal, submission.idempotency_key, submission.fmt
        loop = asyncio.get_running_loop()
        if key is not None:
            stored = await loop.run_in_executor(
                self._executor, self._ledger.replay, principal.owner, key
            )
            if stored is not None:
                return self._replay(fmt, stored.request_sha256, submission.digest, stored)
        parsed = self._rows(submission)
        fmt = parsed.fmt
        figures = self._check(parsed, principal, fmt)
        received_at = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        owner, version = principal.owner, self._version

        def decide_now(latest: Mapping[str, Known], named: Mapping[str, Known]) -> Decision:
            return decide(
                figures,
                latest,
                named,
                owner=owner,
                received_at=received_at,
                catalog_version=version,
            )

        def record() -> tuple[Decision, bytes]:
            # The answer is rendered inside the ledger's transaction: it is stored with the key.
            rendered: list[bytes] = []

            def render(decision: Decision) -> tuple[int, bytes]:
                rendered.append(_render(decision, parsed, owner, received_at))
                return 202, rendered[-1]

            decision = self._ledger.record(
                owner,
                figures,
                decide_now,
                key_id=principal.key_id,
                idempotency=(key, submission.digest) if key is not None else None,
                render=render,
            )
            return decision, rendered[-1] if rendered else b""

        try:
            decision, answer = await loop.run_in_executor(self._executor, record)
        except AlreadyAnswered:
            assert key is not None  # only a request with an Idempotency-Key was answered before
            stored = await loop.run_in_executor(self._executor, self._ledger.replay, owner, key)
            assert stored is not None
            return self._replay(fmt, stored.request_sha256, submission.digest, stored)
        except KeyInFlight:
            raise refuse(
                self._metrics,
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
            raise refuse(
                self._metrics,
                fmt,
                422,
                "invalid-rows",
                f"{len(errors)} problems in the submitted rows; nothing was accepted",
                errors,
            )
        self._recorded()
        self._count(decision, fmt, principal, len(figures), started)
        return Answer(202, answer)

    async def preview(self, submission: Submission) -> bytes:
        """What ``submit`` would do with these rows, row by row, keeping nothing (JSON)."""
        parsed = self._rows(submission)
        principal = submission.principal
        checked = self._validator.check(parsed.rows, principal)
        by_row: dict[int, list[dict[str, Any]]] = {}
        for error in [*checked.forbidden, *checked.errors]:
            found = error.as_dict()
            by_row.setdefault(found.pop("row"), []).append(found)
        previous: dict[str, Known] = {}
        version = self._version

        def decide_now(latest: Mapping[str, Known], named: Mapping[str, Known]) -> Decision:
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
                catalog_version=version,
            )

        loop = asyncio.get_running_loop()
        try:
            decision = await loop.run_in_executor(
                self._executor, self._figures.peek, principal.owner, checked.figures, decide_now
            )
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
                for name in (
                    "indicator_id",
                    "jurisdiction",
                    "period",
                    "value",
                    "unit",
                    "conversion",
                ):
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
        return orjson.dumps(answer, default=str)

    async def figures(self, principal: Principal) -> bytes:
        """Every figure this bureau sent, every vintage, in ledger order (JSON)."""
        loop = asyncio.get_running_loop()
        try:
            payloads = await loop.run_in_executor(
                self._executor, self._figures.history, principal.owner
            )
        except LedgerBroken as exc:
            raise _unavailable(str(exc)) from None
        head = orjson.dumps(
            {"submitted_by": principal.owner, "jurisdictions": sorted(principal.jurisdictions)}
        )
        return head[:-1] + b',"figures":[' + b",".join(payloads) + b"]}"

    def _parse(self, submission: Submission) -> Parsed:
        try:
            return parse_body(submission.media, submission.charset, submission.data, self._max_rows)
        except BodyError as exc:
            raise refuse(
                self._metrics,
                submission.fmt,
                exc.status,
                exc.reason.replace("_", "-"),
                exc.problem,
                [{"field": exc.field, "problem": exc.problem, "reason": exc.reason}],
            ) from None

    def _rows(self, submission: Submission) -> Parsed:
        """The rows of the body, or the problem that says why it has none (or too many)."""
        parsed = self._parse(submission)
        fmt = parsed.fmt if submission.fmt != "preview" else "preview"
        metrics, max_rows = self._metrics, self._max_rows
        if parsed.header_errors:
            errors = [
                {"row": 0, "line": 1, "field": c, "problem": p, "reason": "bad_header"}
                for c, p in parsed.header_errors
            ]
            raise refuse(
                metrics, fmt, 422, "bad-header", "the header row does not name the columns", errors
            )
        if len(parsed.rows) > max_rows:
            problem = f"more than {max_rows} rows"
            raise refuse(
                metrics,
                fmt,
                413,
                "oversized",
                problem,
                [{"field": "body", "problem": problem, "reason": "oversized"}],
            )
        return parsed

    def _check(self, parsed: Parsed, principal: Principal, fmt: str) -> list[Figure]:
        """The valid figures of the rows, or the problem naming every bad row and field."""
        metrics = self._metrics
        checked = self._validator.check(parsed.rows, principal)
        if checked.forbidden:
            errors = _with_lines([e.as_dict() for e in checked.forbidden], parsed)
            raise refuse(
                metrics,
                fmt,
                403,
                "out-of-scope",
                f"{len(errors)} rows are outside this key's jurisdictions; nothing was accepted",
                errors,
            )
        if checked.errors:
            errors = _with_lines([e.as_dict() for e in checked.errors], parsed)
            raise refuse(
                metrics,
                fmt,
                422,
                "invalid-rows",
                f"{len(errors)} problems in the submitted rows; nothing was accepted",
                errors,
            )
        return checked.figures

    def _replay(self, fmt: str, stored_sha: str, digest: str, stored: StoredResponse) -> Answer:
        if stored_sha != digest:
            raise refuse(
                self._metrics,
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
        self._metrics.requests.labels(fmt, str(stored.status)).inc()
        return Answer(stored.status, stored.body, replayed=True)

    def _count(
        self, decision: Decision, fmt: str, principal: Principal, rows: int, started: float
    ) -> None:
        metrics = self._metrics
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
                "owner": principal.owner,
                "key_id": principal.key_id,
                "format": fmt,
                "rows": rows,
                "new_events": len(decision.events),
                "ms": round(elapsed * 1000, 2),
            },
        )


def _unavailable(why: str) -> ProblemError:
    log.error("ledger unavailable: %s", why)
    return ProblemError(
        503,
        "ledger-unavailable",
        "the ledger cannot store submissions; nothing of this request was accepted",
        headers={"Retry-After": "30"},
    )
