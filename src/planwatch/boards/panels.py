"""Small typed builders for Grafana's dashboard JSON model (the parts the boards use).

Why not grafana-foundation-sdk: its Python package installs here (10.1.0 needs Python 3.11)
but has no InfluxDB query model (its data queries cover Prometheus, Loki, Elasticsearch,
CloudWatch and a few more), so every InfluxQL target would be hand-made JSON inside its
builders anyway. These helpers produce exactly the JSON Grafana provisions, and the tests
check it against the datasource, the variables and a real InfluxDB engine.
"""

from __future__ import annotations

from typing import Any

from planwatch.domain.status import STATUS_INFO

__all__ = [
    "DATASOURCE",
    "DATASOURCE_UID",
    "STATUS_CODES",
    "Json",
    "dashboard",
    "panel",
    "status_field",
    "variable",
]

Json = dict[str, Any]
DATASOURCE_UID = "planwatch-influxdb"  # deploy/grafana/provisioning/datasources/influxdb.yaml
DATASOURCE: Json = {"type": "influxdb", "uid": DATASOURCE_UID}

# status_code of docs/timeseries.md → (Chinese name, English, Grafana colour), from the one table
STATUS_CODES: dict[int, tuple[str, str, str]] = {
    i.code: (i.zh, i.en, i.grafana) for i in sorted(STATUS_INFO.values(), key=lambda i: -i.code)
}


def status_field() -> Json:
    """Field config that shows a status code as its name on its colour."""
    options = {
        str(code): {"text": f"{zh} {en}", "color": colour, "index": i}
        for i, (code, (zh, en, colour)) in enumerate(STATUS_CODES.items())
    }
    ordered = sorted(STATUS_CODES.items())  # the lowest code's colour is the base step
    steps: list[Json] = [{"color": ordered[0][1][2], "value": None}]
    steps += [{"color": c, "value": code} for code, (_, _, c) in ordered[1:]]
    return {
        "defaults": {
            "mappings": [{"type": "value", "options": options}],
            "color": {"mode": "thresholds"},
            "thresholds": {"mode": "absolute", "steps": steps},
        },
        "overrides": [],
    }


def variable(name: str, label: str, query: str, *, multi: bool = True, hide: int = 0) -> Json:
    """A query variable on the pinned datasource; refreshed when the time range changes."""
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DATASOURCE,
        "query": query,
        "definition": query,
        "refresh": 2,
        "sort": 1,
        "hide": hide,
        "includeAll": multi,
        "multi": multi,
        "allValue": ".*" if multi else None,
        "current": {"text": "All", "value": "$__all"} if multi else {},
        "options": [],
    }


def _target(query: str, ref: str, fmt: str) -> Json:
    return {
        "refId": ref,
        "datasource": DATASOURCE,
        "query": query,
        "rawQuery": True,
        "resultFormat": fmt,
    }


def panel(
    pid: int,
    kind: str,
    title: str,
    description: str,
    queries: list[str],
    grid: tuple[int, int, int, int],
    *,
    fmt: str = "table",
    **extra: Any,
) -> Json:
    """A panel whose every target is raw InfluxQL on the pinned datasource."""
    x, y, w, h = grid
    built: Json = {
        "id": pid,
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "targets": [_target(q, chr(ord("A") + i), fmt) for i, q in enumerate(queries)],
    }
    built.update(extra)
    return built


def dashboard(
    uid: str, title: str, description: str, panels: list[Json], variables: list[Json]
) -> Json:
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["planwatch"],
        "timezone": "Asia/Shanghai",
        "schemaVersion": 39,
        "version": 1,
        "editable": False,
        "graphTooltip": 1,
        # plan periods run years into the future: show the whole plan horizon
        "time": {"from": "now-6y", "to": "now+6y"},
        "refresh": "1m",
        "templating": {"list": variables},
        "panels": panels,
        "annotations": {"list": []},
        "links": [],
    }
