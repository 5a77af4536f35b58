"""The four leadership dashboards, built as Grafana's dashboard JSON (see ``panels``), and
the operators' service-health board (``health``, on Prometheus).

Each panel queries InfluxDB with InfluxQL (``rawQuery``), so the same dashboards work on
InfluxDB 1.8, 2 (DBRP mapping) and 3. Measurement, tag and field names are those of
docs/timeseries.md. Every board has the variables ``plan``, ``jurisdiction`` and ``agency``
(the indicator board also ``indicator``), each narrowed by the ones before it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from planwatch.dashboards.health import service_health
from planwatch.dashboards.panels import (
    DATASOURCE_UID,
    STATUS_CODES,
    Json,
    dashboard,
    panel,
    status_field,
    variable,
)
from planwatch.domain.status import STATUS_INFO, Status

__all__ = ["DASHBOARDS", "DATASOURCE_UID", "VARIABLE_NAMES", "build_all", "write_all"]

PLAN = '"plan" =~ /^$plan$/'
JURISDICTION = '"jurisdiction" =~ /^$jurisdiction$/'
AGENCY = '"lead_agency" =~ /^$agency$/'
SCOPE = f"{PLAN} AND {JURISDICTION} AND {AGENCY}"
ONE = "\"indicator_id\" = '$indicator'"
BY_INDICATOR = 'GROUP BY "indicator_id", "jurisdiction"'
# behind plan: a progress band up to "needs acceleration", or a target year missed for good
MISSED = STATUS_INFO[Status.NOT_ACHIEVED].code
BEHIND = f'("status" >= 0 AND "status" <= 2 OR "status" = {MISSED})'


def _tag_values(key: str, where: str | None) -> str:
    query = f'SHOW TAG VALUES FROM "assessment" WITH KEY = "{key}"'
    return f"{query} WHERE {where}" if where else query


def _variables(with_indicator: bool = False) -> list[Json]:
    found = [
        variable("plan", "规划 plan", _tag_values("plan", None)),
        variable("jurisdiction", "地区 jurisdiction", _tag_values("jurisdiction", PLAN)),
        variable(
            "agency", "牵头单位 agency", _tag_values("lead_agency", f"{PLAN} AND {JURISDICTION}")
        ),
    ]
    if with_indicator:
        found.append(
            variable("indicator", "指标 indicator", _tag_values("indicator_id", SCOPE), multi=False)
        )
        # the lead agency of the chosen indicator, for the panel descriptions
        found.append(
            variable("lead", "牵头单位", _tag_values("lead_agency", ONE), multi=False, hide=2)
        )
    return found


VARIABLE_NAMES = ("plan", "jurisdiction", "agency")
# the newest point whole (last() per field would mix points where the newest leaves one out)
LATEST_STATUS = (
    'SELECT "status_code" AS "status", "observed", "gap" FROM "assessment" WHERE '
    f'{SCOPE} GROUP BY "indicator_id", "jurisdiction", "lead_agency" ORDER BY time DESC LIMIT 1'
)
# the same with one field, for counting (a subquery must run in the outer query's time order)
LATEST_CODE = (
    f'SELECT last("status_code") AS "status" FROM "assessment" WHERE {SCOPE} '
    'GROUP BY "indicator_id", "jurisdiction", "lead_agency"'
)


def overview() -> Json:
    counts = [
        f'SELECT count("status") AS "{zh}" FROM ({LATEST_CODE}) WHERE "status" = {code}'
        for code, (zh, _, _) in STATUS_CODES.items()
        if code != STATUS_INFO[Status.OVERDUE].code  # overdue is a status change, not a verdict
    ]
    return dashboard(
        "planwatch-overview",
        "规划指标总览",
        "Every indicator of the plans at a glance: its latest status in its colour, counts by "
        "status, binding targets behind plan, and the newest status changes.",
        [
            panel(
                1,
                "stat",
                "各状态指标数",
                "Number of indicators in each status (latest assessment of each indicator).",
                counts,
                (0, 0, 24, 5),
                fieldConfig=status_field(),
                options={"colorMode": "background", "textMode": "value_and_name"},
            ),
            panel(
                2,
                "table",
                "指标状态一览",
                "Latest status of every indicator, one colour per status; observed value and "
                "gap to the planned path (negative: behind).",
                [LATEST_STATUS],
                (0, 5, 24, 12),
                fieldConfig=status_field(),
            ),
            panel(
                3,
                "table",
                "约束性指标落后情况",
                "Binding targets whose latest assessment is behind the planned path.",
                [
                    'SELECT "status", "gap" FROM (SELECT last("status_code") AS "status", '
                    'last("gap") AS "gap" FROM "tier_assessment" WHERE "tier" = \'binding\' AND '
                    f'{SCOPE} {BY_INDICATOR}) WHERE "status" <= 2 {BY_INDICATOR}'
                ],
                (0, 17, 12, 10),
                fieldConfig=status_field(),
            ),
            panel(
                4,
                "table",
                "最新状态变化",
                "The newest status changes, latest first; a target year's final verdict names "
                "its year (target_year).",
                [
                    'SELECT "indicator_id", "jurisdiction", "from_status", "to_status", '
                    f'"target_year" FROM "status_change" WHERE {SCOPE} ORDER BY time DESC LIMIT 20'
                ],
                (12, 17, 12, 10),
            ),
        ],
        _variables(),
    )


def indicator() -> Json:
    return dashboard(
        "planwatch-indicator",
        "指标详情",
        "One indicator: observed values against the planned path, the targets by tier and the "
        "projection to the target year.",
        [
            panel(
                1,
                "timeseries",
                "实际值与规划路径",
                "Indicator $indicator (lead agency: $lead). Observed values (line), the planned "
                "value at each assessment (dashed) and the targets by tier (binding, expected) "
                "as points at their years. The plan's own words for the target are in the source "
                "panel below.",
                [
                    f'SELECT "value" AS "实际值 observed" FROM "observation" WHERE {ONE}',
                    f'SELECT "planned" AS "规划值 planned" FROM "assessment" WHERE {ONE}',
                    f'SELECT "value" AS "目标 target" FROM "target" WHERE {ONE} GROUP BY "tier"',
                ],
                (0, 0, 24, 12),
                fmt="time_series",
                fieldConfig={
                    "defaults": {"custom": {"spanNulls": True, "pointSize": 8}},
                    "overrides": [
                        {
                            "matcher": {"id": "byFrameRefID", "options": "C"},
                            "properties": [
                                {"id": "custom.drawStyle", "value": "points"},
                                {"id": "custom.pointSize", "value": 14},
                                {"id": "color", "value": {"mode": "fixed", "fixedColor": "red"}},
                            ],
                        },
                        {
                            "matcher": {"id": "byFrameRefID", "options": "B"},
                            "properties": [
                                {"id": "custom.lineStyle", "value": {"fill": "dash"}},
                            ],
                        },
                    ],
                },
            ),
            panel(
                2,
                "stat",
                "最新状态",
                "Latest status of $indicator (lead agency: $lead).",
                [f'SELECT last("status_code") FROM "assessment" WHERE {ONE}'],
                (0, 12, 6, 5),
                fieldConfig=status_field(),
                options={"colorMode": "background"},
            ),
            panel(
                3,
                "stat",
                "进度比",
                "Progress ratio: actual progress over the progress the planned path required "
                "(1 = on the path).",
                [f'SELECT last("progress_ratio") FROM "assessment" WHERE {ONE}'],
                (6, 12, 6, 5),
            ),
            panel(
                4,
                "stat",
                "与规划差距",
                "Gap to the planned value in the indicator's unit (negative: behind).",
                [f'SELECT last("gap") FROM "assessment" WHERE {ONE}'],
                (12, 12, 6, 5),
            ),
            panel(
                5,
                "table",
                "目标年趋势预测",
                "Where the recent trend leads by the target year, against the target.",
                [
                    'SELECT "projected" AS "预测 projected", "target" AS "目标 target", '
                    f'"target_year" AS "目标年 year" FROM "assessment" WHERE {ONE} '
                    "ORDER BY time DESC LIMIT 1"
                ],
                (18, 12, 6, 5),
            ),
            panel(
                6,
                "table",
                "规划原文",
                "The indicator as the plan names it, and the plan's sentence (or table row) that "
                "sets its targets, as the catalog quotes it from the published plan.",
                [
                    'SELECT last("indicator") AS "指标 indicator", '
                    'last("source") AS "规划原文 source" '
                    f'FROM "target" WHERE {ONE}'
                ],
                (0, 17, 24, 4),
                options={"showHeader": True, "cellHeight": "lg"},
                fieldConfig={
                    "defaults": {"custom": {"cellOptions": {"type": "auto", "wrapText": True}}},
                    "overrides": [
                        {
                            "matcher": {"id": "byName", "options": "Time"},
                            "properties": [{"id": "custom.hidden", "value": True}],
                        }
                    ],
                },
            ),
        ],
        _variables(with_indicator=True),
    )


def agency() -> Json:
    return dashboard(
        "planwatch-agency",
        "牵头单位视图",
        "The indicators each lead agency is responsible for, their status, and the recent "
        "changes to a status behind plan (the open alerts themselves are in the alerts API).",
        [
            panel(
                1,
                "bargauge",
                "各单位落后指标数",
                "Indicators behind plan (status needs acceleration or worse) per lead agency.",
                [
                    f'SELECT count("status") AS "落后 behind" FROM ({LATEST_CODE}) '
                    f'WHERE {BEHIND} GROUP BY "lead_agency"'
                ],
                (0, 0, 24, 7),
                options={"orientation": "horizontal", "displayMode": "basic"},
            ),
            panel(
                2,
                "table",
                "牵头指标状态",
                "Indicators led by the chosen agencies, latest status and gap.",
                [LATEST_STATUS],
                (0, 7, 24, 12),
                fieldConfig=status_field(),
            ),
            panel(
                3,
                "table",
                "转为落后的状态变化",
                "Recent changes to a status behind plan: what the agency's open alerts are about.",
                [
                    'SELECT "indicator_id", "jurisdiction", "to_status", "target_year" FROM '
                    f'"status_change" WHERE {SCOPE} AND "to_code" <= 2 ORDER BY time DESC LIMIT 50'
                ],
                (0, 19, 24, 10),
            ),
        ],
        _variables(),
    )


def completeness() -> Json:
    return dashboard(
        "planwatch-completeness",
        "数据报送情况",
        "Figures owed by the reporting jurisdictions that had not arrived by their due date, "
        "and the latest figure received for every indicator.",
        [
            panel(
                1,
                "bargauge",
                "各地区逾期数",
                "Overdue figures per reporting jurisdiction (as flagged at the due-date check).",
                [
                    'SELECT count("days_overdue") AS "逾期 overdue" FROM "overdue" WHERE '
                    f'{SCOPE} GROUP BY "jurisdiction"'
                ],
                (0, 0, 24, 7),
                options={"orientation": "horizontal", "displayMode": "basic"},
            ),
            panel(
                2,
                "table",
                "逾期未报数据",
                "Each figure flagged overdue: the missing period and the days overdue at the "
                "check. Compare with the latest period received, below.",
                [
                    'SELECT last("period") AS "period", last("days_overdue") AS "days_overdue" '
                    f'FROM "overdue" WHERE {SCOPE} {BY_INDICATOR}'
                ],
                (0, 7, 24, 10),
            ),
            panel(
                3,
                "table",
                "最新报送",
                "The latest figure received for each indicator (time = end of its period).",
                [
                    f'SELECT last("value") AS "value" FROM "observation" WHERE {SCOPE} '
                    f"{BY_INDICATOR}"
                ],
                (0, 17, 24, 10),
            ),
        ],
        _variables(),
    )


DASHBOARDS: dict[str, Callable[[], Json]] = {
    "overview": overview,
    "indicator": indicator,
    "agency": agency,
    "completeness": completeness,
    "service-health": service_health,
}


def build_all() -> dict[str, Json]:
    return {name: make() for name, make in DASHBOARDS.items()}


def write_all(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, board in build_all().items():
        path = folder / f"{name}.json"
        path.write_text(json.dumps(board, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        written.append(path)
    return written
