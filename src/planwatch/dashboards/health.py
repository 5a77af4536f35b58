"""The service-health dashboard: is the pipeline keeping up, and is anything being lost?

Unlike the leadership boards (InfluxDB, InfluxQL), it reads the services' own ``/metrics``
through Prometheus (deploy/prometheus/prometheus.yml), with PromQL. Its panels answer an
operator's questions (docs/scaling.md): how far behind the evaluator is (consumer lag),
how much ingest has accepted but not yet handed to the broker (outbox depth), what could not be
assessed (dead letters) and which notifications could not be delivered.
"""

from __future__ import annotations

from planwatch.dashboards.panels import Json, dashboard

__all__ = ["PROMETHEUS", "PROMETHEUS_UID", "service_health"]

# deploy/grafana/provisioning/datasources/prometheus.yaml
PROMETHEUS_UID = "planwatch-prometheus"
PROMETHEUS: Json = {"type": "prometheus", "uid": PROMETHEUS_UID}


def _target(expr: str, ref: str, legend: str) -> Json:
    return {"refId": ref, "datasource": PROMETHEUS, "expr": expr, "legendFormat": legend}


def _panel(
    pid: int,
    kind: str,
    title: str,
    description: str,
    targets: list[tuple[str, str]],
    grid: tuple[int, int, int, int],
    unit: str = "short",
) -> Json:
    x, y, w, h = grid
    return {
        "id": pid,
        "type": kind,
        "title": title,
        "description": description,
        "datasource": PROMETHEUS,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "targets": [
            _target(expr, chr(ord("A") + i), legend) for i, (expr, legend) in enumerate(targets)
        ],
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
    }


def service_health() -> Json:
    panels = [
        _panel(
            1,
            "stat",
            "服务在线",
            "1 when Prometheus could scrape the service's /metrics on its last try, 0 when not.",
            [("min by (job) (up)", "{{job}}")],
            (0, 0, 8, 5),
        ),
        _panel(
            2,
            "stat",
            "采集服务连接消息队列",
            "1 when ingest's publisher reaches the Kafka broker; 0 while it cannot publish "
            "(accepted submissions wait in its outbox).",
            [("min(planwatch_ingest_broker_up)", "ingest → Kafka")],
            (8, 0, 8, 5),
        ),
        _panel(
            3,
            "stat",
            "未解决预警",
            "Alerts not resolved, by severity.",
            [("sum by (severity) (planwatch_alerts_open)", "{{severity}}")],
            (16, 0, 8, 5),
        ),
        _panel(
            4,
            "timeseries",
            "评估消费滞后",
            "Consumer lag of the evaluator: submissions on the broker it has not read yet, per "
            "worker. It should fall back to 0 after each burst; a line that only grows means "
            "the workers do not keep up (add workers, up to the partition count).",
            [("sum by (instance) (planwatch_evaluator_lag)", "{{instance}}")],
            (0, 5, 12, 8),
        ),
        _panel(
            5,
            "timeseries",
            "待发布积压（发件箱）",
            "Outbox depth: submissions ingest accepted and recorded but the broker has not yet "
            "acknowledged. Grows while the broker is unreachable; nothing is lost.",
            [("sum(planwatch_ingest_outbox_backlog)", "outbox")],
            (12, 5, 12, 8),
        ),
        _panel(
            6,
            "timeseries",
            "死信",
            "Submissions the evaluator could not assess and set aside on the submissions-dlq "
            "topic, per 5 minutes. Any at all needs a look: the topic holds each one with its "
            "error.",
            [
                (
                    'sum(increase(planwatch_evaluator_events_total{outcome="dead_letter"}[5m]))',
                    "dead letters",
                )
            ],
            (0, 13, 12, 8),
        ),
        _panel(
            7,
            "timeseries",
            "通知发送失败",
            "Notifications given up after every try (failed) and tries to be repeated (retry), "
            "per channel, per hour. Failed ones are listed by the alerts API.",
            [
                (
                    "sum by (channel, result) "
                    '(increase(planwatch_alerts_notifications_total{result=~"failed|retry"}[1h]))',
                    "{{channel}} {{result}}",
                )
            ],
            (12, 13, 12, 8),
        ),
        _panel(
            8,
            "timeseries",
            "采集与评估吞吐",
            "Rows ingest accepted and submissions the evaluator assessed, per second.",
            [
                ("sum(rate(planwatch_ingest_events_published_total[5m]))", "published"),
                (
                    'sum(rate(planwatch_evaluator_events_total{outcome!="dead_letter"}[5m]))',
                    "evaluated",
                ),
            ],
            (0, 21, 24, 8),
            unit="ops",
        ),
    ]
    board = dashboard(
        "planwatch-service-health",
        "planwatch 服务健康",
        "Is the pipeline keeping up and is anything being lost: consumer lag, outbox depth, "
        "dead letters, notification failures (Prometheus).",
        panels,
        [],
    )
    board["time"] = {"from": "now-6h", "to": "now"}
    board["tags"] = ["planwatch", "operations"]
    return board
