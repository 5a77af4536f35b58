"""What every ingest ledger must do for the bureau portal: a preview keeps nothing, and the
history gives back each owner's figures, every vintage, in ledger order.

Run against the SQLite and in-memory ledgers (tests/service/ingest/test_ingest_ledger_reads.py)
and PostgreSQL (tests/integration/ingest/test_ingest_postgres.py).
"""

from __future__ import annotations

from typing import Any

import orjson

from planwatch.security import Principal, Role
from planwatch_ingest.outcomes import Decision, decide
from planwatch_ingest.ports import LedgerStore
from planwatch_ingest.validation import Validator
from support.ingest import CITY

CITY_KEY = Principal("k1", "白银市统计局", frozenset({CITY}), frozenset({Role.SUBMIT}))
OTHER_KEY = Principal("k2", "白银市科技局", frozenset({CITY}), frozenset({Role.SUBMIT}))


def _figures(validator: Validator, key: Principal, rows: list[dict[str, Any]]) -> Any:
    checked = validator.check(rows, key)
    assert not checked.errors and not checked.forbidden, checked
    return checked.figures


def _decide(figures: Any, owner: str) -> Any:
    return lambda latest, named: decide(
        figures, latest, named, owner=owner, received_at="t", catalog_version="v"
    )


def record(
    ledger: LedgerStore, validator: Validator, key: Principal, rows: list[dict[str, Any]]
) -> Decision:
    figures = _figures(validator, key, rows)
    return ledger.record(key.owner, figures, _decide(figures, key.owner), key_id=key.key_id)


def preview(
    ledger: LedgerStore, validator: Validator, key: Principal, rows: list[dict[str, Any]]
) -> Decision:
    figures = _figures(validator, key, rows)
    return ledger.peek(key.owner, figures, _decide(figures, key.owner))


def check_preview_and_history(ledger: LedgerStore, validator: Validator) -> None:
    spend = {"indicator_id": "tcity-rd-spend", "period": "2024", "value": 1.0}
    first = record(ledger, validator, CITY_KEY, [{**spend, "submission_id": "a"}])
    second = record(ledger, validator, CITY_KEY, [{**spend, "value": 2.0}])
    other = record(
        ledger,
        validator,
        OTHER_KEY,
        [{"indicator_id": "tcity-firms", "period": "2024", "value": 7}],
    )
    assert second.results[0]["vintage"] == 2 and other.results[0]["status"] == "accepted"
    backlog = ledger.backlog()
    history = ledger.history(CITY_KEY.owner)

    # A preview decides on the same lookups: the next vintage, a conflicting submission id ...
    revision = preview(ledger, validator, CITY_KEY, [{**spend, "value": 3.0}])
    assert (revision.results[0]["status"], revision.results[0]["vintage"]) == ("revised", 3)
    clash = preview(ledger, validator, CITY_KEY, [{**spend, "value": 9.0, "submission_id": "a"}])
    assert [e.reason for e in clash.errors] == ["submission_id_conflict"]
    fresh = {"indicator_id": "tcity-firms", "period": "2023", "value": 5, "submission_id": "z"}
    assert preview(ledger, validator, CITY_KEY, [fresh]).results[0]["status"] == "accepted"
    # ... and keeps nothing: no row to publish, no history, no vintage, no submission id taken.
    assert ledger.backlog() == backlog
    assert ledger.history(CITY_KEY.owner) == history
    assert record(ledger, validator, CITY_KEY, [{**spend, "value": 3.0}]).results[0]["vintage"] == 3
    changed = record(ledger, validator, CITY_KEY, [{**fresh, "value": 6}])
    assert changed.results[0]["status"] == "accepted"  # "z" was not kept by the preview

    # The history: each owner's events as published, every vintage, in ledger order.
    sent = [orjson.loads(payload) for payload in ledger.history(CITY_KEY.owner)]
    assert [(e["indicator_id"], e["period"], e["vintage"], e["value"]) for e in sent] == [
        ("tcity-rd-spend", "2024", 1, 1.0),
        ("tcity-rd-spend", "2024", 2, 2.0),
        ("tcity-rd-spend", "2024", 3, 3.0),
        ("tcity-firms", "2023", 1, 6.0),
    ]
    assert sent[0]["event_id"] == first.events[0].event_id
    assert {e["submitted_by"] for e in sent} == {CITY_KEY.owner}
    others = ledger.history(OTHER_KEY.owner)
    assert others == [other.events[0].payload]
    assert ledger.history("兰州市统计局") == []
