"""The alerts service: FastAPI owns the key store, the database, the consumer and the dispatcher."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Response
from fastapi.openapi.utils import get_openapi
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    generate_latest,
)

from planwatch.catalog import Catalog
from planwatch.problems import install_problem_handlers
from planwatch.readiness import Check, broker_check, readiness_response, sql_check
from planwatch.security import KeyStore
from planwatch_alerts.answer_page import router as answer_router
from planwatch_alerts.api import router
from planwatch_alerts.consumer import consume
from planwatch_alerts.engine import SEVERITIES, AlertEngine
from planwatch_alerts.ports import Channel
from planwatch_alerts.problems import TITLES, problem_schemas, validation_problem
from planwatch_alerts.routing import load_routing
from planwatch_alerts.settings import Settings
from planwatch_alerts.store import alerts, make_engine

__all__ = ["create_app"]

log = logging.getLogger("planwatch.alerts")


def create_app(
    settings: Settings,
    catalog: Catalog | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    run_dispatcher: bool = True,
    channels: Mapping[str, Channel] | None = None,
) -> FastAPI:
    """The app; nothing connects before the lifespan starts. A bad routing file fails here."""
    routing = load_routing(settings.routes_file)
    registry = CollectorRegistry()
    results = Counter(
        "planwatch_alerts_notifications",
        "notification delivery attempts by channel and result (sent, retry, failed)",
        ["channel", "result"],
        registry=registry,
    )
    open_alerts = Gauge(
        "planwatch_alerts_open", "alerts not resolved, by severity", ["severity"], registry=registry
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = make_engine(settings.database_url())
        keys = KeyStore(settings.common.keys_url(), demo_key=settings.common.demo_key)
        engine = AlertEngine(
            db, routing, catalog or settings.common.catalog(), settings, clock, channels=channels
        )
        engine.deliverer.on_result = lambda channel, result: results.labels(channel, result).inc()
        app.state.db, app.state.keys, app.state.engine, app.state.clock = db, keys, engine, clock
        app.state.signer, app.state.catalog = engine.grouper.signer, engine.catalog
        app.state.board_url = settings.common.board_url
        stopping, woken = asyncio.Event(), asyncio.Event()
        loop = asyncio.get_running_loop()

        def wake() -> None:  # called from the consumer's worker thread
            loop.call_soon_threadsafe(woken.set)

        engine.wake = wake
        tasks = []
        if run_dispatcher:
            tasks.append(asyncio.create_task(_dispatch(engine, settings.tick_s, stopping, woken)))
        if settings.consume:
            tasks.append(
                asyncio.create_task(
                    consume(
                        settings.common.kafka_bootstrap,
                        settings.topic,
                        settings.group_id,
                        settings.session_timeout_s,
                        engine.handle_many,
                        stopping,
                        metadata_max_age_ms=settings.common.kafka_metadata_max_age_ms,
                    )
                )
            )
        try:
            yield
        finally:
            stopping.set()
            woken.set()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(task, timeout=10)
            keys.close()
            db.dispose()

    app = FastAPI(title="planwatch alerts", version="1", lifespan=lifespan)
    app.include_router(router)
    app.include_router(answer_router)

    def openapi() -> dict[str, Any]:
        # The routes' error answers refer to the problem schemas, added here once.
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            schema.setdefault("components", {}).setdefault("schemas", {}).update(problem_schemas())
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    install_problem_handlers(app, TITLES, validation_problem)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> Response:
        """Ready when the alert store, the SMTP relay and (when consuming) the broker answer."""
        checks: dict[str, Check] = {"store": sql_check(app.state.db)}
        email = app.state.engine.deliverer.channels.get("email")
        if email is not None and hasattr(email, "check"):
            checks["smtp"] = email.check
        if settings.consume:
            checks["broker"] = broker_check(settings.common.kafka_bootstrap)
        return await readiness_response(checks, timeout=settings.smtp_timeout_s)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        with app.state.db.connect() as c:
            counts = dict(
                c.execute(
                    sa.select(alerts.c.severity, sa.func.count())
                    .where(alerts.c.state != "resolved")
                    .group_by(alerts.c.severity)
                ).all()
            )
        for severity in SEVERITIES:
            open_alerts.labels(severity).set(counts.get(severity, 0))
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return app


async def _dispatch(
    engine: AlertEngine, every: float, stopping: asyncio.Event, woken: asyncio.Event
) -> None:
    """Timed work every ``every`` seconds, and at once after a stored change."""
    while not stopping.is_set():
        woken.clear()
        try:
            await asyncio.to_thread(engine.tick)
        except Exception:  # keep dispatching; the next tick retries what failed
            log.exception("dispatcher tick failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(woken.wait(), timeout=every)
