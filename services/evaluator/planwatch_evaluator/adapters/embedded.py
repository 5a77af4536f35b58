"""The embedded sink: the shared SQLite series store (no InfluxDB needed)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

from planwatch.tsstore import EmbeddedSeriesStore, Point

__all__ = ["EmbeddedSink"]


class EmbeddedSink:
    def __init__(self, path: Path) -> None:
        self.store = EmbeddedSeriesStore(path)

    def write(self, points: Sequence[Point]) -> None:
        self.store.write(points)

    def ping(self) -> None:
        """The database file is there, opens for writing and holds the points table.

        A connection of its own, opened now: the writer's connection keeps its file open, so a
        file deleted, replaced or made unwritable under it would go unnoticed there (its writes
        would even succeed, into a file no reader sees again).
        """
        uri = f"{self.store.path.resolve().as_uri()}?mode=rw"
        with closing(sqlite3.connect(uri, uri=True, timeout=2)) as conn:
            conn.execute("select 1 from point limit 1").fetchall()

    def close(self) -> None:
        self.store.close()
