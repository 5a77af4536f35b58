"""The board's reader over the embedded store (``<data dir>/timeseries.db``)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from planwatch.tsstore import EmbeddedSeriesStore
from planwatch_board.ports import Row

__all__ = ["EmbeddedReader"]


class EmbeddedReader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._store: EmbeddedSeriesStore | None = None

    def _open(self) -> EmbeddedSeriesStore | None:
        # the evaluator creates the file on its first write: until then the board shows no data
        # instead of creating an empty database under the evaluator's feet
        if self._store is None and self.path.exists():
            self._store = EmbeddedSeriesStore(self.path)
        return self._store

    def latest(self, measurement: str) -> dict[str, Row]:
        store = self._open()
        if store is None:
            return {}
        return {key[0]: row for key, row in store.latest_by(measurement, ("indicator_id",)).items()}

    def observations(self, indicator_id: str) -> list[tuple[datetime, float]]:
        store = self._open()
        if store is None:
            return []
        rows = store.query("observation", {"indicator_id": indicator_id}, fields=("value",))
        return [(r["time"], float(r["value"])) for r in rows if r["value"] is not None]
