"""Every rejection reason of a row, found in one pass, named by row and field."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from planwatch.domain.events import SubmissionEvent
from planwatch.security import Principal, Role
from planwatch_ingest.outcomes import Known, decide
from planwatch_ingest.rules import rules_for
from planwatch_ingest.validation import Figure, Validator
from support.ingest import CITY, PROVINCE, test_catalog

CITY_KEY = Principal("k1", "白银市统计局", frozenset({CITY}), frozenset({Role.SUBMIT}))
ALL_KEY = Principal("k2", "国家统计局", frozenset({"*"}), frozenset({Role.SUBMIT}))


@pytest.fixture(scope="module")
def validator(tmp_path_factory: pytest.TempPathFactory) -> Validator:
    return Validator(rules_for(test_catalog(Path(tmp_path_factory.mktemp("catalog")))))


GOOD = {"indicator_id": "tcity-rd-spend", "period": "2023", "value": 12.5}


def _row(**changes: Any) -> dict[str, Any]:
    row = {**GOOD, **changes}
    return {k: v for k, v in row.items() if v is not ...}


@pytest.mark.parametrize(
    ("row", "field", "reason"),
    [
        (_row(indicator_id="no-such-indicator"), "indicator_id", "unknown_indicator"),
        (_row(indicator_id=...), "indicator_id", "missing_field"),
        (_row(indicator_id=7), "indicator_id", "wrong_type"),
        (_row(jurisdiction=PROVINCE), "jurisdiction", "jurisdiction_not_covered"),
        (_row(unit="家"), "unit", "unit_mismatch"),
        (_row(period="2019"), "period", "period_outside_plan"),
        (_row(period="2031"), "period", "period_outside_plan"),
        (_row(period="2024-13"), "period", "invalid_period"),
        (_row(period="2024-Q5"), "period", "invalid_period"),
        # a stock (level), a rank: no year-to-date form; 研发经费 (a yearly flow) takes one
        (_row(indicator_id="tcity-firms", period="2024-Q2"), "period", "year_to_date_refused"),
        (_row(indicator_id="tcity-rank", period="2024-05"), "period", "year_to_date_refused"),
        (_row(period=2024), "period", "wrong_type"),
        (_row(period=...), "period", "missing_field"),
        (_row(value="12.5"), "value", "not_a_number"),
        (_row(value=True), "value", "not_a_number"),
        (_row(value=None), "value", "missing_field"),
        (_row(value=math.nan), "value", "not_finite"),
        (_row(value=math.inf), "value", "not_finite"),
        (_row(value=10**400), "value", "not_finite"),
        (_row(value=1e300), "value", "out_of_range"),
        (_row(indicator_id="tcity-rd-share", value=100.5), "value", "share_out_of_range"),
        (_row(indicator_id="tcity-rd-share", value=-1), "value", "share_out_of_range"),
        (_row(indicator_id="tcity-firms", value=-3), "value", "negative_count"),
        (_row(indicator_id="tcity-rank", value=0), "value", "out_of_range"),
        (_row(indicator_id="tcity-growth", value=-100), "value", "out_of_range"),
        (_row(source='=HYPERLINK("http://x")'), "source", "formula"),
        (_row(comment="+cmd|' /C calc'!A0"), "comment", "formula"),
        (_row(comment="@SUM(1+1)"), "comment", "formula"),
        (_row(comment="x" * 2001), "comment", "too_long"),
        (_row(source="bad\x07bell"), "source", "control_chars"),
        (_row(submission_id=5), "submission_id", "wrong_type"),
        (_row(valeu=3), "valeu", "unknown_field"),
    ],
)
def test_each_bad_field_is_named(
    validator: Validator, row: dict[str, Any], field: str, reason: str
) -> None:
    checked = validator.check([GOOD, row], CITY_KEY)
    assert not checked.figures or len(checked.figures) == 1
    assert [(e.row, e.field, e.reason) for e in checked.errors] == [(2, field, reason)]


def test_a_row_that_is_not_an_object(validator: Validator) -> None:
    checked = validator.check([GOOD, [1, 2]], CITY_KEY)
    assert [(e.row, e.reason) for e in checked.errors] == [(2, "wrong_type")]


def test_every_problem_of_every_row_is_listed(validator: Validator) -> None:
    rows = [
        {"indicator_id": "nope", "period": "20x4", "value": "a"},
        GOOD,
        {"indicator_id": "tcity-firms", "period": "2023", "value": -1, "unit": "亿元"},
    ]
    checked = validator.check(rows, CITY_KEY)
    found = {(e.row, e.field) for e in checked.errors}
    assert found == {(1, "indicator_id"), (1, "period"), (1, "value"), (3, "unit")}


def test_duplicate_rows_in_one_batch(validator: Validator) -> None:
    rows = [GOOD, {**GOOD, "value": 13}, {**GOOD, "period": "2024", "submission_id": "a"}]
    rows.append({**GOOD, "period": "2022", "submission_id": "a"})
    checked = validator.check(rows, CITY_KEY)
    assert [(e.row, e.field, e.reason) for e in checked.errors] == [
        (2, None, "duplicate_row"),
        (4, "submission_id", "duplicate_row"),
    ]
    assert "row 1" in checked.errors[0].problem


def test_scope_is_checked_per_row(validator: Validator) -> None:
    rows = [GOOD, {"indicator_id": "tprov-rd-spend", "period": "2025", "value": 200}]
    checked = validator.check(rows, CITY_KEY)
    assert [(e.row, e.reason) for e in checked.forbidden] == [(2, "scope")]
    assert len(validator.check(rows, ALL_KEY).figures) == 2


def test_conversion_and_defaults(validator: Validator) -> None:
    checked = validator.check(
        [
            {
                "indicator_id": "tcity-rd-spend",
                "period": "2023-q2".upper(),
                "value": 15000,
                "unit": "万元",
            }
        ],
        CITY_KEY,
    )
    (figure,) = checked.figures
    assert figure.jurisdiction == CITY  # left out: the indicator decides it
    assert figure.value == 1.5 and figure.original_value == 15000 and figure.unit == "亿元"
    assert figure.period == "2023-Q2"


def _figure(validator: Validator, **changes: Any) -> Figure:
    (figure,) = validator.check([_row(**changes)], CITY_KEY).figures
    return figure


def _decide(figures: list[Figure], latest: dict[str, Known], named: dict[str, Known]) -> Any:
    return decide(
        figures,
        latest,
        named,
        owner="白银市统计局",
        received_at="2024-03-01T00:00:00Z",
        catalog_version="abc",
    )


def test_new_revised_duplicate_and_conflict(validator: Validator) -> None:
    first = _figure(validator, submission_id="s1")
    decision = _decide([first], {}, {})
    (event,) = decision.events
    assert decision.results[0]["status"] == "accepted" and event.vintage == 1
    known = Known(first.series, 1, first.value, event.event_id)

    revised = _decide([_figure(validator, value=13.0)], {first.series: known}, {})
    assert revised.results[0]["status"] == "revised" and revised.events[0].vintage == 2

    same = _decide([_figure(validator, value=12.5)], {first.series: known}, {})
    assert same.results[0]["status"] == "duplicate" and not same.events
    assert same.results[0]["event_id"] == event.event_id

    replay = _decide([first], {first.series: known}, {"s1": known})
    assert replay.results[0]["status"] == "duplicate" and replay.results[0]["vintage"] == 1

    conflict = _decide([_figure(validator, submission_id="s1", value=99.0)], {}, {"s1": known})
    assert [(e.field, e.reason) for e in conflict.errors] == [
        ("submission_id", "submission_id_conflict")
    ]


def test_the_event_bytes_are_a_submission_event(validator: Validator) -> None:
    figure = _figure(validator, value=15000, unit="万元", source="年报", comment="初值")
    (event,) = _decide([figure], {}, {}).events
    parsed = SubmissionEvent.from_bytes(event.payload)
    assert parsed.event_id == event.event_id and parsed.vintage == 1
    assert (parsed.value, parsed.unit, parsed.original_value, parsed.original_unit) == (
        1.5,
        "亿元",
        15000,
        "万元",
    )
    assert parsed.submitted_by == "白银市统计局" and parsed.catalog_version == "abc"
    assert parsed.key == event.key == "tcity-rd-spend|白银市".encode()
    assert parsed.submission_id.startswith("auto-")


@pytest.mark.parametrize(
    "row",
    [
        {"indicator_id": "tcity-rd-spend", "period": "2025", "value": 1.0},  # the fast path
        {"indicator_id": "tcity-rd-spend", "period": "2025", "value": 1.0, "comment": "x"},
    ],
)
def test_a_year_that_has_not_begun_is_refused(tmp_path: Path, row: dict[str, Any]) -> None:
    from datetime import date

    rules = rules_for(test_catalog(tmp_path))
    in_2024 = Validator(rules, today=lambda: date(2024, 12, 31)).check([row], ALL_KEY)
    [error] = in_2024.errors
    assert (error.field, error.reason) == ("period", "period_in_future")
    assert "2025 has not begun" in error.problem
    # the day the year begins, its year-to-date figures may come in
    in_2025 = Validator(rules, today=lambda: date(2025, 1, 1)).check([row], ALL_KEY)
    assert in_2025.errors == [] and [f.period for f in in_2025.figures] == ["2025"]


def test_a_year_to_date_figure_is_taken_for_a_flow_and_a_growth_rate(validator: Validator) -> None:
    rows = [
        _row(period="2024-Q2", value=6.0),
        _row(indicator_id="tcity-growth", period="2024-05", value=8.5),
        _row(indicator_id="tcity-firms", period="2024-12", value=88),  # December is the year
    ]
    checked = validator.check(rows, CITY_KEY)
    assert checked.errors == []
    assert [f.period for f in checked.figures] == ["2024-Q2", "2024-05", "2024"]


def test_a_refused_year_to_date_figure_says_what_to_send(validator: Validator) -> None:
    checked = validator.check([_row(indicator_id="tcity-firms", period="2024-Q2")], CITY_KEY)
    [error] = checked.errors
    assert "2024-Q2 is a year-to-date period" in error.problem and "send YYYY" in error.problem
