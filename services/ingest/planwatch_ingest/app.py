"""The FastAPI app: ``create_app(settings)`` wires the adapters; the lifespan owns them."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from planwatch.catalog import Catalog, load_catalog
from planwatch.problems import install_problem_handlers, problem_responses, problem_schemas
from planwatch.security import KeyStore
from planwatch_ingest.adapters import open_ledger
from planwatch_ingest.adapters.kafka_publisher import KafkaPublisher
from planwatch_ingest.api import router
from planwatch_ingest.metrics import IngestMetrics
from planwatch_ingest.ports import EventPublisher, Outbox
from planwatch_ingest.problems import TITLES, Problem, ProblemError, invalid_parameters
from planwatch_ingest.relay import Relay
from planwatch_ingest.rules import canonical_series, rules_for
from planwatch_ingest.schemas import SubmissionIn
from planwatch_ingest.service import SubmissionService
from planwatch_ingest.settings import Settings
from planwatch_ingest.validation import Validator

__all__ = ["Components", "create_app"]

log = logging.getLogger("planwatch_ingest")

BROKER_DOWN = (
    "消息代理（Kafka）暂时无法连接：提交仍会被接收并保存在台账中，连接恢复后自动发布。"
    " The message broker (Kafka) cannot be reached: submissions are still accepted and kept in"
    " the ledger, and are published when it is back."
)


@dataclass
class Components:
    settings: Settings
    catalog: Catalog
    submissions: SubmissionService
    outbox: Outbox
    keys: KeyStore
    relay: Relay
    metrics: IngestMetrics


def _publisher(settings: Settings) -> EventPublisher:
    return KafkaPublisher(
        settings.common.kafka_bootstrap,
        settings.topic,
        partitions=settings.topic_partitions,
        linger_ms=settings.linger_ms,
        delivery_timeout_s=settings.delivery_timeout_s,
        metadata_max_age_ms=settings.common.kafka_metadata_max_age_ms,
    )


def create_app(
    settings: Settings | None = None,
    *,
    catalog: Catalog | None = None,
    publisher: EventPublisher | None = None,
) -> FastAPI:
    """The ingest app. ``catalog`` and ``publisher`` replace the defaults (tests, benchmarks)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if catalog is not None:
            used = catalog
        elif settings.catalog_dir is not None:
            used = load_catalog(settings.catalog_dir)
        else:
            used = settings.common.catalog()
        metrics = IngestMetrics()
        rules = rules_for(used)
        ledger = open_ledger(settings, canonical_series(rules))
        executor = ThreadPoolExecutor(1, thread_name_prefix="ingest-ledger")
        relay = Relay(
            ledger,
            publisher or _publisher(settings),
            executor,
            batch_rows=settings.publish_batch_rows,
            check_s=settings.broker_check_s,
            retry_max_s=settings.retry_max_s,
            on_published=metrics.published.inc,
        )
        keys = KeyStore(settings.common.keys_url(), demo_key=settings.common.demo_key)
        submissions = SubmissionService(
            ledger,
            ledger,
            Validator(rules),
            catalog_version=used.version,
            executor=executor,
            metrics=metrics,
            max_rows=settings.max_rows,
            recorded=relay.notify,
        )
        app.state.components = Components(
            settings=settings,
            catalog=used,
            submissions=submissions,
            outbox=ledger,
            keys=keys,
            relay=relay,
            metrics=metrics,
        )
        if settings.publisher_enabled:
            relay.start()
        log.info("ingest ready", extra={"catalog_version": used.version, "entries": len(used)})
        try:
            yield
        finally:
            await relay.stop()
            executor.shutdown(wait=True)
            ledger.close()
            keys.close()

    app = FastAPI(
        title="planwatch ingest",
        version="1",
        summary="Statistics bureaus push figures; each is validated, kept and published.",
        lifespan=lifespan,
    )
    app.include_router(router)

    def openapi() -> dict[str, Any]:
        # The submissions body is read raw for speed; its row schema is added here for /docs.
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            schemas["SubmissionIn"] = SubmissionIn.model_json_schema()
            # The error answers refer to the problem schemas (application/problem+json only).
            schemas.update(problem_schemas(Problem))
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    install_problem_handlers(app, TITLES, invalid_parameters)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        """The process answers."""
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["operations"],
        responses=problem_responses(Problem, {503: "the broker is not reachable"}),
    )
    async def readyz(request: Request) -> Response:
        """Ready when the broker answers now; what is down is said in words, in Chinese first."""
        parts: Components = request.app.state.components
        if not parts.relay.state.broker_up:
            raise ProblemError(503, "broker-unreachable", BROKER_DOWN)
        body = {"status": "ready", "broker": "up"}
        return Response(orjson.dumps(body), media_type="application/json")

    @app.get("/metrics", tags=["operations"], response_class=Response)
    async def metrics(request: Request) -> Response:
        """Prometheus metrics."""
        parts: Components = request.app.state.components
        parts.metrics.broker_up.set(1 if parts.relay.state.broker_up else 0)
        parts.metrics.backlog.set(parts.outbox.backlog())
        return Response(generate_latest(parts.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app
