"""What the board reads: the evaluator's time series (docs/timeseries.md), behind one port.

Rows carry the fields of their measurement under the names of docs/timeseries.md, plus
``time`` (aware UTC datetime) and ``tags``. Adapters: ``adapters.embedded`` (the SQLite store
of the embedded default) and ``adapters.influxql`` (InfluxDB's ``/query``, 1.x or 2.x via DBRP).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

__all__ = ["AlertsReader", "Row", "SeriesReader"]

Row = dict[str, Any]


class SeriesReader(Protocol):
    def latest(self, measurement: str) -> dict[str, Row]:
        """The newest point of ``measurement`` for each ``indicator_id``."""
        ...

    def observations(self, indicator_id: str) -> list[tuple[datetime, float]]:
        """Observed values of one indicator, oldest first (time = end of the period)."""
        ...


class AlertsReader(Protocol):
    def alerts(self, **params: str) -> list[dict[str, Any]] | None:
        """Alerts as the alerts API lists them (with their ``responses``), filtered by
        ``indicator_id``, ``plan`` or ``jurisdiction``; None when they cannot be read."""
        ...
