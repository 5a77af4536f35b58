"""The evaluator benchmark's topic holds figures ingest would have accepted: a period an
indicator does not take (a month of an annual stock) never reaches the evaluator, and assessing
it would measure a path the pipeline does not run (its refusal note rebuilt for every event)."""

from __future__ import annotations

from bench.common import submissions
from planwatch.catalog import default_catalog
from planwatch.security.keys import ALL_JURISDICTIONS, Principal, Role
from planwatch_evaluator.core import evaluate, lookup
from planwatch_evaluator.state import KeyState
from planwatch_ingest.parsing import parse_csv
from planwatch_ingest.rules import rules_for
from planwatch_ingest.validation import Validator


def test_every_bench_submission_passes_ingest_and_is_assessed() -> None:
    catalog = default_catalog()
    events = submissions(len(catalog) * 30)
    validator = Validator(rules_for(catalog))
    bureau = Principal("k", "bench", frozenset({ALL_JURISDICTIONS}), frozenset(Role))
    errors = []
    for e in events:  # one row a request: entries of one statistic share its periods
        text = f"indicator_id,period,value\n{e.indicator_id},{e.period},{e.value}\n"
        rows = parse_csv(text.encode(), "utf-8", max_rows=10).rows
        errors += validator.check(rows, bureau).errors
    assert errors == []
    # months for the indicators that take year-to-date figures, years for the others
    assert any("-" in e.period for e in events)
    assert any("-" not in e.period for e in events)
    states: dict[bytes, KeyState] = {}
    notes = 0
    for e in events:
        outcome = evaluate(lookup(catalog, e), states.get(e.key, KeyState()), e, catalog.version)
        states[e.key] = outcome.state
        assert outcome.assessment is not None
        notes += any(
            "year-to-date figures are not judged" in n
            for n in outcome.assessment.assessment["notes"]
        )
    assert notes == 0
