"""Every entry of the real catalog can be assessed, and the result is valid JSON."""

from __future__ import annotations

import json
from datetime import date

import pytest

from planwatch.catalog import default_catalog
from planwatch.domain.assessment import assess
from planwatch.domain.assessment_model import Assessment, Observation, TierResult
from planwatch.domain.events import Status

ENTRIES = sorted(default_catalog().entries.values(), key=lambda e: e.id)
KEYS = {
    "status", "progress_ratio", "planned", "gap", "gap_pct", "projected", "projected_share",
    "method", "target_year", "target_value", "tier", "latest_period", "latest_value",
    "baseline_year", "baseline_value", "tiers", "years", "explanation_zh", "explanation_en",
    "notes",
}  # fmt: skip


def _histories(start: int) -> list[list[Observation]]:
    y = start
    return [
        [],
        [Observation(period=str(y + 1), value=10)],
        [Observation(period=str(y + i), value=10 + 3 * i) for i in range(1, 5)],
        [Observation(period=str(y + i), value=40 - 5 * i) for i in range(1, 5)],
        [Observation(period=str(y + 1), value=0), Observation(period=f"{y + 2}-Q2", value=-1)],
        [
            Observation(period=str(y + 1), value=5),
            Observation(period=f"{y + 2}-05", value=2),
            Observation(period=f"{y + 2}-05", value=4, vintage=2),
        ],
    ]


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.id for e in ENTRIES])
def test_every_entry_assesses_to_valid_json(entry) -> None:
    for history in _histories(entry.start_year):
        result = assess(entry, history, date(2031, 1, 1))
        data = result.to_dict()
        assert set(data) == KEYS
        json.dumps(data, allow_nan=False)  # strict JSON: no NaN or Infinity
        assert result.model_dump(mode="json") == data
        assert result.explanation_zh and result.explanation_en
        if history:
            assert result.latest_period is not None
            assert {y.year for y in result.years} == set(entry.target_years)
            if result.status is not Status.NO_DATA:
                assert result.target_year in entry.target_years


def test_results_are_slotted_values_with_a_dict_round_trip() -> None:
    entry = next(e for e in ENTRIES if any(t.tier for t in e.targets))
    history = _histories(entry.start_year)[2]
    result = assess(entry, history, date(2031, 1, 1))
    assert not hasattr(result, "__dict__")
    again = Assessment.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again == result
    tier = next(iter(result.tiers.values()))
    assert TierResult.from_dict(tier.to_dict()) == tier
