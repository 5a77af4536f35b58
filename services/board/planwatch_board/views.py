"""What the pages show, built from the catalog, the time series and the shared assessment.

Pure functions of their inputs: the verdicts come from the evaluator's points, the planned
path from ``planwatch.domain.assessment.assess``, so the board draws the same trajectory the
evaluator judges against.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from planwatch.catalog import Catalog
from planwatch.domain.assessment import assess
from planwatch.domain.assessment_model import Observation, TierResult
from planwatch.domain.model import CatalogEntry, Kind, Plan
from planwatch.domain.periods import Period, PeriodKind, parse_period
from planwatch.domain.status import STATUS_INFO, Status
from planwatch_board.ports import Row, SeriesReader

__all__ = [
    "STATUS_COLOURS",
    "STATUS_ZH",
    "IndicatorPage",
    "IndicatorStatus",
    "Overview",
    "indicator_page",
    "measured_series",
    "overview",
    "planned_path",
]

# one colour and Chinese name per status (planwatch.domain.status), shared by the overview
# badges and the chart, best to worst as the statuses are listed
STATUS_COLOURS = {s.value: STATUS_INFO[s].colour for s in Status}
STATUS_ZH = {s.value: STATUS_INFO[s].zh for s in Status}

Point2 = tuple[float, float]  # (decimal year, value)
_COUNTED_FROM_START = (Kind.CUMULATIVE, Kind.RANKING_CHANGE)


@dataclass
class IndicatorStatus:
    entry: CatalogEntry
    status: str = "no_data"
    latest: Row | None = None
    overdue_period: str | None = None  # a figure owed and still missing


@dataclass
class Overview:
    plans: list[tuple[Plan, list[tuple[str, list[IndicatorStatus]]]]]
    counts: list[tuple[str, int]]


@dataclass
class IndicatorPage:
    entry: CatalogEntry
    status: IndicatorStatus
    observed: list[Point2] = field(default_factory=list)
    planned: dict[str, list[Point2]] = field(default_factory=dict)  # by tier
    projection: tuple[Point2, Point2] | None = None  # from the last observation to target year
    # each target's verdict (year and tier) as of today, by the same ``assess`` the evaluator
    # runs on the figures as stored: a complete year's is final, on its own figure alone
    verdicts: list[TierResult] = field(default_factory=list)
    explanation: str | None = None  # the sentence of the assessment as of today


# The fields of an "assessment" point (docs/timeseries.md). The store leaves out a field that
# was None (line protocol has no null): a row read back lacks it, and the pages read it as None.
ASSESSMENT_FIELDS = (
    "observed",
    "planned",
    "gap",
    "gap_pct",
    "progress_ratio",
    "projected",
    "target",
    "target_year",
    "status",
    "status_code",
)


def _assessments(reader: SeriesReader) -> dict[str, Row]:
    """The latest assessment of each indicator, every field present (None where not stored)."""
    return {
        key: {**dict.fromkeys(ASSESSMENT_FIELDS), **row}
        for key, row in reader.latest("assessment").items()
    }


def _still_missing(overdue: Row | None, latest: Row | None) -> str | None:
    """The overdue period, unless a figure for it (or a later one) has since been assessed."""
    if overdue is None or not overdue.get("period"):
        return None
    owed = parse_period(str(overdue["period"])).end_date
    if latest is not None and latest["time"].date() >= owed:
        return None
    return str(overdue["period"])


def _status(
    entry: CatalogEntry, latest: dict[str, Row], overdue: dict[str, Row]
) -> IndicatorStatus:
    row = latest.get(entry.id)
    status = str(row["status"]) if row and row.get("status") else "no_data"
    return IndicatorStatus(entry, status, row, _still_missing(overdue.get(entry.id), row))


def overview(catalog: Catalog, reader: SeriesReader) -> Overview:
    latest, overdue = _assessments(reader), reader.latest("overdue")
    statuses = [_status(entry, latest, overdue) for entry in catalog]
    plans = []
    for code, plan in catalog.plans.items():
        groups: dict[str, list[IndicatorStatus]] = {}
        for s in statuses:
            if s.entry.plan_code == code:
                groups.setdefault(s.entry.jurisdiction, []).append(s)
        plans.append((plan, sorted(groups.items())))
    counts = Counter(s.status for s in statuses)
    counts.update("overdue" for s in statuses if s.overdue_period)
    return Overview(plans, [(s, counts[s]) for s in STATUS_COLOURS if counts[s]])


def _label(entry: CatalogEntry, when: date) -> str:
    """The period label of a point the evaluator stamped at the end of that period: the
    months up to ``when`` (year to date), by their canonical label for the entry's frequency
    (December is the year; a half year is ``YYYY-Q2``, or ``YYYY-06`` for a monthly entry)."""
    return Period(when.year, when.month, PeriodKind.MONTH).canonical(entry.frequency).label


def measured_series(entry: CatalogEntry, history: list[Observation]) -> list[Point2]:
    """The observed series as the assessment compares it with the targets.

    That is the reported figure for a level, and the running total (累计), the count since the
    plan start (新增) or the places gained (提升 N 位) for other kinds: ``assess`` of each
    prefix of the history gives it as ``latest_value``.
    """
    ordered = sorted(history, key=lambda o: parse_period(o.period))
    out = []
    for i, obs in enumerate(ordered):
        period = parse_period(obs.period)
        result = assess(entry, ordered[: i + 1], _due(period.end_date))
        # a figure the kind does not measure (a year-to-date one of a level) is shown as sent
        value = obs.value
        if result.latest_value is not None and result.latest_period == period.label:
            value = result.latest_value
        out.append((period.decimal_year, value))
    return out


def _due(end: date) -> date:
    # a figure is known by the end of the year after its period: judge it then, not earlier
    return date(end.year + 1, 12, 31)


def planned_path(entry: CatalogEntry, history: list[Observation]) -> dict[str, list[Point2]]:
    """The planned value at the end of each year, per tier, as ``assess`` computes it.

    The planned value at a year depends on the baseline and the year, not on the figure of
    that year: ``assess`` is asked about a stand-in figure at each year end, with the real
    earlier history (which supplies the baseline when the plan gives none), and only its
    ``planned`` values are kept. A path starts at the baseline ``assess`` used, if any.
    """
    paths: dict[str, list[Point2]] = {}
    for year in range(entry.first_year, entry.last_year + 1):
        earlier = [o for o in history if parse_period(o.period).year < year]
        stand_in = Observation(period=f"{year:04d}", value=0.0)  # the year end
        if not earlier and entry.baseline is None and entry.kind.value == "level":
            continue  # a level without a baseline takes its first figure as the baseline
        stand_ins = [stand_in]
        if entry.kind in _COUNTED_FROM_START:
            # the path of a running total or of places gained does not depend on the figures,
            # but needs every year from the start: a year missing is unknown, not 0
            reported = {o.period for o in earlier}
            stand_ins += [
                Observation(period=f"{y:04d}", value=0.0)
                for y in range(entry.start_year, year)
                if f"{y:04d}" not in reported
            ]
        result = assess(entry, [*earlier, *stand_ins], _due(date(year, 12, 31)))
        ahead = [y for y in result.years if y.year >= year]  # the target year governing it
        if not ahead:
            continue
        for tier, tier_result in ahead[0].tiers.items():
            if tier_result.planned is None:
                continue
            path = paths.get(tier)
            if path is None:
                path = paths[tier] = []
                if result.baseline_year is not None and result.baseline_value is not None:
                    path.append((result.baseline_year, result.baseline_value))
            path.append((float(year), tier_result.planned))
    return paths


def indicator_page(
    entry: CatalogEntry, reader: SeriesReader, today: date | None = None
) -> IndicatorPage:
    latest = _assessments(reader).get(entry.id)
    overdue = reader.latest("overdue").get(entry.id)
    status = IndicatorStatus(
        entry,
        str(latest["status"]) if latest and latest.get("status") else "no_data",
        latest,
        _still_missing(overdue, latest),
    )
    series: list[tuple[datetime, float]] = reader.observations(entry.id)
    history = [Observation(period=_label(entry, t.date()), value=v) for t, v in series]
    observed = measured_series(entry, history)
    page = IndicatorPage(entry, status, observed, planned_path(entry, history))
    if history:
        result = assess(entry, history, today or date.today())
        page.verdicts = [t for year in result.years for t in year.tiers.values()]
        page.explanation = result.explanation_zh
    if latest and observed and latest.get("projected") is not None and latest.get("target_year"):
        page.projection = (observed[-1], (float(latest["target_year"]), float(latest["projected"])))
    return page
