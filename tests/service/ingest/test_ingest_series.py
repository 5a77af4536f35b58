"""One series per statistic: a figure several plans target is reported once, under the series id
(or any of its targets' ids), and every target of it is updated.

Runs the ingest app on the shipped catalog with its publisher fake, then feeds what it published
to the evaluator's core (``evaluate``, the function the evaluator's agent calls per event).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from planwatch.catalog import default_catalog
from planwatch.domain.events import Status, SubmissionEvent
from planwatch_evaluator.core import evaluate, lookup, new_state
from support import fixtures_ingest
from support.fixtures_ingest import IngestHarness, make_keys
from support.ingest import MemoryPublisher

CATALOG = default_catalog()


@pytest.fixture
def shipped(tmp_path: Path) -> Iterator[IngestHarness]:
    from planwatch.settings import CommonSettings
    from planwatch_ingest.app import create_app
    from planwatch_ingest.settings import Settings

    keys_url = f"sqlite:///{tmp_path / 'keys.db'}"
    keys = make_keys(keys_url)
    settings = Settings(
        ledger_path=tmp_path / "ledger.db",
        broker_check_s=0.05,
        common=CommonSettings(data_dir=tmp_path, keys_db_url=keys_url),
    )
    publisher = MemoryPublisher()
    app = create_app(settings, catalog=CATALOG, publisher=publisher)
    with fixtures_ingest.test_client_class()(app) as client:
        yield IngestHarness(client=client, publisher=publisher, keys=keys, tmp=tmp_path)


def _post(h: IngestHarness, rows: Any) -> Any:
    return h.client.post("/v1/submissions", json=rows, headers=h.auth(h.keys.everything))


def _published(h: IngestHarness, count: int) -> list[SubmissionEvent]:
    deadline = time.monotonic() + 5
    while len(h.publisher.events) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return [SubmissionEvent.from_bytes(e) for e in h.publisher.events]


def test_a_shared_statistic_reported_once_updates_every_target(shipped: IngestHarness) -> None:
    # 兰白两区地区生产总值: the Lanbai outline (1800亿元 by 2027, 2022: 1233亿元) and gs4p
    # (力争突破1500亿元 by 2025) target it; the zones report it once a year
    rows = [
        {"indicator_id": "lanbai-gdp", "period": "2024", "value": 1300, "unit": "亿元"},
        {"indicator_id": "lanbai-gdp", "period": "2025", "value": 1400, "unit": "亿元"},
    ]
    response = _post(shipped, rows)
    assert response.status_code == 202, response.text
    results = response.json()["results"]
    assert [(r["status"], r["indicator_id"]) for r in results] == [("accepted", "lanbai-gdp")] * 2
    events = _published(shipped, 4)
    assert sorted(e.indicator_id for e in events) == ["gs4p-lanbai-gdp"] * 2 + ["lanbai-gdp"] * 2
    assert {(e.jurisdiction, e.vintage) for e in events} == {("兰白两区", 1)}
    assert len({e.event_id for e in events}) == 4  # one event per target, each its own id
    # each target's verdict is updated from the one report, with its own plan and lead
    states: dict[str, Any] = {}
    verdicts: dict[str, Any] = {}
    for event in events:
        entry = lookup(CATALOG, event)
        outcome = evaluate(entry, states.get(entry.id) or new_state(), event, CATALOG.version)
        states[entry.id] = outcome.state
        assert outcome.assessment is not None
        verdicts[entry.id] = outcome.assessment.assessment
        if outcome.change is not None:
            assert outcome.change.lead_agencies == entry.lead_agencies
            assert outcome.change.plan_code == entry.plan_code
    assert {i: v["latest_value"] for i, v in verdicts.items()} == {
        "gs4p-lanbai-gdp": 1400.0,
        "lanbai-gdp": 1400.0,
    }
    assert all(v["status"] != Status.NO_DATA.value for v in verdicts.values()), verdicts
    # each judged against its own plan's target: 1500 by 2025 (gs4p), 1800 by 2027 (lanbai)
    assert verdicts["gs4p-lanbai-gdp"]["target_value"] == 1500
    assert verdicts["lanbai-gdp"]["target_value"] == 1800


def test_a_figure_sent_under_a_targets_id_is_the_statistics(shipped: IngestHarness) -> None:
    # technology-contract turnover of Gansu (gsbase 525亿元, gs4p): sent under gsbase's id …
    first = _post(
        shipped,
        [{"indicator_id": "gsbase-tech-contract-turnover", "period": "2025", "value": 500}],
    )
    assert first.status_code == 202, first.text
    assert first.json()["results"][0]["indicator_id"] == "gansu-tech-contract-turnover"
    events = _published(shipped, 2)
    assert {e.indicator_id for e in events} == {
        "gsbase-tech-contract-turnover",
        "gs4p-tech-contract-turnover",
    }
    # … the same figure sent again under the series id is a duplicate, not a second report
    again = _post(
        shipped,
        [{"indicator_id": "gansu-tech-contract-turnover", "period": "2025", "value": 500}],
    )
    assert again.json()["results"][0]["status"] == "duplicate"
    # and in one batch, the two ids of one statistic are one row twice
    both = _post(
        shipped,
        [
            {"indicator_id": "gs4p-tech-contract-turnover", "period": "2024", "value": 400},
            {"indicator_id": "gansu-tech-contract-turnover", "period": "2024", "value": 400},
        ],
    )
    assert both.status_code == 422
    assert both.json()["errors"][0]["reason"] == "duplicate_row"


def test_the_template_lists_a_shared_statistic_once(shipped: IngestHarness) -> None:
    from planwatch_ingest.templates import template_rows

    rows = template_rows(CATALOG, "甘肃省", 2025)
    ids = [r.indicator_id for r in rows]
    assert ids.count("gansu-tech-contract-turnover") == 1
    assert "gsbase-tech-contract-turnover" not in ids and "gs4p-tech-contract-turnover" not in ids
    [row] = [r for r in rows if r.indicator_id == "gansu-tech-contract-turnover"]
    assert "gsbase" in row.target and "gs4p" in row.target and "525" in row.target
    lanbai = template_rows(CATALOG, "蘭白兩區", 2025)
    [gdp] = [r for r in lanbai if r.indicator_id == "lanbai-gdp"]
    assert gdp.unit == "亿元" and gdp.indicator == "地区生产总值"  # shown in Simplified
