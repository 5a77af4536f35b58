"""RFC 9457 problem details: every 4xx/5xx of the service is ``application/problem+json``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from fastapi.responses import Response
from pydantic import BaseModel

from planwatch.problems import PROBLEM_TYPE, ProblemError

__all__ = ["PROBLEM_TYPE", "Problem", "ProblemError", "problem_response"]

_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Unprocessable submission",
    500: "Internal error",
    503: "Service unavailable",
}


class ProblemItem(BaseModel):
    row: int | None = None
    line: int | None = None
    field: str | None = None
    problem: str
    reason: str


class Problem(BaseModel):
    """The documented shape of an error answer (for the OpenAPI schema)."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemItem] = []


def problem_body(status: int, slug: str, detail: str, errors: Sequence[Mapping[str, Any]]) -> bytes:
    return orjson.dumps(
        {
            "type": f"urn:planwatch:problem:{slug}",
            "title": _TITLES.get(status, "Error"),
            "status": status,
            "detail": detail,
            "errors": list(errors),
        }
    )


def problem_response(exc: ProblemError) -> Response:
    return Response(
        problem_body(exc.status, exc.slug, exc.detail, exc.errors),
        status_code=exc.status,
        media_type=PROBLEM_TYPE,
        headers=exc.headers,
    )
