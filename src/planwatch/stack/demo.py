"""Demo submissions for every catalog indicator: most on track, some lagging, one overdue.

The figures are made up but shaped like the real ones: each indicator moves from its baseline
(or a plausible start) towards its first target, on the planned path for on-track indicators and
at about 40 % of the required pace for lagging ones, so a newcomer sees every status and alerts
within a minute of ``make run DEMO=1``. Which indicators lag is fixed by their id, so two runs
produce the same picture; submission ids are fixed too, so loading twice changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import httpx

from planwatch.catalog import Catalog, default_catalog
from planwatch.domain.model import CatalogEntry, Direction, Kind

__all__ = ["DemoFigure", "demo_figures", "load_demo"]

ON_TRACK_PACE = 1.03  # a little ahead of the planned path
LAGGING_PACE = 0.4  # well behind: "limited progress"
START_RANK = 30.0  # the demo's rank in the plan's start year, for 提升N位
COUNTING_UNITS = {"家", "个", "個", "项", "項", "件", "人", "名", "所", "座", "批"}


@dataclass(frozen=True)
class DemoFigure:
    indicator_id: str
    jurisdiction: str
    period: str
    value: float
    submission_id: str

    def as_json(self) -> dict[str, object]:
        return {
            "indicator_id": self.indicator_id,
            "jurisdiction": self.jurisdiction,
            "period": self.period,
            "value": self.value,
            "submission_id": self.submission_id,
            "source": "planwatch demo data",
        }


def _lagging(entry: CatalogEntry) -> bool:
    # About one indicator in three lags, chosen by a stable hash of the id.
    return hashlib.sha256(entry.id.encode()).digest()[0] % 3 == 0


def _first_target(entry: CatalogEntry) -> tuple[int, float]:
    year = min(entry.target_years)
    values = [t.value for t in entry.targets_for(year)]
    # the binding (lower) value for higher-is-better: the floor the plan commits to
    return year, (min(values) if entry.direction is not Direction.LOWER else max(values))


def _start(entry: CatalogEntry, target: float) -> tuple[int, float]:
    if entry.baseline is not None:
        return entry.baseline.year, entry.baseline.value
    if entry.kind in (Kind.NEW_ITEMS, Kind.BUILD_COUNT, Kind.RANKING_CHANGE, Kind.CUMULATIVE):
        return entry.start_year, 0.0
    if entry.kind is Kind.RANKING:
        return entry.start_year, target + 8
    if entry.kind in (Kind.MAINTAIN, Kind.GROWTH_RATE, Kind.YEARLY_FLOW):
        return entry.start_year, target
    return entry.start_year, round(target * 0.7, 2)


def _series(entry: CatalogEntry, last_year: int) -> Iterator[tuple[int, float]]:
    target_year, target = _first_target(entry)
    base_year, base = _start(entry, target)
    pace = LAGGING_PACE if _lagging(entry) else ON_TRACK_PACE
    span = max(target_year - base_year, 1)
    if entry.kind is Kind.RANKING_CHANGE:
        # ranks, as a bureau reports them, from the start-year rank places are counted from
        yield entry.start_year, START_RANK
    for year in range(entry.start_year + 1, last_year + 1):
        share = min((year - base_year) / span, 1.0)
        if entry.kind is Kind.YEARLY_FLOW or entry.kind is Kind.GROWTH_RATE:
            value = target * pace
        elif entry.kind is Kind.MAINTAIN:
            value = target if pace >= 1 else target * 1.25
        elif entry.kind is Kind.CUMULATIVE:
            value = target / span * pace  # this year's flow; the running total is the sum
        else:
            value = base + (target - base) * share * pace
        if entry.kind is Kind.RANKING:
            value = max(1.0, round(value))
        elif entry.kind is Kind.RANKING_CHANGE:
            value = START_RANK - round(value)  # the rank after gaining ``value`` places
        elif entry.unit in COUNTING_UNITS and entry.kind is not Kind.CUMULATIVE:
            value = float(round(value))
        yield year, round(value, 2)


def demo_figures(catalog: Catalog | None = None, as_of: date | None = None) -> list[DemoFigure]:
    """Annual figures up to the last year whose figure is due by ``as_of``.

    The first lagging-free indicator with a baseline misses its latest year, so the evaluator
    reports that figure as overdue to its statistics bureau.
    """
    catalog = catalog or default_catalog()
    as_of = as_of or date.today()
    # An annual figure for year Y is due in the spring of Y+1: the latest complete year.
    latest = as_of.year - 1 if as_of.month > 3 else as_of.year - 2
    overdue_id = next((e.id for e in catalog if not _lagging(e) and e.baseline), None)
    figures = []
    for entry in catalog:
        last_year = min(latest, max(entry.target_years))
        if entry.id == overdue_id:
            last_year -= 1
        for year, value in _series(entry, last_year):
            figures.append(
                DemoFigure(
                    indicator_id=entry.id,
                    jurisdiction=entry.jurisdiction,
                    period=str(year),
                    value=value,
                    submission_id=f"demo-{entry.id}-{year}",
                )
            )
    return figures


def load_demo(ingest_url: str, key: str, batch: int = 500) -> str:
    """Push the demo figures to a running ingest service; return a one-line summary."""
    figures = [f.as_json() for f in demo_figures()]
    accepted = duplicate = 0
    with httpx.Client(base_url=ingest_url, timeout=30.0) as client:
        for start in range(0, len(figures), batch):
            response = client.post(
                "/v1/submissions",
                json=figures[start : start + batch],
                headers={"Authorization": f"Bearer {key}"},
            )
            if response.status_code != 202:
                raise RuntimeError(f"demo load refused ({response.status_code}): {response.text}")
            answer = response.json()
            accepted += answer["accepted"] + answer["revised"]
            duplicate += answer["duplicate"]
    return f"{len(figures)} figures: {accepted} accepted, {duplicate} already there"
