"""RFC 9457 problem details: every 4xx of the API is ``application/problem+json``.

The same shape as the ingest service's errors: ``type``, ``title``, ``status``, a readable
``detail`` string, and ``errors`` naming each bad field with its problem. Bad requests that
FastAPI rejects (query, path, body) and the service's own checks (e.g. silencing until a past
time) answer alike, so a client parses one shape for every error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from planwatch import problems
from planwatch.problems import PROBLEM_TYPE, ProblemError

__all__ = [
    "PROBLEM_TYPE",
    "TITLES",
    "Problem",
    "ProblemError",
    "ProblemItem",
    "problem_schemas",
    "responses",
    "validation_problem",
]

TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Unprocessable request",
}

# What each documented status means at this API (the OpenAPI description of the answer).
_MEANING = {
    400: "the body is not readable as JSON text in UTF-8; `errors` names the body",
    401: "no key, or an unknown or revoked one (Authorization: Bearer <key>)",
    403: "the key lacks the read or admin role, or does not cover the jurisdiction asked for",
    404: "no alert has this id",
    409: "the alert's state does not allow the change (it is resolved)",
    422: "a parameter or the body is invalid; `errors` names each field and its problem",
}


class ProblemItem(problems.ProblemItem):
    """One bad field: where (``until``, ``state``, ``by``), what is wrong, and a stable code."""

    field: str


class Problem(problems.Problem[ProblemItem]):
    """The documented shape of an error answer (for the OpenAPI schema)."""


def _field(loc: Sequence[Any], kind: str) -> str:
    """``("query", "state")`` → ``state``; ``("body", "until")`` → ``until``; a body that is
    not JSON, or missing, → ``body``."""
    if kind == "json_invalid" or len(loc) < 2:
        return str(loc[0]) if loc else "request"
    return ".".join(str(part) for part in loc[1:])


def validation_problem(errors: Iterable[Mapping[str, Any]]) -> ProblemError:
    """The 422 for what FastAPI's request validation rejected, in the problem shape."""
    items = []
    for error in errors:
        kind = str(error.get("type", "invalid"))
        items.append(
            {
                "field": _field(tuple(error.get("loc", ())), kind),
                "problem": str(error.get("msg", "invalid")),
                "reason": kind,
            }
        )
    detail = "; ".join(f"{i['field']}: {i['problem']}" for i in items) or "invalid request"
    return ProblemError(422, "invalid-request", detail, items)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route: each status it can answer, with the problem body."""
    return problems.problem_responses(Problem, {status: _MEANING[status] for status in statuses})


def problem_schemas() -> dict[str, Any]:
    """``Problem`` and ``ProblemItem`` for the document's ``components.schemas``."""
    return problems.problem_schemas(Problem)
