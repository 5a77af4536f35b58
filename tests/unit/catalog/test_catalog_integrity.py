"""The catalog is traceable to the plans and consistent with itself."""

from __future__ import annotations

import pytest

from planwatch.catalog import Catalog, default_catalog, seed_text
from planwatch.domain.model import Direction, Tier

CATALOG: Catalog = default_catalog()
ENTRIES = list(CATALOG)


def test_catalog_loads_with_a_version() -> None:
    assert len(CATALOG) >= 1
    assert len(CATALOG.version) == 12


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_every_quote_is_an_exact_substring_of_its_seed(entry) -> None:
    text = seed_text(entry.seed)
    assert entry.source_quote in text, f"{entry.id}: source_quote not found in {entry.seed}"
    for target in entry.targets:
        if target.quote:
            assert target.quote in text, f"{entry.id} {target.year}: quote not in {entry.seed}"


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_id_starts_with_its_plan_code(entry) -> None:
    assert entry.id.startswith(entry.plan_code + "-")


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_every_agency_resolves_in_the_registry(entry) -> None:
    for name in (*entry.responsible_agencies, *entry.lead_agencies):
        agency = CATALOG.agency(name, entry.plan_code)
        assert agency is not None, f"{entry.id}: agency {name!r} not in its jurisdiction's registry"
    assert set(entry.lead_agencies) <= set(entry.responsible_agencies) | set(entry.lead_agencies)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_lead_agency_is_named_when_responsible_units_are(entry) -> None:
    if entry.responsible_agencies:
        assert entry.lead_agencies, f"{entry.id}: responsible units but no lead"


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_years_and_tiers_are_consistent(entry) -> None:
    plan = CATALOG.plans[entry.plan_code]
    for target in entry.targets:
        assert plan.start_year < target.year <= plan.end_year, f"{entry.id}: year {target.year}"
    if entry.baseline:
        assert entry.baseline.year <= plan.start_year + 1
        assert entry.baseline.year < min(entry.target_years)
    for year in entry.target_years:
        tiers = {t.tier: t.value for t in entry.targets_for(year)}
        if Tier.BINDING in tiers and Tier.EXPECTED in tiers:
            binding, expected = tiers[Tier.BINDING], tiers[Tier.EXPECTED]
            if entry.direction is Direction.HIGHER:
                assert binding <= expected, f"{entry.id} {year}: binding above expected"
            elif entry.direction is Direction.LOWER:
                assert binding >= expected, f"{entry.id} {year}: binding below expected"


def test_ids_are_unique_across_plans() -> None:
    ids = [e.id for e in CATALOG]
    assert len(ids) == len(set(ids))


def test_agency_ids_are_ascii() -> None:
    for agency in CATALOG.agencies.values():
        assert agency.id.isascii() and agency.name_en.isascii(), agency.id
