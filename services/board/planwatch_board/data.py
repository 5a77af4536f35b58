"""What the board shows, read from the embedded series store and the catalog."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from planwatch.catalog import Catalog
from planwatch.domain.model import CatalogEntry
from planwatch.tsstore import EmbeddedSeriesStore

__all__ = ["STATUS_COLOURS", "STATUS_ZH", "BoardData", "IndicatorView"]

STATUS_COLOURS = {
    "achieved": "#1a7f37",
    "on_track": "#2da44e",
    "needs_acceleration": "#d4a72c",
    "limited_progress": "#e16f24",
    "deterioration": "#cf222e",
    "no_data": "#8c959f",
    "overdue": "#8250df",
}
STATUS_ZH = {
    "achieved": "已达标",
    "on_track": "进度正常",
    "needs_acceleration": "需加快",
    "limited_progress": "进展有限",
    "deterioration": "倒退",
    "no_data": "暂无数据",
    "overdue": "数据逾期",
}


@dataclass
class IndicatorView:
    entry: CatalogEntry
    status: str = "no_data"
    latest: dict[str, Any] | None = None
    observations: list[tuple[datetime, float]] = field(default_factory=list)
    overdue: str | None = None


class BoardData:
    def __init__(self, catalog: Catalog, store_path: Path) -> None:
        self.catalog = catalog
        self.store_path = store_path

    def _store(self) -> EmbeddedSeriesStore | None:
        return EmbeddedSeriesStore(self.store_path) if self.store_path.exists() else None

    def overview(self) -> list[IndicatorView]:
        store = self._store()
        latest = store.latest_by("assessment", ("indicator_id",)) if store else {}
        overdue = store.latest_by("overdue", ("indicator_id",)) if store else {}
        views = []
        for entry in self.catalog:
            row = latest.get((entry.id,))
            view = IndicatorView(entry, row["status"] if row else "no_data", row)
            if (entry.id,) in overdue:
                view.overdue = overdue[(entry.id,)].get("period")
            views.append(view)
        return views

    def indicator(self, entry: CatalogEntry) -> IndicatorView:
        store = self._store()
        view = IndicatorView(entry)
        if store is None:
            return view
        tags = {"indicator_id": entry.id}
        view.observations = [(r["time"], r["value"]) for r in store.query("observation", tags)]
        view.latest = store.latest("assessment", tags)
        if view.latest:
            view.status = view.latest["status"]
        return view
