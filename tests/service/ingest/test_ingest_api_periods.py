"""Over HTTP: labels that cover the same months are one period, answered and published as one."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from planwatch.domain.events import SubmissionEvent
from planwatch.security import Principal, Role
from planwatch.settings import CommonSettings
from planwatch_ingest.adapters.sqlite_ledger import SqliteLedger
from planwatch_ingest.app import create_app
from planwatch_ingest.outcomes import decide
from planwatch_ingest.rules import rules_for
from planwatch_ingest.settings import Settings
from planwatch_ingest.validation import Validator
from support import fixtures_ingest
from support.ingest import CITY, MemoryPublisher, test_catalog

RD = "tcity-rd-spend"  # annual


def post(ingest: Any, rows: list[dict[str, Any]]) -> Any:
    headers = ingest.auth(ingest.keys.city)
    return ingest.client.post("/v1/submissions", json=rows, headers=headers)


def published(publisher: MemoryPublisher, count: int) -> list[SubmissionEvent]:
    deadline = time.monotonic() + 5
    while len(publisher.events) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return [SubmissionEvent.from_bytes(e) for e in publisher.events]


def test_december_after_the_year_is_its_revision(ingest: Any) -> None:
    first = post(ingest, [{"indicator_id": RD, "period": "2024", "value": 3.0}])
    assert first.status_code == 202, first.text
    [year] = first.json()["results"]
    assert (year["period"], year["period_sent"], year["vintage"]) == ("2024", None, 1)

    second = post(ingest, [{"indicator_id": RD, "period": "2024-12", "value": 3.2}])
    assert second.status_code == 202, second.text
    [december] = second.json()["results"]
    assert december["status"] == "revised" and december["vintage"] == 2
    assert (december["period"], december["period_sent"]) == ("2024", "2024-12")

    events = published(ingest.publisher, 2)
    assert [(e.period, e.vintage) for e in events] == [("2024", 1), ("2024", 2)]


def test_two_labels_of_one_period_in_a_request_are_refused(ingest: Any) -> None:
    rows = [
        {"indicator_id": RD, "period": "2024-06", "value": 1.5},
        {"indicator_id": RD, "period": "2024-Q2", "value": 1.6},
    ]
    response = post(ingest, rows)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["row"], error["reason"]) == (2, "duplicate_row")
    assert "2024-06 and 2024-Q2 are both 2024-Q2" in error["problem"]


def test_the_answer_documents_the_period_as_sent(ingest: Any) -> None:
    schema = ingest.client.get("/openapi.json").json()["components"]["schemas"]["RowResult"]
    assert {"period", "period_sent"} <= set(schema["properties"])
    assert "period_sent" not in schema["required"]


def test_a_ledger_kept_under_two_labels_numbers_on_from_the_highest(tmp_path: Path) -> None:
    """A ledger from before canonical labels holds the year as "2024" and as "2024-12": on
    start ingest reads them as one period."""
    catalog = test_catalog(tmp_path / "catalog")
    validator = Validator(rules_for(catalog))
    key = Principal("k", "白银市统计局", frozenset({CITY}), frozenset({Role.SUBMIT}))
    old = SqliteLedger(tmp_path / "ledger.db")
    for period, value in (("2024", 3.0), ("2024-12", 3.1), ("2024-12", 3.15)):
        row = {"indicator_id": RD, "period": "2024", "value": value}
        (figure,) = validator.check([row], key).figures
        figure = replace(figure, period=period, series=f"{RD}|{CITY}|{period}")

        def decide_now(latest: Any, named: Any, figures: Any = (figure,)) -> Any:
            return decide(
                figures, latest, named, owner=key.owner, received_at="t", catalog_version="v"
            )

        old.record(key.owner, [figure], decide_now, key_id="k")
    old.close()

    keys_url = f"sqlite:///{tmp_path / 'keys.db'}"
    keys = fixtures_ingest.make_keys(keys_url)
    settings = Settings(
        ledger_path=tmp_path / "ledger.db",
        broker_check_s=0.05,
        common=CommonSettings(data_dir=tmp_path, keys_db_url=keys_url),
    )
    app = create_app(settings, catalog=catalog, publisher=MemoryPublisher())
    with fixtures_ingest.test_client_class()(app) as client:
        response = client.post(
            "/v1/submissions",
            json=[{"indicator_id": RD, "period": "2024-Q4", "value": 3.2}],
            headers={"Authorization": f"Bearer {keys.city}"},
        )
    assert response.status_code == 202, response.text
    [result] = response.json()["results"]
    assert (result["status"], result["vintage"], result["period"]) == ("revised", 3, "2024")
