"""RFC 9457 problem details, as both APIs (ingest, alerts) answer every error.

``ProblemError`` is raised by a route and turned into an ``application/problem+json`` answer by
the handlers that ``install_problem_handlers`` adds to a service's app. The members every answer
has (``type``, ``title``, ``status``, ``detail`` and the list ``errors``) and what every item of
``errors`` says (``problem``, ``reason``) are documented here; each service keeps its own titles
and the fields that say where an item is (a row and line of a file, a parameter).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

__all__ = [
    "PROBLEM_TYPE",
    "Problem",
    "ProblemError",
    "ProblemItem",
    "http_problem",
    "install_problem_handlers",
    "problem_response",
    "problem_responses",
    "problem_schemas",
]

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


class ProblemItem(BaseModel):
    """One thing wrong with the request: what is wrong, and a stable code for it. A service's
    items add where it is."""

    problem: str
    reason: str


Item = TypeVar("Item", bound=ProblemItem)


class Problem(BaseModel, Generic[Item]):
    """The documented shape of an error answer; a service names its own item model:
    ``class Problem(planwatch.problems.Problem[ProblemItem])``."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[Item] = []


def problem_response(exc: ProblemError, titles: Mapping[int, str]) -> Response:
    """The ``application/problem+json`` answer of ``exc``, titled by its status."""
    body = {
        "type": f"urn:planwatch:problem:{exc.slug}",
        "title": titles.get(exc.status, "Error"),
        "status": exc.status,
        "detail": exc.detail,
        "errors": exc.errors,
    }
    return Response(
        orjson.dumps(body), status_code=exc.status, media_type=PROBLEM_TYPE, headers=exc.headers
    )


def http_problem(exc: StarletteHTTPException) -> ProblemError:
    """What the framework answers itself: an unknown path (404), a method the path lacks (405,
    with its ``Allow``), and a body it cannot read as JSON text (400, e.g. not UTF-8)."""
    if exc.status_code == 400:
        problem = "not readable as JSON text in UTF-8"
        return ProblemError(
            400,
            "malformed-body",
            f"body: {problem}",
            [{"field": "body", "problem": problem, "reason": "malformed"}],
            headers=exc.headers,
        )
    slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http")
    return ProblemError(exc.status_code, slug, str(exc.detail), headers=exc.headers)


def install_problem_handlers(
    app: FastAPI,
    titles: Mapping[int, str],
    invalid: Callable[[Sequence[Any]], ProblemError],
) -> None:
    """Every error of ``app`` answered as a problem: a ``ProblemError`` a route raises, the
    framework's own 404/405/400, and a request its validation rejects (``invalid`` turns the
    validation errors into the service's 422)."""

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ProblemError)
        return problem_response(exc, titles)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return problem_response(http_problem(exc), titles)

    async def on_invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return problem_response(invalid(exc.errors()), titles)

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_invalid)


_REF = "#/components/schemas/{model}"
_AUTHENTICATE = {"WWW-Authenticate": "the scheme to authenticate with"}


def problem_responses(
    problem: type[BaseModel],
    meanings: Mapping[int, str],
    headers: Mapping[int, Mapping[str, str]] | None = None,
) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route: each status it can answer with what it means there, the
    body ``problem`` under ``application/problem+json`` (the only type an error is sent as), and
    the headers sent with it: ``WWW-Authenticate`` with a 401, and ``headers`` by status (name:
    description)."""
    sent = {401: _AUTHENTICATE, **(headers or {})}
    return {
        status: {
            "description": meaning,
            "content": {PROBLEM_TYPE: {"schema": {"$ref": _REF.format(model=problem.__name__)}}},
            **(
                {
                    "headers": {
                        name: {"description": description, "schema": {"type": "string"}}
                        for name, description in sent[status].items()
                    }
                }
                if status in sent
                else {}
            ),
        }
        for status, meaning in meanings.items()
    }


def problem_schemas(problem: type[BaseModel]) -> dict[str, Any]:
    """``problem`` and its item model for the document's ``components.schemas``.

    The answers of ``problem_responses`` refer to them under ``application/problem+json`` only
    (a ``model=`` in ``responses`` would document them as ``application/json`` too, which the
    APIs never send).
    """
    schema = problem.model_json_schema(ref_template=_REF)
    found: dict[str, Any] = dict(schema.pop("$defs", {}))
    found[problem.__name__] = schema
    return found
