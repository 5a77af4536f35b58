"""RFC 9457 problem details: every 4xx/5xx of the service is ``application/problem+json``.

The shape and the handlers are ``planwatch.problems``; here are the service's titles, where an
item of ``errors`` points (a row of the submission, the line of a file, a field or header), and
the 422 for parameters that FastAPI rejects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from planwatch import problems
from planwatch.problems import PROBLEM_TYPE, ProblemError

__all__ = ["PROBLEM_TYPE", "TITLES", "Problem", "ProblemError", "ProblemItem", "invalid_parameters"]

TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    408: "Request timeout",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable submission",
    500: "Internal error",
    503: "Service unavailable",
}


class ProblemItem(problems.ProblemItem):
    """One bad row (``row``, 1-based; 0 for the header), its ``line`` in a file, and the field,
    header or ``body`` at fault."""

    row: int | None = None
    line: int | None = None
    field: str | None = None


class Problem(problems.Problem[ProblemItem]):
    """The documented shape of an error answer (for the OpenAPI schema)."""


def invalid_parameters(errors: Iterable[Mapping[str, Any]]) -> ProblemError:
    """The 422 for a parameter FastAPI's validation rejected (e.g. a template's ``format``)."""
    items = [
        {
            "field": ".".join(str(p) for p in e.get("loc", ())[1:]) or None,
            "problem": e.get("msg", "invalid"),
            "reason": "invalid_parameter",
        }
        for e in errors
    ]
    return ProblemError(422, "invalid-parameter", "invalid parameters", items)
