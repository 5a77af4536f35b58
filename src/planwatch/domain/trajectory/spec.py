"""``TargetSpec``: what ``planwatch assess`` accepts as a target (a catalog entry, loosely)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from planwatch.domain.model import Baseline, Direction, Kind, Target

__all__ = ["TargetSpec"]


class TargetSpec(BaseModel):
    """Kind, direction, unit, baseline and targets; the rest of a catalog entry is ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    id: str | None = None
    kind: Kind
    direction: Direction
    unit: str = ""
    baseline: Baseline | None = None
    targets: tuple[Target, ...] = Field(min_length=1)
    start_year: int | None = None  # default: the baseline year, else the first target year - 1
    tolerance_pct: float | None = None

    @property
    def target_years(self) -> tuple[int, ...]:
        return tuple(sorted({t.year for t in self.targets}))
