"""Pure assessments per second on one core, mixed kinds, from the real catalog."""

from __future__ import annotations

import time
from datetime import date

from bench.common import summary
from planwatch.catalog import default_catalog
from planwatch.domain.assessment import assess
from planwatch.domain.assessment_model import Observation
from planwatch.stack.demo import demo_figures

__all__ = ["bench_assess"]


def bench_assess(seconds: float = 2.0, runs: int = 3) -> dict[str, object]:
    catalog = default_catalog()
    by_id: dict[str, list[Observation]] = {}
    for f in demo_figures(catalog, date(2026, 11, 24)):
        by_id.setdefault(f.indicator_id, []).append(Observation(period=f.period, value=f.value))
    work = [(catalog.get(i), obs) for i, obs in by_id.items()]
    as_of = date(2026, 11, 24)
    rates = []
    for _ in range(runs):
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            for entry, obs in work:
                assess(entry, obs, as_of)
            n += len(work)
        rates.append(n / (time.perf_counter() - start))
    kinds = sorted({e.kind.value for e, _ in work})
    return {"assess_per_s": summary(rates), "assess_kinds": kinds, "assess_entries": len(work)}
