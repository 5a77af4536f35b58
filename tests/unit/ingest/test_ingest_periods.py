"""Labels that cover the same months are one period: kept, numbered and answered as one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest

from planwatch.domain.events import SubmissionEvent
from planwatch.domain.model import Frequency
from planwatch.security import Principal, Role
from planwatch_ingest.adapters.sqlite_ledger import SqliteLedger
from planwatch_ingest.outcomes import Decision, Known, decide
from planwatch_ingest.rules import EntryRule, canonical_series, rules_for
from planwatch_ingest.schemas import RowResult
from planwatch_ingest.validation import Figure, Validator
from support.ingest import CITY, test_catalog

KEY = Principal("k1", "白银市统计局", frozenset({CITY}), frozenset({Role.SUBMIT}))
RD = "tcity-rd-spend"  # an annual indicator of the test catalog
MONTHLY = "tcity-firms"  # made monthly below


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> Mapping[str, EntryRule]:
    rules = dict(rules_for(test_catalog(Path(tmp_path_factory.mktemp("catalog")))))
    rules[MONTHLY] = replace(rules[MONTHLY], frequency=Frequency.MONTHLY, year_to_date=True)
    return rules


@pytest.fixture(scope="module")
def validator(rules: Mapping[str, EntryRule]) -> Validator:
    return Validator(rules)


def _decide(
    figures: Sequence[Figure], latest: Mapping[str, Known], named: Mapping[str, Known]
) -> Decision:
    return decide(
        figures,
        latest,
        named,
        owner=KEY.owner,
        received_at="2026-03-01T00:00:00Z",
        catalog_version="abc",
    )


# a comment sends a row down the full check instead of the fast path: both must agree
@pytest.mark.parametrize("extra", [{}, {"comment": "初值"}])
@pytest.mark.parametrize(
    ("indicator", "sent", "stored"),
    [
        (RD, "2024", "2024"),
        (RD, "2024-12", "2024"),
        (RD, "2024-Q4", "2024"),
        (RD, "2024-06", "2024-Q2"),
        (RD, "2024-Q2", "2024-Q2"),
        (RD, "2024-05", "2024-05"),
        (MONTHLY, "2024-Q2", "2024-06"),
        (MONTHLY, "2024-06", "2024-06"),
        (MONTHLY, "2024-Q4", "2024"),
        (MONTHLY, "2024-12", "2024"),
    ],
)
def test_a_period_is_kept_under_its_canonical_label(
    validator: Validator, indicator: str, sent: str, stored: str, extra: dict[str, Any]
) -> None:
    row = {"indicator_id": indicator, "period": sent, "value": 3.0, **extra}
    checked = validator.check([row], KEY)
    assert checked.errors == []
    (figure,) = checked.figures
    assert figure.period == stored
    assert figure.series == f"{indicator}|{CITY}|{stored}"
    assert figure.period_sent == (None if sent == stored else sent)


def test_the_answer_and_the_event_carry_the_canonical_label(validator: Validator) -> None:
    rows = [
        {"indicator_id": RD, "period": "2024-12", "value": 3.0},
        {"indicator_id": RD, "period": "2023", "value": 2.0},
    ]
    figures = validator.check(rows, KEY).figures
    decision = _decide(figures, {}, {})
    results = [RowResult.model_validate(r) for r in orjson.loads(orjson.dumps(decision.results))]
    periods = [(r.period, r.period_sent) for r in results]
    assert periods == [("2024", "2024-12"), ("2023", None)]
    event = SubmissionEvent.from_bytes(decision.events[0].payload)
    assert event.period == "2024" and decision.events[0].series == f"{RD}|{CITY}|2024"


def test_a_figure_sent_under_another_label_revises_the_period(validator: Validator) -> None:
    (year,) = validator.check([{"indicator_id": RD, "period": "2024", "value": 3.0}], KEY).figures
    first = _decide([year], {}, {})
    known = first.known
    (december,) = validator.check(
        [{"indicator_id": RD, "period": "2024-12", "value": 3.5}], KEY
    ).figures
    revised = _decide([december], known, {})
    assert revised.results[0]["status"] == "revised"
    assert revised.events[0].vintage == 2
    (q4,) = validator.check([{"indicator_id": RD, "period": "2024-Q4", "value": 3.5}], KEY).figures
    same = _decide([q4], revised.known, {})
    assert same.results[0]["status"] == "duplicate" and not same.events
    assert same.results[0]["vintage"] == 2


@pytest.mark.parametrize(
    ("indicator", "first", "second"),
    [(RD, "2024", "2024-12"), (RD, "2024-Q4", "2024-12"), (MONTHLY, "2024-06", "2024-Q2")],
)
def test_two_labels_of_one_period_in_a_request_are_a_duplicate_row(
    validator: Validator, indicator: str, first: str, second: str
) -> None:
    rows = [
        {"indicator_id": indicator, "period": first, "value": 3.0},
        {"indicator_id": indicator, "period": second, "value": 4.0},
    ]
    checked = validator.check(rows, KEY)
    [error] = checked.errors
    assert (error.row, error.field, error.reason) == (2, None, "duplicate_row")
    assert "row 1" in error.problem and f"{first} and {second} are both" in error.problem


def test_a_quarter_and_a_month_of_an_annual_indicator_are_not_one_period(
    validator: Validator,
) -> None:
    rows = [
        {"indicator_id": RD, "period": "2024-Q2", "value": 3.0},
        {"indicator_id": RD, "period": "2024-05", "value": 2.5},
    ]
    checked = validator.check(rows, KEY)
    assert checked.errors == [] and [f.period for f in checked.figures] == ["2024-Q2", "2024-05"]


def _record(ledger: SqliteLedger, figures: list[Figure]) -> Decision:
    return ledger.record(
        KEY.owner, figures, lambda latest, named: _decide(figures, latest, named), key_id="k"
    )


def test_a_ledger_kept_before_canonical_labels_is_read_as_one_period(
    tmp_path: Path, validator: Validator, rules: Mapping[str, EntryRule]
) -> None:
    """Figures kept under "2024" and "2024-12" (numbered apart, as ingest once did) are one
    series on start: the next figure of the year revises the highest vintage, and a resend
    with the submission id of one of them is a duplicate, not a conflict."""
    path = tmp_path / "ledger.db"

    def legacy(period: str, value: float, submission_id: str) -> Figure:
        row = {"indicator_id": RD, "period": "2024", "value": value, "submission_id": submission_id}
        (figure,) = validator.check([row], KEY).figures
        return replace(figure, period=period, series=f"{RD}|{CITY}|{period}")

    old = SqliteLedger(path)
    kept = [legacy("2024", 3.0, "a"), legacy("2024-12", 3.1, "b"), legacy("2024-12", 3.15, "c")]
    for figure in kept:
        _record(old, [figure])
    old.close()

    ledger = SqliteLedger(path, canonical=canonical_series(rules))
    try:
        rows = [
            {"indicator_id": RD, "period": "2024-12", "value": 3.1, "submission_id": "b"},
            {"indicator_id": RD, "period": "2023", "value": 2.0},
        ]
        resent = _record(ledger, validator.check(rows, KEY).figures)
        assert resent.errors == []
        assert [r["status"] for r in resent.results] == ["duplicate", "accepted"]
        row = {"indicator_id": RD, "period": "2024-Q4", "value": 3.2}
        revised = _record(ledger, validator.check([row], KEY).figures)
        assert [(r["status"], r["vintage"], r["period"]) for r in revised.results] == [
            ("revised", 3, "2024")
        ]
    finally:
        ledger.close()


def test_canonical_series_leaves_unknown_indicators_and_bad_periods(
    rules: Mapping[str, EntryRule],
) -> None:
    canonical = canonical_series(rules)
    assert canonical(f"{RD}|{CITY}|2024-Q4") == f"{RD}|{CITY}|2024"
    assert canonical(f"{MONTHLY}|{CITY}|2024-Q1") == f"{MONTHLY}|{CITY}|2024-03"
    assert canonical(f"{RD}|{CITY}|2024-03") == f"{RD}|{CITY}|2024-Q1"
    assert canonical(f"gone|{CITY}|2024-12") == f"gone|{CITY}|2024-12"
    assert canonical(f"{RD}|{CITY}|soon") == f"{RD}|{CITY}|soon"
