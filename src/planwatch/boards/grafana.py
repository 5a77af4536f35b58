"""The four leadership dashboards, built as plain data (Grafana's dashboard JSON model).

Why no builder library: grafana-foundation-sdk's Python package needs Python 3.12 (this
project runs on 3.11), and the JSON model of the few panel types used here is small and stable.
Each panel queries InfluxDB with InfluxQL (``rawQuery``), so the same dashboards work on
InfluxDB 1.8, 2 (DBRP mapping) and 3. The datasource uid is pinned to the provisioned one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["DASHBOARDS", "DATASOURCE_UID", "build_all", "write_all"]

DATASOURCE_UID = "planwatch-influxdb"
DS = {"type": "influxdb", "uid": DATASOURCE_UID}
STATUS_MAPPINGS = [
    {
        "type": "value",
        "options": {
            "4": {"text": "已达标 achieved", "color": "dark-green", "index": 0},
            "3": {"text": "进度正常 on track", "color": "green", "index": 1},
            "2": {"text": "需加快 needs acceleration", "color": "yellow", "index": 2},
            "1": {"text": "进展有限 limited progress", "color": "orange", "index": 3},
            "0": {"text": "倒退 deterioration", "color": "red", "index": 4},
            "-1": {"text": "暂无数据 no data", "color": "gray", "index": 5},
            "-2": {"text": "数据逾期 overdue", "color": "purple", "index": 6},
        },
    }
]
STATUS_COUNTS = [
    (4, "已达标"),
    (3, "进度正常"),
    (2, "需加快"),
    (1, "进展有限"),
    (0, "倒退"),
    (-1, "暂无数据"),
]
FILTER = '"plan" =~ /^$plan$/ AND "jurisdiction" =~ /^$jurisdiction$/'


def _var(name: str, label: str, query: str, multi: bool = True) -> dict[str, Any]:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DS,
        "query": query,
        "refresh": 2,
        "includeAll": multi,
        "multi": multi,
        "allValue": ".*",
        "current": {"text": "All", "value": "$__all"} if multi else {},
    }


VARIABLES = [
    _var("plan", "规划 plan", 'SHOW TAG VALUES FROM "assessment" WITH KEY = "plan"'),
    _var(
        "jurisdiction",
        "地区 jurisdiction",
        'SHOW TAG VALUES FROM "assessment" WITH KEY = "jurisdiction"',
    ),
    _var("agency", "牵头单位 agency", 'SHOW TAG VALUES FROM "assessment" WITH KEY = "lead_agency"'),
]


def _target(query: str, ref: str = "A", fmt: str = "table") -> dict[str, Any]:
    return {"refId": ref, "datasource": DS, "query": query, "rawQuery": True, "resultFormat": fmt}


def _panel(
    pid: int,
    kind: str,
    title: str,
    description: str,
    queries: list[str],
    grid: tuple[int, int, int, int],
    fmt: str = "table",
    **extra: Any,
) -> dict[str, Any]:
    x, y, w, h = grid
    panel = {
        "id": pid,
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DS,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "targets": [_target(q, chr(ord("A") + i), fmt) for i, q in enumerate(queries)],
    }
    panel.update(extra)
    return panel


def _status_field() -> dict[str, Any]:
    return {
        "defaults": {
            "mappings": STATUS_MAPPINGS,
            "color": {"mode": "thresholds"},
            "thresholds": {
                "mode": "absolute",
                "steps": [
                    {"color": "purple", "value": None},
                    {"color": "gray", "value": -1},
                    {"color": "red", "value": 0},
                    {"color": "orange", "value": 1},
                    {"color": "yellow", "value": 2},
                    {"color": "green", "value": 3},
                    {"color": "dark-green", "value": 4},
                ],
            },
        },
        "overrides": [],
    }


def _dashboard(
    uid: str,
    title: str,
    description: str,
    panels: list[dict[str, Any]],
    variables: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["planwatch"],
        "timezone": "Asia/Shanghai",
        "schemaVersion": 39,
        "version": 1,
        "editable": False,
        "time": {"from": "now-6y", "to": "now+6y"},
        "refresh": "1m",
        "templating": {"list": variables},
        "panels": panels,
        "annotations": {"list": []},
        "links": [],
    }


def overview() -> dict[str, Any]:
    latest = (
        'SELECT last("status_code") AS "status" FROM "assessment" WHERE '
        + FILTER
        + ' GROUP BY "indicator_id", "jurisdiction"'
    )
    return _dashboard(
        "planwatch-overview",
        "规划指标总览",
        "Every indicator of the plans at a glance.",
        [
            _panel(
                1,
                "stat",
                "各状态指标数",
                "Indicators by status (latest assessment).",
                [
                    f'SELECT count("status") AS "{label}" FROM ('
                    + latest
                    + f') WHERE "status" = {code}'
                    for code, label in STATUS_COUNTS
                ],
                (0, 0, 24, 5),
                fieldConfig=_status_field(),
            ),
            _panel(
                2,
                "table",
                "指标状态一览",
                "Latest status of every indicator; colour per status.",
                [latest],
                (0, 5, 24, 12),
                fieldConfig=_status_field(),
            ),
            _panel(
                3,
                "table",
                "约束性指标落后情况",
                "Binding targets behind their planned path.",
                [
                    'SELECT last("status_code") AS "status", last("gap") AS "gap" '
                    'FROM "tier_assessment"'
                    " WHERE \"tier\" = 'binding' AND "
                    + FILTER
                    + ' GROUP BY "indicator_id", "jurisdiction"'
                ],
                (0, 17, 12, 10),
                fieldConfig=_status_field(),
            ),
            _panel(
                4,
                "table",
                "最新状态变化",
                "Newest status changes.",
                [
                    'SELECT "indicator_id", "from_status", "to_status" FROM "status_change" WHERE '
                    + FILTER
                    + " ORDER BY time DESC LIMIT 20"
                ],
                (12, 17, 12, 10),
            ),
        ],
        VARIABLES[:2],
    )


def indicator() -> dict[str, Any]:
    var = _var(
        "indicator",
        "指标 indicator",
        'SHOW TAG VALUES FROM "observation" WITH KEY = "indicator_id"',
        multi=False,
    )
    where = "\"indicator_id\" = '$indicator'"
    return _dashboard(
        "planwatch-indicator",
        "指标详情",
        "One indicator: observed, planned, targets, projection.",
        [
            _panel(
                1,
                "timeseries",
                "实际值与规划路径",
                "Observed values (line) against the planned value at each assessment and the "
                "targets (binding and expected) as points; the source sentence and lead agency "
                "are in the catalog (planwatch catalog show).",
                [
                    f'SELECT "value" AS "实际值 observed" FROM "observation" WHERE {where}',
                    f'SELECT "planned" AS "规划值 planned", "projected" AS "预测 projected" FROM '
                    f'"assessment" WHERE {where}',
                    f'SELECT "value" AS "目标 target" FROM "target" WHERE {where} GROUP BY "tier"',
                ],
                (0, 0, 24, 12),
                fmt="time_series",
            ),
            _panel(
                2,
                "stat",
                "最新状态",
                "Latest status of the indicator.",
                [f'SELECT last("status_code") FROM "assessment" WHERE {where}'],
                (0, 12, 8, 5),
                fieldConfig=_status_field(),
            ),
            _panel(
                3,
                "stat",
                "进度比",
                "Progress ratio (observed ÷ required growth).",
                [f'SELECT last("progress_ratio") FROM "assessment" WHERE {where}'],
                (8, 12, 8, 5),
            ),
            _panel(
                4,
                "stat",
                "与规划差距",
                "Gap to the planned value (negative: behind).",
                [f'SELECT last("gap") FROM "assessment" WHERE {where}'],
                (16, 12, 8, 5),
            ),
        ],
        [var],
    )


def agency() -> dict[str, Any]:
    where = '"lead_agency" =~ /^$agency$/'
    return _dashboard(
        "planwatch-agency",
        "牵头单位视图",
        "The indicators an agency leads and their status.",
        [
            _panel(
                1,
                "table",
                "牵头指标状态",
                "Indicators led by the agency, latest status.",
                [
                    'SELECT last("status_code") AS "status", last("gap") AS "gap" '
                    'FROM "assessment"'
                    f' WHERE {where} GROUP BY "indicator_id", "jurisdiction"'
                ],
                (0, 0, 24, 12),
                fieldConfig=_status_field(),
            ),
            _panel(
                2,
                "table",
                "未解决的状态变化",
                "Recent changes to a behind status (open alerts are in the alerts API).",
                [
                    f'SELECT "indicator_id", "to_status" FROM "status_change" WHERE {where} AND '
                    '"to_code" <= 2 ORDER BY time DESC LIMIT 50'
                ],
                (0, 12, 24, 10),
            ),
        ],
        [VARIABLES[2]],
    )


def completeness() -> dict[str, Any]:
    return _dashboard(
        "planwatch-completeness",
        "数据报送情况",
        "Figures overdue by reporting jurisdiction.",
        [
            _panel(
                1,
                "table",
                "逾期未报数据",
                "Periods whose figure had not arrived by its due date.",
                [
                    'SELECT "indicator_id", "period", "days_overdue" FROM "overdue" WHERE '
                    '"jurisdiction" =~ /^$jurisdiction$/ ORDER BY time DESC'
                ],
                (0, 0, 24, 12),
            ),
            _panel(
                2,
                "bargauge",
                "各地区逾期数",
                "Overdue figures per jurisdiction.",
                [
                    'SELECT count("days_overdue") FROM "overdue" WHERE "jurisdiction" =~ '
                    '/^$jurisdiction$/ GROUP BY "jurisdiction"'
                ],
                (0, 12, 24, 8),
            ),
        ],
        [VARIABLES[1]],
    )


DASHBOARDS = {
    "overview": overview,
    "indicator": indicator,
    "agency": agency,
    "completeness": completeness,
}


def build_all() -> dict[str, dict[str, Any]]:
    return {name: make() for name, make in DASHBOARDS.items()}


def write_all(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, board in build_all().items():
        path = folder / f"{name}.json"
        path.write_text(json.dumps(board, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written
