"""``planwatch assess``: one JSON object in, one out; bad input names the field."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from planwatch.cli.assess import run_assess

# 001 主要指标 1 as ``planwatch catalog export`` prints it (the fields assess reads, and others)
BAIYIN_CONTRIBUTION = {
    "id": "baiyin-tech-progress-contribution",
    "indicator": "科技进步贡献率",
    "unit": "%",
    "kind": "level",
    "direction": "higher",
    "frequency": "annual",
    "baseline": {"year": 2021, "value": 54.0, "note": None},
    "targets": [
        {"year": 2025, "value": 58.0, "value_max": None, "tier": "binding", "qualifiers": []},
        {"year": 2025, "value": 65.0, "value_max": None, "tier": "expected", "qualifiers": []},
    ],
    "responsible_agencies": ["市科技局"],
    "start_year": 2021,
    "tolerance_pct": None,
}


def _cli(payload: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("planwatch")
    return subprocess.run(
        [str(exe), "assess"], input=payload, capture_output=True, text=True, timeout=60
    )


def test_the_command_assesses_a_catalog_shaped_target() -> None:
    payload = {
        "target": BAIYIN_CONTRIBUTION,
        "observations": [
            {"period": "2022", "value": 55.0},
            {"period": "2023", "value": 55.5},
            {"period": "2023", "value": 56.0, "vintage": 2},
        ],
        "as_of": "2024-03-01",
    }
    result = _cli(json.dumps(payload, ensure_ascii=False))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["status"] == "on_track" and out["method"] == "cagr_ratio"
    assert out["planned"] == pytest.approx(56) and out["gap"] == pytest.approx(0)
    assert out["progress_ratio"] == pytest.approx(((56 / 54) ** 0.5 - 1) / ((58 / 54) ** 0.25 - 1))
    assert out["projected"] == pytest.approx(56 * (56 / 55) ** 2)
    assert set(out["tiers"]) == {"binding", "expected"}
    assert out["tiers"]["expected"]["status"] == "limited_progress"
    assert out["latest_value"] == 56 and "约束值58%" in out["explanation_zh"]


def test_a_passed_target_year_missed_is_a_final_miss() -> None:
    """Baseline 2021 = 80, target 100 by 2025, 99 in 2025, read in mid-2026."""
    target = {
        "kind": "level",
        "direction": "higher",
        "baseline": {"year": 2021, "value": 80},
        "targets": [{"year": 2025, "value": 100}],
    }
    payload = {
        "target": target,
        "observations": [{"period": "2025", "value": 99}],
        "as_of": "2026-07-01",
    }
    result = _cli(json.dumps(payload))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["status"] == "not_achieved" and out["gap"] == pytest.approx(-1)
    assert out["years"] == [
        {"year": 2025, "status": "not_achieved", "tiers": out["years"][0]["tiers"]}
    ]
    assert out["years"][0]["tiers"]["none"]["final"] is True
    assert out["explanation_zh"].startswith("未达标：2025年目标100，2025年实际99，差1")


def test_a_target_without_baseline_or_tiers() -> None:
    out = run_assess(
        {
            "target": {
                "kind": "level",
                "direction": "higher",
                "unit": "亿元",
                "baseline": None,
                "targets": [{"year": 2025, "value": 180}],
            },
            "observations": [{"period": "2023", "value": 120}, {"period": "2024", "value": 150}],
            "as_of": "2025-03-01",
        }
    )
    assert out["status"] == "on_track" and out["tiers"]["none"]["target"] == 180
    assert out["baseline_year"] == 2023


def _valid() -> dict[str, Any]:
    return {
        "target": {"kind": "level", "direction": "higher", "targets": [{"year": 2025, "value": 1}]},
        "observations": [{"period": "2024", "value": 1}, {"period": "2025", "value": 2}],
        "as_of": "2025-06-01",
    }


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"as_of": "soon"}, "as_of"),
        (
            {"observations": [{"period": "2024", "value": 1}, {"period": "2024-13", "value": 1}]},
            "observations[1].period",
        ),
        ({"observations": [{"period": "2024", "value": "many"}]}, "observations[0].value"),
        ({"observations": [{"value": 3}]}, "observations[0].period"),
        (
            {"observations": [{"period": "2024", "value": 1, "colour": "red"}]},
            "observations[0].colour",
        ),
        (
            {
                "target": {
                    "kind": "level",
                    "direction": "up",
                    "targets": [{"year": 2025, "value": 1}],
                }
            },
            "target.direction",
        ),
        (
            {
                "target": {
                    "kind": "wish",
                    "direction": "higher",
                    "targets": [{"year": 2025, "value": 1}],
                }
            },
            "target.kind",
        ),
        ({"target": {"kind": "level", "direction": "higher", "targets": []}}, "target.targets"),
        (
            {
                "target": {
                    "kind": "level",
                    "direction": "higher",
                    "targets": [{"year": 2025, "value": 5, "value_max": 3}],
                }
            },
            "target.targets[0]",
        ),
        ({"target": None}, "target"),
    ],
)
def test_bad_input_names_the_field(patch: dict[str, Any], field: str) -> None:
    payload = {**_valid(), **patch}
    with pytest.raises(ValueError) as err:
        run_assess(payload)
    assert str(err.value).startswith(field), str(err.value)


def test_every_bad_field_is_named_at_once() -> None:
    payload = _valid()
    payload["observations"] = [{"period": "2024-Q5", "value": 1}, {"period": "2024", "value": None}]
    with pytest.raises(ValueError) as err:
        run_assess(payload)
    assert "observations[0].period" in str(err.value) and "observations[1].value" in str(err.value)


def test_the_command_exits_non_zero_and_names_the_field_on_stderr() -> None:
    payload = _valid()
    payload["observations"][1]["period"] = "2025-Q7"
    result = _cli(json.dumps(payload))
    assert result.returncode != 0 and result.stdout == ""
    assert "observations[1].period" in result.stderr


def test_the_command_rejects_text_that_is_not_json() -> None:
    result = _cli("{target: ")
    assert result.returncode != 0 and "not valid JSON" in result.stderr


def test_non_finite_numbers_are_named() -> None:
    result = _cli(
        '{"target": {"kind": "level", "direction": "higher", "targets": '
        '[{"year": 2025, "value": NaN}]}, "observations": '
        '[{"period": "2024", "value": Infinity}], "as_of": "2025-01-01"}'
    )
    assert result.returncode != 0
    assert "observations[0].value" in result.stderr and "target.targets[0].value" in result.stderr
