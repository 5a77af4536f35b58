"""The evaluator's real points: written through the v2 write API, queried with InfluxQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from planwatch.catalog import default_catalog
from planwatch.domain.events import SubmissionEvent
from planwatch_evaluator.adapters.influx import InfluxSink
from planwatch_evaluator.core import evaluate, new_state
from support.influx import InfluxV1, VictoriaMetrics

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
    return points


FIGURES = [
    ("gsbase-rd-expenditure", "2024", 150.0, 1),
    ("gsbase-rd-expenditure", "2025", 160.0, 1),
    ("gsbase-rd-expenditure", "2025", 181.0, 2),  # a revision
    ("gsbase-high-tech-enterprises", "2024", 2000.0, 1),
    ("gsbase-high-tech-enterprises", "2025", 2100.0, 1),
]


def test_points_reach_a_v2_write_api_server(influx_v2_write: VictoriaMetrics) -> None:
    sink = InfluxSink(influx_v2_write.url, token="unused", org="planwatch", bucket="planwatch")
    try:
        sink.write(evaluator_points(*FIGURES))
    finally:
        sink.close()
    rows = influx_v2_write.export('{__name__="observation_value"}')
    by_indicator = {}
    for row in rows:
        by_indicator.setdefault(row["metric"]["indicator_id"], []).extend(row["values"])
    assert sorted(by_indicator) == ["gsbase-high-tech-enterprises", "gsbase-rd-expenditure"]
    assert 181.0 in by_indicator["gsbase-rd-expenditure"]


def _doc_queries() -> list[str]:
    return re.findall(r"```sql\n(.*?)\n```", DOCS.read_text(encoding="utf-8"), re.S)


@pytest.fixture(scope="module")
def loaded(influxdb_v1: InfluxV1) -> InfluxV1:
    influxdb_v1.create_database("timeseries_doc")
    influxdb_v1.write(
        "timeseries_doc", "\n".join(p.to_line_protocol() for p in evaluator_points(*FIGURES))
    )
    return influxdb_v1


def test_a_revision_overwrites_the_point_of_its_period(loaded: InfluxV1) -> None:
    [series] = loaded.query(
        'SELECT "value", "vintage" FROM "observation" WHERE "indicator_id" = '
        "'gsbase-rd-expenditure'",
        db="timeseries_doc",
    )
    assert [row[1:] for row in series["values"]] == [[150.0, 1], [181.0, 2]]


def test_every_query_of_the_docs_runs_and_returns_what_it_says(loaded: InfluxV1) -> None:
    queries = _doc_queries()
    assert len(queries) == 6
    results = [loaded.query(q, db="timeseries_doc") for q in queries]
    latest = {s["tags"]["indicator_id"]: s["values"][0] for s in results[0]}
    assert latest["gsbase-rd-expenditure"][1:] == [4, 181.0]  # achieved after the revision
    assert [v[1] for v in results[1][0]["values"]] == [150.0, 181.0]
    assert results[2][0]["values"][-1][1] == pytest.approx(180.0)
    targets = {s["tags"]["tier"]: [v[1] for v in s["values"]] for s in results[3]}
    assert targets == {"none": [180.0, 280.0]}
    behind = {s["tags"]["lead_agency"]: s["values"][0][1] for s in results[4]}
    assert behind == {"none": 1}  # high-tech enterprises lag; R&D is achieved
    changes = results[5][0]["values"]
    assert {row[2] for row in changes} >= {"achieved", "limited_progress"}
