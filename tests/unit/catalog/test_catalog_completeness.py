"""Every target-looking number in each plan is in the catalog or on its list of non-targets.

The scan finds numbers followed by a unit or counting word (180亿元, 62%, 2600家, 3-5个, 提升1位)
and, in the Baiyin indicator table, the number cells. Each must sit inside the span of an
entry's source quote (or a target's own quote) or of a ``not_targets`` text of the same seed,
which says why it is not a target (a past fact, a subsidy rule, a document number, …).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from planwatch.catalog import default_catalog, seed_text

CATALOG = default_catalog()

UNITS = (
    "亿元|億元|万元|萬元|元|万人次|萬人次|万人|萬人|人年|人次|人|名|家|个|個|项|項|件|位|%|％"
    "|场次|場次|次|所|条|條|篇|倍|个百分点|個百分點|百分点|百分點|万亩|萬畝|亩|畝|台|套|只|支|座|批"
)
NUMBER_WITH_UNIT = re.compile(rf"\d+(?:\.\d+)?(?:\s*[-—~～至]\s*\d+(?:\.\d+)?)?\s*(?:{UNITS})")
# 001 lays its indicator table out one cell per line: a bare number (with * for 2020) per line
TABLE_CELL = re.compile(r"^[ \t]*\d+(?:\.\d+)?\*?(?:家)?[ \t]*$", re.MULTILINE)


def _spans(text: str, needle: str) -> Iterator[tuple[int, int]]:
    start = text.find(needle)
    while start != -1:
        yield start, start + len(needle)
        start = text.find(needle, start + 1)


def _covered_spans(seed: str) -> list[tuple[int, int]]:
    text = seed_text(seed)
    quotes: list[str] = []
    for entry in CATALOG:
        if entry.seed == seed:
            quotes.append(entry.source_quote)
            quotes.extend(t.quote for t in entry.targets if t.quote)
    for plan_code, items in CATALOG.not_targets.items():
        if CATALOG.plans[plan_code].seed == seed:
            quotes.extend(item.text for item in items)
    return [span for q in quotes for span in _spans(text, q)]


def _table_region(text: str) -> tuple[int, int] | None:
    start = text.find("主要指标\n")
    if start == -1:
        return None
    end = text.find("三、", start)
    return start, end if end != -1 else len(text)


def _uncovered(seed: str) -> list[str]:
    text = seed_text(seed)
    covered = _covered_spans(seed)
    found = [(m.start(), m.end()) for m in NUMBER_WITH_UNIT.finditer(text)]
    region = _table_region(text)
    if region:
        found += [
            (m.start(), m.end()) for m in TABLE_CELL.finditer(text, *region) if m.group().strip()
        ]
    missing = []
    for start, end in found:
        if not any(qs <= start and end <= qe for qs, qe in covered):
            context = text[max(0, start - 30) : end + 10].replace("\n", "⏎")
            missing.append(f"{text[start:end].strip()!r} at {start}: …{context}…")
    return missing


SEEDS = sorted({plan.seed for plan in CATALOG.plans.values()})


@pytest.mark.parametrize("seed", SEEDS)
def test_every_target_looking_number_is_accounted_for(seed: str) -> None:
    missing = _uncovered(seed)
    assert not missing, f"{len(missing)} numbers in {seed} are neither targets nor listed:\n" + (
        "\n".join(missing[:40])
    )


def test_every_seed_has_a_plan_file() -> None:
    from planwatch.catalog.loader import SEEDS_DIR

    assert {p.name for p in SEEDS_DIR.glob("*.txt")} <= set(SEEDS) or pytest.fail(
        "seeds without a plan file: "
        + ", ".join(sorted({p.name for p in SEEDS_DIR.glob("*.txt")} - set(SEEDS)))
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_not_targets_are_exact_substrings_with_a_reason(seed: str) -> None:
    text = seed_text(seed)
    for plan_code, items in CATALOG.not_targets.items():
        if CATALOG.plans[plan_code].seed != seed:
            continue
        for item in items:
            assert item.text in text, f"not_targets text not in {seed}: {item.text!r}"
            assert item.why.strip(), f"not_targets entry without a reason: {item.text!r}"
