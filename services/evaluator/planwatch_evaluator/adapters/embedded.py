"""The embedded sink: the shared SQLite series store (no InfluxDB needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from planwatch.tsstore import EmbeddedSeriesStore, Point

__all__ = ["EmbeddedSink"]


class EmbeddedSink:
    def __init__(self, path: Path) -> None:
        self.store = EmbeddedSeriesStore(path)

    def write(self, points: Sequence[Point]) -> None:
        self.store.write(points)

    def close(self) -> None:
        self.store.close()
