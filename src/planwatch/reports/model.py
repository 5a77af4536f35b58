"""What a 督查通报 says: the standing of a plan's (or a jurisdiction's) indicators at the end of a
reporting period, how it moved since the last report, and who owes an answer for what is behind.

Pure: the observed figures come through a function, the alerts (with the agencies' answers) as
the alerts API gives them. The verdict of each indicator at a period's end is
``planwatch.domain.assessment.assess`` of the figures known by then: the same judgement the
evaluator makes, so a report never disagrees with the board about the same date.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from planwatch.catalog import Catalog
from planwatch.domain.assessment import assess
from planwatch.domain.assessment_model import Observation
from planwatch.domain.model import CatalogEntry
from planwatch.domain.periods import Period, PeriodKind, parse_period

__all__ = [
    "BEHIND",
    "GROUPS",
    "GROUP_ZH",
    "BehindItem",
    "Observations",
    "Report",
    "ReportError",
    "build_report",
    "previous_period",
    "report_period",
]

# The four shares a report gives, and the statuses each gathers. "not_achieved" (未达标: the
# target year passed without the target) is judged by the evaluator where it knows it.
GROUPS = ("achieved", "on_track", "behind", "not_achieved", "no_data")
GROUP_ZH = {
    "achieved": "已达标",
    "on_track": "进度正常",
    "behind": "进度滞后",
    "not_achieved": "未达标",
    "no_data": "暂无数据",
}
BEHIND = ("needs_acceleration", "limited_progress", "deterioration")
STATUS_ZH = {
    "achieved": "已达标",
    "on_track": "进度正常",
    "needs_acceleration": "需加快进度",
    "limited_progress": "进展有限",
    "deterioration": "出现倒退",
    "not_achieved": "未达标",
    "no_data": "暂无数据",
}

# indicator id → its observed figures (time = end of the period, aware UTC), oldest first
Observations = Callable[[str], Sequence[tuple[datetime, float]]]


class ReportError(ValueError):
    """A report that cannot be made; the message names the option and the problem."""


def report_period(text: str) -> Period:
    """A reporting period: a quarter (2025-Q3) or a month (2025-07)."""
    try:
        period = parse_period(text)
    except ValueError as exc:
        raise ReportError(
            f"period: {text!r} is not a quarter (2025-Q3) or month (2025-07)"
        ) from exc
    if period.kind not in (PeriodKind.QUARTER, PeriodKind.MONTH):
        raise ReportError(f"period: {text!r} is not a quarter (2025-Q3) or month (2025-07)")
    return period


def previous_period(period: Period) -> Period:
    """The reporting period before ``period``, of the same length."""
    if period.kind is PeriodKind.QUARTER:
        quarter = period.months // 3
        year, quarter = (period.year, quarter - 1) if quarter > 1 else (period.year - 1, 4)
        return parse_period(f"{year}-Q{quarter}")
    year, month = (period.year, period.months - 1) if period.months > 1 else (period.year - 1, 12)
    return parse_period(f"{year}-{month:02d}")


@dataclass(frozen=True)
class Standing:
    entry: CatalogEntry
    status: str
    latest_period: str | None = None
    latest_value: float | None = None
    planned: float | None = None
    gap: float | None = None
    target_year: int | None = None
    target_value: float | None = None

    @property
    def group(self) -> str:
        if self.status in BEHIND:
            return "behind"
        return self.status if self.status in GROUPS else "no_data"


@dataclass(frozen=True)
class BehindItem:
    standing: Standing
    previous_status: str | None
    agencies: tuple[str, ...]  # lead agencies (responsible ones when the plan names no lead)
    answers: tuple[Mapping[str, Any], ...]  # the alert's responses, oldest first
    alert_opened: datetime | None
    days_unanswered: int | None  # since the alert opened, while nobody answered
    series: tuple[tuple[float, float], ...]  # (decimal year, value) for the chart


@dataclass
class Report:
    scope: str  # "plan" | "jurisdiction"
    title: str  # the plan's title, or the jurisdiction
    document_no: str | None
    jurisdiction: str | None
    period: Period
    previous: Period
    generated: datetime
    standings: list[Standing]
    before: list[Standing]
    behind: list[BehindItem] = field(default_factory=list)
    alerts_read: bool = True  # False: the answers could not be read (no alerts source)

    def counts(self, which: str = "now") -> dict[str, int]:
        rows = self.standings if which == "now" else self.before
        found = dict.fromkeys(GROUPS, 0)
        for s in rows:
            found[s.group] += 1
        return found

    def shares(self) -> dict[str, float]:
        total = len(self.standings) or 1
        return {g: n / total for g, n in self.counts().items()}

    def movement(self) -> dict[str, int]:
        now, before = self.counts(), self.counts("before")
        return {g: now[g] - before[g] for g in GROUPS}

    @property
    def period_zh(self) -> str:
        p = self.period
        if p.kind is PeriodKind.QUARTER:
            return f"{p.year}年第{'一二三四'[p.months // 3 - 1]}季度"
        return f"{p.year}年{p.months}月"


def _history(entry: CatalogEntry, series: Sequence[tuple[datetime, float]], until: date) -> list:
    out = []
    for when, value in series:
        if when.date() > until:
            continue
        label = Period(when.year, when.month, PeriodKind.MONTH).canonical(entry.frequency).label
        out.append(Observation(period=label, value=value))
    return out


def _standing(entry: CatalogEntry, series: Sequence[tuple[datetime, float]], at: date) -> Standing:
    history = _history(entry, series, at)
    if not history:
        return Standing(entry, "no_data")
    result = assess(entry, history, at)
    return Standing(
        entry,
        result.status.value,
        result.latest_period,
        result.latest_value,
        result.planned,
        result.gap,
        result.target_year,
        result.target_value,
    )


def _latest_alert(alerts: Sequence[Mapping[str, Any]], entry: CatalogEntry) -> Mapping | None:
    mine = [
        a
        for a in alerts
        if a.get("indicator_id") == entry.id and a.get("jurisdiction") == entry.jurisdiction
    ]
    return max(mine, key=lambda a: str(a.get("opened_at") or ""), default=None)


def _when(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def build_report(
    catalog: Catalog,
    period: Period,
    observations: Observations,
    alerts: Sequence[Mapping[str, Any]] | None,
    now: datetime,
    plan: str | None = None,
    jurisdiction: str | None = None,
) -> Report:
    """The report of one plan (``plan``) or one jurisdiction (``jurisdiction``) at ``period``."""
    if (plan is None) == (jurisdiction is None):
        raise ReportError("plan/jurisdiction: give exactly one of them")
    if plan is not None:
        found = catalog.plans.get(plan)
        if found is None:
            known = ", ".join(sorted(catalog.plans))
            raise ReportError(f"plan: no plan {plan!r} in the catalog (plans: {known})")
        entries = [e for e in catalog if e.plan_code == plan]
        title, document_no, where = found.title, found.document_no, found.jurisdiction
    else:
        entries = [e for e in catalog if e.jurisdiction == jurisdiction]
        if not entries:
            raise ReportError(f"jurisdiction: no indicator of {jurisdiction!r} in the catalog")
        title, document_no, where = f"{jurisdiction}科技规划指标", None, str(jurisdiction)
    previous = previous_period(period)
    standings: list[Standing] = []
    before: list[Standing] = []
    behind: list[BehindItem] = []
    for entry in entries:
        series = list(observations(entry.id))
        now_standing = _standing(entry, series, period.end_date)
        before_standing = _standing(entry, series, previous.end_date)
        standings.append(now_standing)
        before.append(before_standing)
        if now_standing.group != "behind":
            continue
        alert = _latest_alert(alerts or [], entry)
        answers = tuple(alert.get("responses") or []) if alert else ()
        opened = _when(alert.get("opened_at")) if alert else None
        unanswered = (now.date() - opened.date()).days if opened and not answers else None
        history = _history(entry, series, period.end_date)
        # as the alert addressed them; else as the alerts service would (the plan's lead, its
        # responsible agencies, or the jurisdiction's S&T authority for a goals paragraph)
        agencies = tuple(alert.get("agencies") or ()) if alert else ()
        agencies = (
            agencies
            or entry.lead_agencies
            or entry.responsible_agencies
            or (f"{entry.jurisdiction}科技主管部门",)
        )
        behind.append(
            BehindItem(
                standing=now_standing,
                previous_status=before_standing.status,
                agencies=agencies,
                answers=answers,
                alert_opened=opened,
                days_unanswered=unanswered,
                series=tuple((parse_period(o.period).decimal_year, o.value) for o in history),
            )
        )
    return Report(
        scope="plan" if plan is not None else "jurisdiction",
        title=title,
        document_no=document_no,
        jurisdiction=where,
        period=period,
        previous=previous,
        generated=now,
        standings=standings,
        before=before,
        behind=behind,
        alerts_read=alerts is not None,
    )
