"""The embedded time-series store: SQLite on disk, one row per point.

A point is identified by measurement, tag set and time, as in InfluxDB: writing it again (a
revision, or a batch rewritten after a failed attempt) replaces its fields instead of adding a
point. WAL mode lets the board read while the evaluator writes.

Reading: ``query`` (all points of a measurement, filtered by tags and time, oldest first) and
``latest`` (the newest one); each row is ``{"time": datetime, "tags": {...}, **fields}``.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from planwatch.tsstore.point import Point

__all__ = ["EmbeddedSeriesStore", "Row"]

Row = dict[str, Any]  # {"time": datetime, "tags": {...}, **fields}

_SCHEMA = """
create table if not exists series (
    id integer primary key,
    measurement text not null,
    tags text not null,           -- the tag set: JSON list of sorted [key, value] pairs
    unique (measurement, tags)
);
create table if not exists point (
    series_id integer not null references series (id),
    time_ns integer not null,
    fields text not null,         -- JSON object
    primary key (series_id, time_ns)
) without rowid;
"""
# the first layout kept the tag set in every row's key: about half the write speed
_LEGACY = """
insert or ignore into series (measurement, tags) select distinct measurement, series from points;
insert or replace into point
    select s.id, p.time_ns, p.fields from points p
    join series s on s.measurement = p.measurement and s.tags = p.series;
drop table points;
"""


@lru_cache(maxsize=65536)
def _series(tags: tuple[tuple[str, str], ...]) -> str:
    # a few hundred series repeat across millions of points: serialise each once
    return json.dumps(tags, ensure_ascii=False)


def _tag_needle(key: str, value: str) -> str:
    """The exact text of one [key, value] pair inside a serialised series.

    JSON escaping makes this unambiguous: a quote inside a value is written ``\\"``, so the
    needle cannot match across pairs. It narrows the scan in SQL; rows are still checked.
    """
    return json.dumps([key, value], ensure_ascii=False)


def _ns(when: datetime) -> int:
    return int(when.timestamp()) * 1_000_000_000 + when.microsecond * 1000


class EmbeddedSeriesStore:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._ids: dict[tuple[str, tuple[tuple[str, str], ...]], int] = {}
        conn = self._conn()
        conn.executescript(_SCHEMA)
        legacy = "select 1 from sqlite_master where type = 'table' and name = 'points'"
        if conn.execute(legacy).fetchone():
            conn.executescript(f"begin; {_LEGACY} commit;")

    def _conn(self) -> sqlite3.Connection:
        # one connection per thread: the evaluator writes from a worker thread, readers elsewhere
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            conn.execute("pragma journal_mode=wal")
            conn.execute("pragma synchronous=normal")
            self._local.conn = conn
        return conn

    def _series_id(self, conn: sqlite3.Connection, point: Point) -> int:
        key = (point.measurement, point.tags)
        found = self._ids.get(key)
        if found is None:
            tags = _series(point.tags)
            conn.execute(
                "insert or ignore into series (measurement, tags) values (?, ?)",
                (point.measurement, tags),
            )
            (found,) = conn.execute(
                "select id from series where measurement = ? and tags = ?",
                (point.measurement, tags),
            ).fetchone()
            self._ids[key] = found
        return found

    def write(self, points: Sequence[Point]) -> None:
        """Write a batch in one transaction; a point with the same series and time is replaced."""
        if not points:
            return
        conn = self._conn()
        conn.execute("begin")
        try:
            rows = [
                (self._series_id(conn, p), p.time_ns, orjson.dumps(p.fields).decode())
                for p in points
            ]
            conn.executemany("insert or replace into point values (?, ?, ?)", rows)
            conn.execute("commit")
        except BaseException:
            conn.execute("rollback")
            self._ids.clear()  # ids of series inserted by the rolled-back transaction are gone
            raise

    def _select(
        self,
        measurement: str,
        where_tags: dict[str, str] | None,
        since: datetime | None,
        until: datetime | None,
        newest_first: bool,
        limit: int | None,
    ) -> Iterable[tuple[str, int, str]]:
        sql = (
            "select s.tags, p.time_ns, p.fields from point p join series s on s.id = p.series_id"
            " where s.measurement = ?"
        )
        args: list[Any] = [measurement]
        for key, value in (where_tags or {}).items():
            sql += " and instr(s.tags, ?) > 0"
            args.append(_tag_needle(key, value))
        if since is not None:
            sql += " and p.time_ns >= ?"
            args.append(_ns(since))
        if until is not None:
            sql += " and p.time_ns <= ?"
            args.append(_ns(until))
        sql += " order by p.time_ns desc" if newest_first else " order by p.time_ns"
        if limit is not None:
            sql += f" limit {int(limit)}"
        return self._conn().execute(sql, args)

    @staticmethod
    def _row(series: str, time_ns: int, fields: str, wanted: Sequence[str] | None) -> Row:
        row: Row = {
            "time": datetime.fromtimestamp(time_ns / 1e9, UTC),
            "tags": dict(json.loads(series)),
        }
        values = json.loads(fields)
        if wanted is None:
            row.update(values)
        else:
            row.update({name: values.get(name) for name in wanted})
        return row

    def query(
        self,
        measurement: str,
        where_tags: dict[str, str] | None = None,
        fields: Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Row]:
        """Points of a measurement whose tags include ``where_tags``, oldest first.

        ``fields`` picks fields (a missing one reads as None); ``since``/``until`` bound the
        point time, both inclusive.
        """
        wanted = (where_tags or {}).items()
        out: list[Row] = []
        for series, time_ns, values in self._select(
            measurement, where_tags, since, until, newest_first=False, limit=None
        ):
            row = self._row(series, time_ns, values, fields)
            if all(row["tags"].get(k) == v for k, v in wanted):
                out.append(row)
        return out

    def latest(
        self,
        measurement: str,
        where_tags: dict[str, str] | None = None,
        fields: Sequence[str] | None = None,
    ) -> Row | None:
        """The newest point of a measurement whose tags include ``where_tags`` (None if none)."""
        wanted = (where_tags or {}).items()
        for series, time_ns, values in self._select(
            measurement, where_tags, None, None, newest_first=True, limit=None
        ):
            row = self._row(series, time_ns, values, fields)
            if all(row["tags"].get(k) == v for k, v in wanted):
                return row
        return None

    def latest_by(self, measurement: str, tag_keys: Iterable[str]) -> dict[tuple[str, ...], Row]:
        """The newest point of each series grouped by ``tag_keys`` (e.g. per indicator)."""
        keys = tuple(tag_keys)
        out: dict[tuple[str, ...], Row] = {}
        for row in self.query(measurement):
            out[tuple(row["tags"].get(k, "") for k in keys)] = row
        return out

    def points(self, measurement: str | None = None) -> Iterator[Point]:
        """Every stored point (of one measurement, if given) as a ``Point``: to export or copy."""
        sql = (
            "select s.measurement, s.tags, p.time_ns, p.fields"
            " from point p join series s on s.id = p.series_id"
        )
        args: list[Any] = []
        if measurement is not None:
            sql += " where s.measurement = ?"
            args.append(measurement)
        for name, series, time_ns, fields in self._conn().execute(sql + " order by 1, 2, 3", args):
            seconds, nanos = divmod(time_ns, 1_000_000_000)
            when = datetime.fromtimestamp(seconds, UTC).replace(microsecond=nanos // 1000)
            tags = tuple((k, v) for k, v in json.loads(series))
            yield Point(name, tags, json.loads(fields), when)

    def measurements(self) -> list[str]:
        rows = self._conn().execute(
            "select distinct s.measurement from series s"
            " where exists (select 1 from point p where p.series_id = s.id) order by 1"
        )
        return [name for (name,) in rows]

    def count(self, measurement: str) -> int:
        (n,) = (
            self._conn()
            .execute(
                "select count(*) from point p join series s on s.id = p.series_id"
                " where s.measurement = ?",
                (measurement,),
            )
            .fetchone()
        )
        return int(n)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
