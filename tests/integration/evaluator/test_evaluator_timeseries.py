"""The evaluator's real points: written through the v2 write API, queried with InfluxQL."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from planwatch.catalog import default_catalog
from planwatch.domain.events import SubmissionEvent
from planwatch_evaluator.adapters.influx import InfluxSink
from planwatch_evaluator.core import evaluate, new_state, overdue_change
from support.influx import InfluxDatabase, V2WriteServer

pytestmark = pytest.mark.integration
CATALOG = default_catalog()
DOCS = Path(__file__).resolve().parents[3] / "docs" / "timeseries.md"


def evaluator_points(*figures: tuple[str, str, float, int]):
    """Points exactly as the evaluator makes them, for a sequence of submissions."""
    states: dict[str, dict] = {}
    points = []
    for indicator_id, period, value, vintage in figures:
        entry = CATALOG.get(indicator_id)
        event = SubmissionEvent(
            catalog_version=CATALOG.version,
            submission_id=f"{indicator_id}-{period}-{vintage}",
            indicator_id=indicator_id,
            jurisdiction=entry.jurisdiction,
            period=period,
            value=value,
            unit=entry.unit,
            vintage=vintage,
            submitted_by="test",
            received_at=datetime(2026, 4, 1, tzinfo=UTC),
        )
        outcome = evaluate(entry, states.get(indicator_id, new_state()), event, CATALOG.version)
        states[indicator_id] = outcome.state
        points += outcome.points
    # the timer's output too: the high-tech figure for 2026 is owed and missing by 2027-06
    entry = CATALOG.get("gsbase-high-tech-enterprises")
    _, change, point = overdue_change(entry, states[entry.id], date(2027, 6, 1), CATALOG.version)
    assert change is not None and point is not None
    points.append(point)
    return points


FIGURES = [
    ("gsbase-rd-expenditure", "2024", 150.0, 1),
    ("gsbase-rd-expenditure", "2025", 160.0, 1),
    ("gsbase-rd-expenditure", "2025", 181.0, 2),  # a revision
    ("gsbase-high-tech-enterprises", "2024", 2000.0, 1),
    ("gsbase-high-tech-enterprises", "2025", 2100.0, 1),
]


def test_points_reach_a_v2_write_api_server(influx_v2_write: V2WriteServer) -> None:
    server = influx_v2_write
    sink = InfluxSink(server.url, server.token, server.org, server.bucket)
    try:
        sink.write(evaluator_points(*FIGURES))
    finally:
        sink.close()
    rd = server.samples("observation", "value", indicator_id="gsbase-rd-expenditure")
    by_time: dict[int, set[float]] = {}
    for t, v in rd:
        by_time.setdefault(t, set()).add(v)
    # InfluxDB 2 keeps the revision only; VictoriaMetrics keeps both writes of 2025
    assert by_time[1735603200000] == {150.0}  # 2024-12-31
    assert 181.0 in by_time[1767139200000] <= {160.0, 181.0}  # 2025-12-31
    assert len(by_time) == 2
    status = server.samples("assessment", "status_code", jurisdiction="甘肃省")
    assert status and all(-3 <= v <= 4 for _, v in status)


def _doc_queries() -> list[str]:
    return re.findall(r"```sql\n(.*?)\n```", DOCS.read_text(encoding="utf-8"), re.S)


@pytest.fixture
def loaded(influxdb_v1_db: InfluxDatabase) -> InfluxDatabase:
    influxdb_v1_db.write("\n".join(p.to_line_protocol() for p in evaluator_points(*FIGURES)))
    return influxdb_v1_db


def test_a_revision_overwrites_the_point_of_its_period(loaded: InfluxDatabase) -> None:
    [series] = loaded.query(
        'SELECT "value", "vintage" FROM "observation" WHERE "indicator_id" = '
        "'gsbase-rd-expenditure'"
    )
    assert [row[1:] for row in series["values"]] == [[150.0, 1], [181.0, 2]]


def test_every_query_of_the_docs_runs_and_returns_what_it_says(loaded: InfluxDatabase) -> None:
    queries = _doc_queries()
    assert len(queries) == 7
    results = [loaded.query(q) for q in queries]
    latest = {s["tags"]["indicator_id"]: s["values"][0] for s in results[0]}
    # 2025 achieved for good after the revision; the headline is the 2030 path: on track
    assert latest["gsbase-rd-expenditure"][1:] == [3, 181.0]
    assert [v[1] for v in results[1][0]["values"]] == [150.0, 181.0]
    assert results[2][0]["values"][-1][1] == pytest.approx(150 + 130 / 6)
    targets = {s["tags"]["tier"]: [v[1] for v in s["values"]] for s in results[3]}
    assert targets == {"none": [180.0, 280.0]}
    behind = {s["tags"]["lead_agency"]: s["values"][0][1] for s in results[4]}
    # high-tech enterprises lag (R&D is on track); led by 省科技厅, the plan's organiser
    assert behind == {"省科技厅": 1}
    changes = results[5][0]["values"]  # time, reason, from_status, to_status, target_year
    headline = {row[3] for row in changes if row[1] == "assessment"}
    assert headline >= {"on_track", "limited_progress"}
    [overdue] = results[6]
    assert overdue["tags"]["indicator_id"] == "gsbase-high-tech-enterprises"
    # a count the department keeps: due 30 January 2027, 122 days late by 2027-06-01
    assert overdue["values"][0][1:] == ["2026", 122]
