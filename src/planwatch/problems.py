"""RFC 9457 problem details, as both APIs (ingest, alerts) answer every error.

``ProblemError`` is raised by a route and turned into an ``application/problem+json`` answer by
the service's exception handler; each service keeps its own titles and documented shapes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["PROBLEM_TYPE", "ProblemError"]

PROBLEM_TYPE = "application/problem+json"


class ProblemError(Exception):
    """An error answer: ``status``, a ``slug`` (``urn:planwatch:problem:<slug>``), a readable
    ``detail``, ``errors`` naming each bad field with its problem, and extra headers."""

    def __init__(
        self,
        status: int,
        slug: str,
        detail: str,
        errors: Sequence[Mapping[str, Any]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.detail = detail
        self.errors = [dict(e) for e in errors]
        self.headers = dict(headers or {})
