"""Every panel and variable query of the dashboards, on a real InfluxDB 1.6 engine loaded with
the evaluator's own points (its ``evaluate``/``overdue_change`` point builders, as its sinks
write them), with the template variables substituted the way Grafana does."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from planwatch.catalog import default_catalog
from planwatch.dashboards.grafana import build_all
from planwatch.domain.events import SubmissionEvent
from planwatch_board.adapters.influxql import InfluxQLReader
from planwatch_evaluator.core import evaluate, new_state, overdue_change
from support.influx import InfluxV1

pytestmark = pytest.mark.integration
CATALOG = default_catalog()
DB = "boards"
# the leadership boards query InfluxDB (InfluxQL); service health queries Prometheus (PromQL),
# checked against the services' metrics in tests/unit/board
BOARDS = {name: board for name, board in build_all().items() if name != "service-health"}
FIGURES = [  # (id, period, value)
    # 省科技厅 leads; 1,800 due by 2025: 1,500 is a final miss (not_achieved, code -3)
    ("gsbase-provincial-innovative-enterprises", "2025", 1500.0),
    # no baseline: 2024 is the base; 2025 achieved for good, the headline is 2030 (on track)
    ("gsbase-rd-expenditure", "2024", 150.0),
    ("gsbase-rd-expenditure", "2025", 181.0),
    ("baiyin-tech-progress-contribution", "2022", 54.5),  # binding 58 by 2025: behind
    ("baiyin-tech-progress-contribution", "2023", 55.0),
    ("baiyin-tech-contract-turnover", "2022", 7.5),  # 市科技局 leads; binding 10 by 2025: behind
    ("baiyin-tech-contract-turnover", "2023", 7.6),
    ("gs4p-tech-contract-turnover", "2023", 300.0),  # 省科技厅 leads; 2024 and 2025 missing
]
ALL = {"plan": ".*", "jurisdiction": ".*", "agency": ".*"}


def evaluator_output() -> list[str]:
    states: dict[str, dict] = {}
    lines = []
    for i, (indicator_id, period, value) in enumerate(FIGURES):
        entry = CATALOG.get(indicator_id)
        event = SubmissionEvent(
            catalog_version=CATALOG.version,
            submission_id=f"{indicator_id}-{period}",
            indicator_id=indicator_id,
            jurisdiction=entry.jurisdiction,
            period=period,
            value=value,
            unit=entry.unit,
            submitted_by="t",
            # read while 2025 is still open for the Baiyin targets (its figure is due 2026-03-31)
            received_at=datetime(2025, 12, 1, 8, i, tzinfo=UTC),
        )
        out = evaluate(entry, states.get(indicator_id, new_state()), event, CATALOG.version)
        states[indicator_id] = out.state
        lines += [p.to_line_protocol() for p in out.points]
    entry = CATALOG.get("gs4p-tech-contract-turnover")
    _, change, point = overdue_change(entry, states[entry.id], date(2026, 11, 24), "v")
    assert change is not None and point is not None
    lines.append(point.to_line_protocol())
    return lines


def grafana(query: str, values: dict[str, str]) -> str:
    """Interpolate as Grafana does: a regex context gets a regex, a quoted one the raw value."""
    for name, value in values.items():
        regex = value if value == ".*" else "(" + re.escape(value) + ")"
        query = query.replace(f"/^${name}$/", f"/^{regex}$/").replace(f"${name}", value)
    assert not re.search(r"\$\w", query), query
    return query


@pytest.fixture(scope="module")
def influx(influxdb_v1: InfluxV1) -> InfluxV1:
    influxdb_v1.create_database(DB)
    influxdb_v1.write(DB, "\n".join(evaluator_output()))
    return influxdb_v1


def run(influx: InfluxV1, board: str, panel: int, ref: int = 0, **values: str) -> list[dict]:
    query = BOARDS[board]["panels"][panel - 1]["targets"][ref]["query"]
    scope = {**ALL, "indicator": "gsbase-rd-expenditure", **values}
    return influx.query(grafana(query, scope), db=DB)


def rows(series: list[dict]) -> list[dict]:
    """Each row as {column: value, **tags}."""
    return [
        {**s.get("tags", {}), **dict(zip(s["columns"], v, strict=True))}
        for s in series
        for v in s["values"]
    ]


def variable(influx: InfluxV1, board: str, name: str, **values: str) -> set[str]:
    [query] = [v["query"] for v in BOARDS[board]["templating"]["list"] if v["name"] == name]
    return {r["value"] for r in rows(influx.query(grafana(query, {**ALL, **values}), db=DB))}


def test_every_panel_and_variable_query_answers(influx: InfluxV1) -> None:
    values = {**ALL, "indicator": "gsbase-rd-expenditure"}
    for name, board in BOARDS.items():
        for var in board["templating"]["list"]:
            assert influx.query(grafana(var["query"], values), db=DB), f"{name}: {var['name']}"
        for panel in board["panels"]:
            # a panel answers when any of its queries does (a status nobody has is empty)
            answered = [influx.query(grafana(t["query"], values), db=DB) for t in panel["targets"]]
            assert any(answered), f"{name}/{panel['title']}: no series"


def test_variables_narrow_each_other(influx: InfluxV1) -> None:
    assert variable(influx, "overview", "plan") == {"gsbase", "baiyin", "gs4p"}
    assert variable(influx, "overview", "jurisdiction", plan="baiyin") == {"白银市"}
    assert variable(influx, "overview", "agency", plan="gs4p") == {"省科技厅"}
    ids = variable(influx, "indicator", "indicator", plan="baiyin", agency="市科技局")
    # 科技进步贡献率 (a row of the targets table) is led by 市科技局, which organises the plan
    assert ids == {"baiyin-tech-contract-turnover", "baiyin-tech-progress-contribution"}
    lead = variable(influx, "indicator", "lead", indicator="gs4p-tech-contract-turnover")
    assert lead == {"省科技厅"}


def test_overview_status_table_and_counts(influx: InfluxV1) -> None:
    status = {r["indicator_id"]: r["status"] for r in rows(run(influx, "overview", 2))}
    assert status["gsbase-rd-expenditure"] == 3  # on track for 2030
    assert status["baiyin-tech-progress-contribution"] <= 2  # behind
    assert status["baiyin-tech-contract-turnover"] <= 2
    assert status["gs4p-tech-contract-turnover"] == -1  # one figure: no verdict yet
    assert status["gsbase-provincial-innovative-enterprises"] == -3  # not achieved
    counts = {}
    for ref, target in enumerate(BOARDS["overview"]["panels"][0]["targets"]):
        [name] = re.findall(r'AS "([^"]+)" FROM \(', target["query"])
        counts[name] = sum(row[name] for row in rows(run(influx, "overview", 1, ref)))
    assert counts["进度正常"] == 1 and counts["暂无数据"] == 1 and counts["未达标"] == 1
    assert sum(counts.values()) == 5
    only_baiyin = rows(run(influx, "overview", 2, plan="baiyin"))
    assert {r["indicator_id"] for r in only_baiyin} == {
        "baiyin-tech-progress-contribution",
        "baiyin-tech-contract-turnover",
    }


def test_overview_binding_behind_and_status_changes(influx: InfluxV1) -> None:
    behind = {r["indicator_id"]: r for r in rows(run(influx, "overview", 3))}
    assert set(behind) == {"baiyin-tech-progress-contribution", "baiyin-tech-contract-turnover"}
    assert all(r["gap"] < 0 for r in behind.values())
    changes = rows(run(influx, "overview", 4))
    assert changes[0]["indicator_id"] == "baiyin-tech-contract-turnover"  # newest first
    assert {c["to_status"] for c in changes} >= {"on_track"}


def test_indicator_board_plots_observed_planned_targets_and_projection(influx: InfluxV1) -> None:
    observed = rows(run(influx, "indicator", 1, 0))
    assert [r["实际值 observed"] for r in observed] == [150.0, 181.0]
    planned = rows(run(influx, "indicator", 1, 1))
    assert [r["规划值 planned"] for r in planned] == [pytest.approx(150 + 130 / 6)]  # 2030 path
    every_target = {r["目标 target"] for r in rows(run(influx, "indicator", 1, 2))}
    assert every_target == {180.0, 280.0}
    tiers = rows(run(influx, "indicator", 1, 2, indicator="baiyin-tech-contract-turnover"))
    assert {(r["tier"], r["目标 target"]) for r in tiers} == {("binding", 10.0), ("expected", 13.0)}
    [status] = rows(run(influx, "indicator", 2))
    assert status["last"] == 3
    [projection] = rows(run(influx, "indicator", 5, indicator="baiyin-tech-contract-turnover"))
    assert projection["目标年 year"] == 2025 and projection["预测 projected"] < 10.0
    [source] = rows(run(influx, "indicator", 6, indicator="baiyin-tech-contract-turnover"))
    assert source["指标 indicator"] == "技术合同成交额"
    assert source["规划原文 source"] == "12 ｜ 技术合同成交额 ｜ 亿元 ｜ 7.36 ｜ 10 ｜ 13"
    [sentence] = rows(run(influx, "indicator", 6))
    assert "180亿元" in sentence["规划原文 source"]


def test_agency_board_counts_behind_per_agency_and_filters(influx: InfluxV1) -> None:
    behind = {r["lead_agency"]: r["落后 behind"] for r in rows(run(influx, "agency", 1))}
    # every entry has a lead: 科技进步贡献率 is led by 市科技局, the organiser of 001
    assert behind == {"市科技局": 2, "省科技厅": 1}  # a final miss is behind too
    led = rows(run(influx, "agency", 2, agency="省科技厅"))
    # gsbase's goals are led by 省科技厅 too (科技部门主抓, the plan's organiser)
    assert {r["indicator_id"] for r in led} == {
        "gs4p-tech-contract-turnover",
        "gsbase-provincial-innovative-enterprises",
        "gsbase-rd-expenditure",
    }
    changes = rows(run(influx, "agency", 3, agency="市科技局"))
    assert [c["indicator_id"] for c in changes] == [
        "baiyin-tech-contract-turnover",
        "baiyin-tech-progress-contribution",
    ]


def test_completeness_board_lists_the_overdue_figure(influx: InfluxV1) -> None:
    per_jurisdiction = {
        r["jurisdiction"]: r["逾期 overdue"] for r in rows(run(influx, "completeness", 1))
    }
    assert per_jurisdiction == {"甘肃省": 1}
    [overdue] = rows(run(influx, "completeness", 2))
    assert overdue["indicator_id"] == "gs4p-tech-contract-turnover" and overdue["period"] == "2025"
    latest = {r["indicator_id"]: r["value"] for r in rows(run(influx, "completeness", 3))}
    assert latest["gs4p-tech-contract-turnover"] == 300.0 and len(latest) == 5


def test_the_board_reads_the_same_points_through_influxql(influx: InfluxV1) -> None:
    reader = InfluxQLReader(influx.url, DB)
    try:
        latest = reader.latest("assessment")
        assert latest["gsbase-rd-expenditure"]["status"] == "on_track"
        assert latest["gsbase-rd-expenditure"]["observed"] == 181.0
        assert latest["gsbase-rd-expenditure"]["time"] == datetime(2025, 12, 31, tzinfo=UTC)
        assert reader.latest("overdue")["gs4p-tech-contract-turnover"]["period"] == "2025"
        observed = reader.observations("baiyin-tech-contract-turnover")
        assert observed == [
            (datetime(2022, 12, 31, tzinfo=UTC), 7.5),
            (datetime(2023, 12, 31, tzinfo=UTC), 7.6),
        ]
        assert reader.observations("it's-not-there") == []
    finally:
        reader.close()
