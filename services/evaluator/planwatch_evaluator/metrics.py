"""Prometheus metrics of the evaluator, on its own registry (served at /metrics)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["Metrics"]


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.events = Counter(
            "planwatch_evaluator_events_total",
            "submissions consumed",
            ["outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "planwatch_evaluator_latency_seconds",
            "received_at → points stored, per submission",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "planwatch_evaluator_batch_events",
            "events per processed batch",
            buckets=(1, 5, 20, 50, 100, 200, 500, 1000, 2000, 5000),
            registry=self.registry,
        )
        self.write_errors = Counter(
            "planwatch_evaluator_write_errors_total",
            "failed sink writes (retried)",
            registry=self.registry,
        )
        self.lag = Gauge(
            "planwatch_evaluator_lag",
            "submissions not yet read: high watermark of the last fetch - position",
            ["partition"],
            registry=self.registry,
        )
        self.status_changes = Counter(
            "planwatch_evaluator_status_changes_total",
            "status changes published",
            ["to"],
            registry=self.registry,
        )
