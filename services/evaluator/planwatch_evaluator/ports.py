"""The evaluator's one port: where time series go (InfluxDB or the embedded store)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from planwatch.tsstore import Point

__all__ = ["SeriesSink"]


class SeriesSink(Protocol):
    def write(self, points: Sequence[Point]) -> None:
        """Store a batch; writing a point again (same series and time) replaces it."""

    def close(self) -> None: ...
