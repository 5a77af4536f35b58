"""Status changes and routing files for alerts tests (the evaluator's output, made by hand)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from planwatch.domain.events import Status, StatusChange

__all__ = ["ROUTES", "Clock", "status_change", "write_routes"]

ROUTES: dict[str, Any] = {
    "route": {
        "receiver": "lead-agency",
        "group_by": ["agency"],
        "group_wait": "30s",
        "group_interval": "5m",
        "repeat_interval": "24h",
    },
    "default_email": "{agency_id}@agencies.invalid",
    "contacts": {"甘肃省统计局": {"email": ["tjj@gansu.invalid"]}},
    "inhibit_rules": [
        {
            "source_match": {"type": "overdue"},
            "target_match": {"type": "offtrack"},
            "equal": ["indicator", "jurisdiction"],
        }
    ],
    "escalation": {"after": "72h", "severities": ["critical"], "receiver": "supervisor"},
    "receivers": [{"name": "supervisor", "email": ["duchaban@agencies.invalid"]}],
}


def write_routes(path: Path, **changes: Any) -> Path:
    """ROUTES with top-level keys replaced, written as YAML."""
    path.write_text(yaml.safe_dump({**ROUTES, **changes}, allow_unicode=True), encoding="utf-8")
    return path


class Clock:
    """An injected clock the test moves by hand."""

    def __init__(self, start: datetime = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


def status_change(
    to: Status,
    indicator: str = "gsbase-rd-expenditure",
    tier: str | None = "binding",
    reason: str = "assessment",
    jurisdiction: str = "甘肃省",
    latest_period: str = "2025",
    **kw: Any,
) -> StatusChange:
    values: dict[str, Any] = dict(
        catalog_version="v",
        indicator_id=indicator,
        jurisdiction=jurisdiction,
        plan_code="gsbase",
        from_status=None,
        to_status=to,
        tier=tier,
        reason=reason,
        assessment={
            "status": to.value,
            "target_year": 2025,
            "target_value": 180.0,
            "latest_period": latest_period,
            "latest_value": 150.0,
            "planned": 180.0,
            "gap": -30.0,
            "gap_pct": -16.7,
            "projected": 150.0,
            "tier": tier,
        },
        target={
            "id": indicator,
            "indicator": "全社会研究与试验发展(R&D)经费投入",
            "indicator_en": "Gross domestic expenditure on R&D",
            "unit": "亿元",
            "source_quote": "全社会研究与试验发展(R&D)经费投入达到180亿元",
        },
        lead_agencies=("省科技厅",),
        responsible_agencies=("省科技厅", "省财政厅"),
    )
    values.update(kw)
    return StatusChange(**values)
