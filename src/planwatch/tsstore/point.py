"""One time-series point, and its InfluxDB line-protocol form."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["Point"]


def _escape_tag(text: str) -> str:
    return text.replace("\\", "\\\\").replace(",", r"\,").replace("=", r"\=").replace(" ", r"\ ")


def _field(value: float | int | str | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}i"
    if isinstance(value, float):
        return repr(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass(frozen=True, slots=True)
class Point:
    measurement: str
    tags: tuple[tuple[str, str], ...]  # sorted (key, value) pairs
    fields: dict[str, float | int | str | bool] = field(hash=False)
    time: datetime  # aware, UTC

    @classmethod
    def make(
        cls, measurement: str, tags: dict[str, str], fields: dict[str, object], time: datetime
    ) -> Point:
        return cls.with_sorted_tags(measurement, tuple(sorted(tags.items())), fields, time)

    @classmethod
    def with_sorted_tags(
        cls,
        measurement: str,
        tags: tuple[tuple[str, str], ...],
        fields: dict[str, object],
        time: datetime,
    ) -> Point:
        """``make`` for tag pairs already sorted (a caller that reuses them per series)."""
        # None and non-finite numbers are left out: line protocol has no null, NaN or infinity
        clean = {
            k: v
            for k, v in fields.items()
            if v is not None and not (isinstance(v, float) and not math.isfinite(v))
        }
        return cls(measurement, tags, clean, time)  # type: ignore[arg-type]

    @property
    def tag_dict(self) -> dict[str, str]:
        return dict(self.tags)

    @property
    def time_ns(self) -> int:
        return int(self.time.timestamp()) * 1_000_000_000 + self.time.microsecond * 1000

    def to_line_protocol(self) -> str:
        tags = "".join(f",{_escape_tag(k)}={_escape_tag(v)}" for k, v in self.tags if v != "")
        fields = ",".join(f"{_escape_tag(k)}={_field(v)}" for k, v in self.fields.items())
        return f"{_escape_tag(self.measurement)}{tags} {fields} {self.time_ns}"
