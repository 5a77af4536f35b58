"""``/readyz``: a service is ready when every dependency it needs now answers.

Each check is a blocking callable that raises when its dependency does not answer (the store's
``SELECT 1``, the broker's metadata, the SMTP relay's NOOP); ``probe`` runs them side by side in
threads, each within ``timeout`` seconds, and ``readiness_response`` answers 200 or 503 with
what each one said, so an operator reads which dependency is down.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

import orjson
from starlette.responses import Response

__all__ = [
    "Check",
    "broker_check",
    "probe",
    "readiness_body",
    "readiness_response",
    "sql_check",
]

Check = Callable[[], object]


async def probe(checks: Mapping[str, Check], timeout: float = 3.0) -> dict[str, str]:
    """``{name: "up" | "down: <why>"}`` for each check."""

    async def one(name: str, check: Check) -> tuple[str, str]:
        try:
            await asyncio.wait_for(asyncio.to_thread(check), timeout)
        except TimeoutError:
            return name, f"down: no answer within {timeout:g} s"
        except Exception as exc:
            return name, f"down: {type(exc).__name__}: {exc}"
        return name, "up"

    return dict(await asyncio.gather(*(one(n, c) for n, c in checks.items())))


def readiness_body(results: Mapping[str, str]) -> tuple[int, dict[str, object]]:
    """The status code and body for what ``probe`` found (for a service whose web framework
    is not Starlette's: the evaluator's faust pages)."""
    ready = all(v == "up" for v in results.values())
    body: dict[str, object] = {"status": "ready" if ready else "not ready", "checks": dict(results)}
    return 200 if ready else 503, body


async def readiness_response(checks: Mapping[str, Check], timeout: float = 3.0) -> Response:
    status, body = readiness_body(await probe(checks, timeout))
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def sql_check(engine: object) -> Check:
    """The database of a SQLAlchemy engine answers ``SELECT 1``."""
    import sqlalchemy as sa

    assert isinstance(engine, sa.Engine)

    def check() -> None:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))

    return check


def broker_check(bootstrap: str, timeout: float = 3.0) -> Check:
    """A broker of ``bootstrap`` answers a metadata request (its open port alone is not
    enough: a starting broker accepts connections before it serves)."""

    def check() -> None:
        from aiokafka import AIOKafkaClient

        async def metadata() -> None:
            client = AIOKafkaClient(
                bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000)
            )
            try:
                await client.bootstrap()
            finally:
                await client.close()

        asyncio.run(metadata())

    return check
