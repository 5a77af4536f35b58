"""The embedded time-series store: SQLite on disk, one row per point.

A point is identified by measurement, tag set and time, as in InfluxDB: writing it again (a
revision) replaces its fields instead of adding a point. WAL mode lets the board read while the
evaluator writes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from planwatch.tsstore.point import Point

__all__ = ["EmbeddedSeriesStore", "Row"]

Row = dict[str, Any]  # {"time": datetime, "tags": {...}, **fields}

_SCHEMA = """
create table if not exists points (
    measurement text not null,
    series text not null,         -- the tag set, as sorted JSON
    time_ns integer not null,
    fields text not null,         -- JSON object
    primary key (measurement, series, time_ns)
) without rowid;
"""


class EmbeddedSeriesStore:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with self._conn() as conn:
            conn.executescript(_SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("pragma journal_mode=wal")
            conn.execute("pragma synchronous=normal")
            self._local.conn = conn
        return conn

    def write(self, points: Sequence[Point]) -> None:
        """Write a batch in one transaction; a point with the same series and time is replaced."""
        if not points:
            return
        rows = [
            (
                p.measurement,
                json.dumps(p.tags, ensure_ascii=False),
                p.time_ns,
                json.dumps(p.fields, ensure_ascii=False),
            )
            for p in points
        ]
        conn = self._conn()
        conn.execute("begin")
        try:
            conn.executemany("insert or replace into points values (?, ?, ?, ?)", rows)
            conn.execute("commit")
        except BaseException:
            conn.execute("rollback")
            raise

    def query(
        self,
        measurement: str,
        where_tags: dict[str, str] | None = None,
        since: datetime | None = None,
    ) -> list[Row]:
        """All points of a measurement whose tags include ``where_tags``, oldest first."""
        sql = "select series, time_ns, fields from points where measurement = ?"
        args: list[Any] = [measurement]
        if since is not None:
            sql += " and time_ns >= ?"
            args.append(int(since.timestamp() * 1e9))
        sql += " order by time_ns"
        wanted = (where_tags or {}).items()
        out: list[Row] = []
        for series, time_ns, fields in self._conn().execute(sql, args):
            tags = dict(json.loads(series))
            if all(tags.get(k) == v for k, v in wanted):
                row: Row = {"time": datetime.fromtimestamp(time_ns / 1e9, UTC), "tags": tags}
                row.update(json.loads(fields))
                out.append(row)
        return out

    def latest(self, measurement: str, where_tags: dict[str, str] | None = None) -> Row | None:
        rows = self.query(measurement, where_tags)
        return rows[-1] if rows else None

    def latest_by(self, measurement: str, tag_keys: Iterable[str]) -> dict[tuple[str, ...], Row]:
        """The newest point of each series grouped by ``tag_keys`` (e.g. per indicator)."""
        keys = tuple(tag_keys)
        out: dict[tuple[str, ...], Row] = {}
        for row in self.query(measurement):
            out[tuple(row["tags"].get(k, "") for k in keys)] = row
        return out

    def count(self, measurement: str) -> int:
        (n,) = (
            self._conn()
            .execute("select count(*) from points where measurement = ?", (measurement,))
            .fetchone()
        )
        return int(n)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
