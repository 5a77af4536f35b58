"""The board's reader over InfluxDB's ``/query`` (InfluxQL): 1.x, 2.x through DBRP, 3.x."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from planwatch_board.ports import Row

__all__ = ["InfluxQLReader"]


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class InfluxQLReader:
    def __init__(
        self, url: str, database: str, token: str | None = None, timeout: float = 10.0
    ) -> None:
        headers = {"Authorization": f"Token {token}"} if token else {}
        self._client = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=timeout)
        self.database = database

    def _series(self, query: str) -> list[dict[str, Any]]:
        answer = self._client.post(
            "/query", params={"db": self.database, "q": query, "epoch": "ns"}
        )
        answer.raise_for_status()
        result = answer.json()["results"][0]
        if "error" in result:
            raise RuntimeError(f"InfluxQL error: {result['error']} (query: {query})")
        return list(result.get("series", []))

    @staticmethod
    def _rows(series: dict[str, Any]) -> list[Row]:
        rows = []
        for values in series["values"]:
            row: Row = dict(zip(series["columns"], values, strict=True))
            row["time"] = datetime.fromtimestamp(row["time"] / 1e9, UTC)
            row["tags"] = dict(series.get("tags") or {})
            rows.append(row)
        return rows

    def latest(self, measurement: str) -> dict[str, Row]:
        # SELECT * with LIMIT 1 returns the newest point whole; last() per field would mix
        # fields of different points where the newest one leaves a field out
        query = f'SELECT * FROM "{measurement}" GROUP BY "indicator_id" ORDER BY time DESC LIMIT 1'
        out: dict[str, Row] = {}
        for series in self._series(query):
            [row] = self._rows(series)
            out[series["tags"]["indicator_id"]] = row
        return out

    def observations(self, indicator_id: str) -> list[tuple[datetime, float]]:
        query = f'SELECT "value" FROM "observation" WHERE "indicator_id" = {_quote(indicator_id)}'
        return [
            (row["time"], float(row["value"]))
            for series in self._series(query)
            for row in self._rows(series)
        ]

    def close(self) -> None:
        self._client.close()
