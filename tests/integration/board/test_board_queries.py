"""Every panel query runs against a real InfluxDB engine loaded with the evaluator's output."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from planwatch.boards.grafana import build_all
from planwatch.catalog import default_catalog
from planwatch.domain.events import SubmissionEvent
from planwatch.domain.model import Frequency
from planwatch_evaluator.core import evaluate, new_state, overdue_change
from support.influx import InfluxV1

pytestmark = pytest.mark.integration
CATALOG = default_catalog()
DB = "boards"
DUE = {Frequency.ANNUAL: 90, Frequency.QUARTERLY: 45, Frequency.MONTHLY: 20}
FIGURES = [  # (id, period, value): one achieved, one lagging, one overdue
    ("gsbase-rd-expenditure", "2024", 150.0),
    ("gsbase-rd-expenditure", "2025", 181.0),
    ("baiyin-tech-progress-contribution", "2022", 54.5),
    ("baiyin-tech-progress-contribution", "2023", 55.0),
    ("gs4p-tech-contract-turnover", "2023", 300.0),
]


def evaluator_output() -> list[str]:
    states: dict[str, dict] = {}
    lines = []
    for indicator_id, period, value in FIGURES:
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
            received_at=datetime(2026, 4, 1, tzinfo=UTC),
        )
        out = evaluate(entry, states.get(indicator_id, new_state()), event, CATALOG.version)
        states[indicator_id] = out.state
        lines += [p.to_line_protocol() for p in out.points]
    entry = CATALOG.get("gs4p-tech-contract-turnover")
    _, change, point = overdue_change(entry, states[entry.id], date(2026, 11, 24), DUE, "v")
    assert change is not None and point is not None
    lines.append(point.to_line_protocol())
    return lines


def substitute(query: str) -> str:
    query = re.sub(r"/\^\$\w+\$/", "/.*/", query)
    return query.replace("$indicator", "gsbase-rd-expenditure")


@pytest.fixture(scope="module")
def influx(influxdb_v1: InfluxV1) -> InfluxV1:
    influxdb_v1.create_database(DB)
    influxdb_v1.write(DB, "\n".join(evaluator_output()))
    return influxdb_v1


def run(influx: InfluxV1, board: str, panel: int, target: int = 0) -> list[dict]:
    query = build_all()[board]["panels"][panel - 1]["targets"][target]["query"]
    return influx.query(substitute(query), db=DB)


def test_every_panel_query_and_variable_query_runs(influx: InfluxV1) -> None:
    for name, board in build_all().items():
        for variable in board["templating"]["list"]:
            assert influx.query(variable["query"], db=DB), f"{name}: {variable['name']}"
        for panel in board["panels"]:
            # a panel answers when any of its queries does (a status with no indicator is empty)
            answered = [influx.query(substitute(t["query"]), db=DB) for t in panel["targets"]]
            assert any(answered), f"{name}/{panel['title']}: no series"


def test_overview_shows_each_indicator_with_its_status(influx: InfluxV1) -> None:
    series = run(influx, "overview", 2)
    status = {s["tags"]["indicator_id"]: s["values"][0][1] for s in series}
    assert status["gsbase-rd-expenditure"] == 4  # achieved
    assert status["baiyin-tech-progress-contribution"] <= 2  # behind
    achieved = run(influx, "overview", 1, 0)  # target A counts 已达标
    assert achieved[0]["values"][0][1] == 1
    binding = {s["tags"]["indicator_id"] for s in run(influx, "overview", 3)}
    assert "baiyin-tech-progress-contribution" in binding


def test_indicator_board_plots_observed_planned_and_targets(influx: InfluxV1) -> None:
    observed = run(influx, "indicator", 1, 0)[0]["values"]
    assert [v[1] for v in observed] == [150.0, 181.0]
    targets = {v[1] for s in run(influx, "indicator", 1, 2) for v in s["values"]}
    assert targets == {180.0, 280.0}


def test_completeness_board_lists_the_overdue_figure(influx: InfluxV1) -> None:
    [series] = run(influx, "completeness", 1)
    assert series["values"][0][1:3] == ["gs4p-tech-contract-turnover", "2025"]
