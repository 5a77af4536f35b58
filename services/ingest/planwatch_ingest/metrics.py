"""Prometheus metrics of one app instance (its own registry, so tests can run several)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["IngestMetrics"]


class IngestMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.rows = Counter(
            "planwatch_ingest_rows_total",
            "Rows answered 202, by outcome (accepted, revised, duplicate)",
            ["status"],
            registry=self.registry,
        )
        self.rejected = Counter(
            "planwatch_ingest_rows_rejected_total",
            "Rejected rows (or whole bodies), by reason",
            ["reason"],
            registry=self.registry,
        )
        self.requests = Counter(
            "planwatch_ingest_requests_total",
            "Submission requests, by format and HTTP status",
            ["format", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "planwatch_ingest_request_seconds",
            "Time to answer a submission request",
            ["format"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.published = Counter(
            "planwatch_ingest_events_published_total",
            "Events the broker acknowledged",
            registry=self.registry,
        )
        self.backlog = Gauge(
            "planwatch_ingest_outbox_backlog",
            "Ledger events not yet acknowledged by the broker",
            registry=self.registry,
        )
        self.broker_up = Gauge(
            "planwatch_ingest_broker_up", "1 when the broker answers", registry=self.registry
        )
