"""The demo data of ``make run DEMO=1`` is valid for ingest and shows every kind of picture."""

from __future__ import annotations

from collections import Counter
from datetime import date

from planwatch.catalog import default_catalog
from planwatch.security import Principal, Role
from planwatch.stack.demo import _lagging, demo_figures
from planwatch_ingest.rules import rules_for
from planwatch_ingest.validation import Validator

AS_OF = date(2026, 11, 24)
EVERYONE = Principal("demo", "demo", frozenset({"*"}), frozenset(Role))


def test_every_indicator_gets_figures_and_ingest_accepts_them_all() -> None:
    catalog = default_catalog()
    figures = demo_figures(catalog, AS_OF)
    # one statistic, one figure: every target is fed through its series
    reported = {f.indicator_id for f in figures}
    assert {s for e in catalog for s in [e.series] if set(catalog.series[s]) & reported} == set(
        catalog.series
    )
    assert len(reported) == len(catalog.series)
    checked = Validator(rules_for(catalog)).check([f.as_json() for f in figures], EVERYONE)
    assert checked.errors == [] and checked.forbidden == []
    assert len(checked.figures) == len(figures)
    fed = {t for f in checked.figures for t in f.targets}
    assert fed == {e.id for e in catalog}


def test_ids_are_stable_so_a_second_load_changes_nothing() -> None:
    first = demo_figures(default_catalog(), AS_OF)
    assert first == demo_figures(default_catalog(), AS_OF)
    assert len({f.submission_id for f in first}) == len(first)


def test_some_lag_and_exactly_one_misses_its_latest_figure() -> None:
    catalog = default_catalog()
    figures = demo_figures(catalog, AS_OF)
    if len(catalog) >= 3:
        assert any(_lagging(e) for e in catalog) and not all(_lagging(e) for e in catalog)
    latest = Counter()
    for f in figures:
        latest[f.indicator_id] = max(latest[f.indicator_id], int(f.period))
    expected_last = {e.id: min(AS_OF.year - 1, max(e.target_years)) for e in catalog}
    short = [i for i, year in latest.items() if year < expected_last[i]]
    if any(e.baseline and not _lagging(e) for e in catalog):
        assert len(short) == 1
