"""The backfill benchmark's file is one a bureau could send: every row passes ingest's checks in
the batches ``planwatch push`` sends, revisions included (a refused batch would leave the
benchmark waiting for assessments that never come)."""

from __future__ import annotations

from pathlib import Path

from bench.bench_backfill import write_backfill
from planwatch.catalog import default_catalog
from planwatch.security.keys import ALL_JURISDICTIONS, Principal, Role
from planwatch_ingest.parsing import parse_csv
from planwatch_ingest.rules import rules_for
from planwatch_ingest.validation import Validator

PUSH_BATCH = 500  # planwatch push --batch-size default


def test_every_row_of_the_backfill_file_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "backfill.csv"
    shape = write_backfill(path, 3000)
    rows = parse_csv(path.read_bytes(), "utf-8", max_rows=10_000).rows
    assert len(rows) == 3000
    assert shape["vintages"] >= 2, "the file should go on with revisions"
    assert shape["indicator_months"] > PUSH_BATCH, "a batch would repeat a period"
    validator = Validator(rules_for(default_catalog()))
    bureau = Principal("k", "bench", frozenset({ALL_JURISDICTIONS}), frozenset(Role))
    errors, events = [], 0
    for start in range(0, len(rows), PUSH_BATCH):
        checked = validator.check(rows[start : start + PUSH_BATCH], bureau)
        errors += checked.errors
        events += sum(len(f.targets or (f.indicator_id,)) for f in checked.figures)
    assert errors == []
    # the evaluator is waited for until it has handled this many (one per target of a row)
    assert shape["events"] == events > len(rows)
