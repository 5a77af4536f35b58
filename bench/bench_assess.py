"""Pure assessments per second on one core: mixed kinds, about 5 observations each.

The workload is the real catalog (``planwatch.catalog.default_catalog()``): every entry gets a
history of about five figures on a plausible path towards its first target, some behind,
some ahead, yearly flows with a year-to-date figure, and one revised figure in four. If the
catalog holds few entries, synthetic entries of every kind are added so the mix stays mixed.

    .venv/bin/python -m bench.bench_assess        # prints assessments/s
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from datetime import date

from planwatch.catalog import default_catalog
from planwatch.domain.assessment import TargetSpec, assess
from planwatch.domain.assessment_model import Observation
from planwatch.domain.model import Baseline, CatalogEntry, Direction, Kind, Target, Tier

__all__ = ["AS_OF", "bench_assess", "measure_assess_per_s", "workload"]

AS_OF = date(2026, 11, 24)
MIN_ENTRIES = 40
Target_ = CatalogEntry | TargetSpec


def _synthetic() -> list[TargetSpec]:
    """One target of every kind, as the plans state them (with tiers and a range)."""
    tiers = (
        Target(year=2025, value=58, tier=Tier.BINDING),
        Target(year=2025, value=65, tier=Tier.EXPECTED),
    )
    return [
        TargetSpec(
            kind=Kind.LEVEL,
            direction=Direction.HIGHER,
            baseline=Baseline(year=2021, value=54),
            targets=tiers,
            start_year=2021,
        ),
        TargetSpec(
            kind=Kind.LEVEL,
            direction=Direction.HIGHER,
            targets=(Target(year=2025, value=180), Target(year=2030, value=280)),
            start_year=2024,
        ),
        TargetSpec(
            kind=Kind.RANKING,
            direction=Direction.LOWER,
            targets=(Target(year=2030, value=20),),
            start_year=2024,
        ),
        TargetSpec(
            kind=Kind.RANKING_CHANGE,
            direction=Direction.HIGHER,
            targets=(Target(year=2025, value=1),),
            start_year=2024,
        ),
        TargetSpec(
            kind=Kind.CUMULATIVE,
            direction=Direction.HIGHER,
            targets=(Target(year=2030, value=3000),),
            start_year=2024,
        ),
        TargetSpec(
            kind=Kind.YEARLY_FLOW,
            direction=Direction.HIGHER,
            targets=tuple(Target(year=y, value=30) for y in range(2022, 2026)),
            start_year=2021,
        ),
        TargetSpec(
            kind=Kind.NEW_ITEMS,
            direction=Direction.HIGHER,
            targets=(Target(year=2025, value=3, value_max=5),),
            start_year=2021,
        ),
        TargetSpec(
            kind=Kind.BUILD_COUNT,
            direction=Direction.HIGHER,
            targets=(Target(year=2025, value=10),),
            start_year=2022,
        ),
        TargetSpec(
            kind=Kind.GROWTH_RATE,
            direction=Direction.HIGHER,
            targets=tuple(Target(year=y, value=15) for y in (2023, 2024, 2025)),
            start_year=2022,
        ),
        TargetSpec(
            kind=Kind.MAINTAIN,
            direction=Direction.AROUND,
            targets=(Target(year=2025, value=80),),
            start_year=2022,
            tolerance_pct=10,
        ),
    ]


def _history(target: Target_, rng: random.Random) -> list[Observation]:
    """About five figures from the plan start, moving towards the first target at some pace."""
    first = min(target.targets, key=lambda t: t.year)
    start = target.start_year if target.start_year is not None else first.year - 4
    kind, goal = target.kind, first.value
    pace = rng.choice([0.4, 0.8, 1.0, 1.2, -0.3])  # share of the planned progress made
    span = max(first.year - start, 1)
    if target.baseline is not None:
        base = target.baseline.value
    elif kind is Kind.RANKING:
        base = goal * 1.4
    elif kind in (Kind.LEVEL, Kind.MAINTAIN):
        base = goal * 0.7
    else:
        base = 0.0
    rows: list[Observation] = []
    for i in range(5):
        year = start + i
        if year > AS_OF.year:
            break
        share = min(i / span, 1.5)
        if kind in (Kind.YEARLY_FLOW, Kind.GROWTH_RATE):
            value = goal * (0.7 + 0.6 * rng.random())
        elif kind is Kind.RANKING_CHANGE:
            value = 30 - pace * goal * share  # observed: the rank
        elif kind is Kind.CUMULATIVE:
            value = goal / span * pace * (0.8 + 0.4 * rng.random())  # the year's flow
        else:
            value = base + (goal - base) * share * pace
        period = str(year)
        if i == 4 and kind is Kind.YEARLY_FLOW:
            period, value = f"{year}-Q2", value / 2  # a year-to-date figure
        rows.append(Observation(period=period, value=round(value, 2)))
    if rows and rng.random() < 0.25:  # a revision of the latest figure
        last = rows[-1]
        rows.append(Observation(period=last.period, value=last.value * 1.02, vintage=2))
    return rows


def workload(seed: int = 7) -> list[tuple[Target_, list[Observation]]]:
    """(target, observations) pairs: the catalog's entries, topped up with synthetic ones."""
    rng = random.Random(seed)
    targets: list[Target_] = list(default_catalog().entries.values())
    kinds = {t.kind for t in targets}
    if len(targets) < MIN_ENTRIES or kinds != set(Kind):
        synthetic = _synthetic()
        while len(targets) < MIN_ENTRIES or {t.kind for t in targets} != set(Kind):
            targets.extend(synthetic)
    return [(t, _history(t, rng)) for t in targets]


def _run(work: Sequence[tuple[Target_, list[Observation]]], seconds: float) -> float:
    # CPU time of this process: "per core", and not lowered by other work on a shared machine
    n, start = 0, time.process_time()
    while time.process_time() - start < seconds:
        for target, observations in work:
            assess(target, observations, AS_OF)
        n += len(work)
    return n / (time.process_time() - start)


def measure_assess_per_s(seconds: float = 3.0) -> float:
    """Assessments per CPU second of the mixed workload, after one warm-up pass."""
    work = workload()
    for target, observations in work:  # compiles each target once, as an evaluator would
        assess(target, observations, AS_OF)
    return _run(work, seconds)


def bench_assess(seconds: float = 2.0, runs: int = 3) -> dict[str, object]:
    """The figure for bench results: median, min and max of ``runs`` measurements."""
    rates = sorted(measure_assess_per_s(seconds) for _ in range(runs))
    work = workload()
    return {
        "assess_per_s": {
            "median": round(rates[len(rates) // 2]),
            "min": round(rates[0]),
            "max": round(rates[-1]),
            "runs": runs,
            "values": [round(r) for r in rates],
        },
        "assess_kinds": sorted({t.kind.value for t, _ in work}),
        "assess_entries": len(work),
        "assess_observations_mean": round(sum(len(o) for _, o in work) / len(work), 2),
    }


if __name__ == "__main__":
    print(f"{measure_assess_per_s():,.0f} assessments/s")
