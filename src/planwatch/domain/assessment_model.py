"""Inputs and outputs of the trajectory assessment (the maths lives in ``assessment``).

The inputs are pydantic models (they validate what arrives from outside). The results are
slotted dataclasses: an evaluator builds tens of thousands per second, and validation of values
the assessment itself computed would only cost time. ``to_dict()`` gives the JSON-ready form
(the same keys and values ``pydantic``'s ``model_dump(mode="json")`` gave), ``from_dict()``
reads it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from planwatch.domain.events import Status

__all__ = [
    "Assessment",
    "AssessmentConfig",
    "Observation",
    "TierResult",
    "YearResult",
    "headline_tier",
]

T = TypeVar("T")


def headline_tier(tiers: Mapping[str, T]) -> T | None:
    """The tier a target year's headline speaks for: the binding one (约束值) when the plan
    gives tiers, else the only target (``none``), else the first; None without any. For
    ``TierResult`` objects and for their ``to_dict()`` form alike."""
    return tiers.get("binding") or tiers.get("none") or next(iter(tiers.values()), None)


class Observation(BaseModel):
    """One reported figure. A later ``vintage`` of the same period replaces an earlier one.

    ``assess`` reads only the three attributes, so any object that has them (a named tuple)
    will do where building models would cost more than the assessment.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    period: str  # YYYY, YYYY-Qn or YYYY-MM (year to date)
    value: float
    vintage: int = 1


class AssessmentConfig(BaseModel):
    """Thresholds of the progress ratio (Eurostat / Open SDG); configuration, not code."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    on_track: float = 0.95
    needs_acceleration: float = 0.6
    limited_progress: float = 0.0
    maintain_tolerance_pct: float = 5.0  # default band half-width for 左右 / 保持在…左右
    projection_window: int = 3  # recent observations used for the trend projection
    planned_path: str = "linear"  # "linear" or "compound": the planned path of level targets
    # days after a year's end by which its figure is published: later, a target year without
    # a figure is complete (its verdict final); the evaluator's annual due date is the same
    publication_lag_days: int = 90


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass(slots=True, kw_only=True)
class TierResult:
    """The verdict against one target value (one tier of one target year)."""

    year: int
    tier: str | None
    target: float
    target_max: float | None = None
    status: Status
    progress_ratio: float | None
    planned: float | None
    gap: float | None  # observed - planned (direction-aware sign: negative means behind)
    gap_pct: float | None
    projected: float | None
    projected_share: float | None  # share of the remaining distance the projection covers
    method: str
    final: bool = False  # the target year is complete: the verdict no later figure changes
    # the pace needed from the latest figure to the target by its year (open verdicts only):
    # a yearly growth in % (levels that grow), or a yearly addition in the unit (counts, ranks)
    required_growth_pct: float | None = None
    required_per_year: float | None = None
    # a final verdict: the year's own figure as the kind measures it (the total since the plan
    # start for a running total, the places gained for a rank gain)
    observed: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "tier": self.tier,
            "target": self.target,
            "target_max": self.target_max,
            "status": self.status.value,
            "progress_ratio": self.progress_ratio,
            "planned": self.planned,
            "gap": self.gap,
            "gap_pct": self.gap_pct,
            "projected": self.projected,
            "projected_share": self.projected_share,
            "method": self.method,
            "final": self.final,
            "required_growth_pct": self.required_growth_pct,
            "required_per_year": self.required_per_year,
            "observed": self.observed,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TierResult:
        return cls(
            year=int(data["year"]),
            tier=data.get("tier"),
            target=float(data["target"]),
            target_max=_opt_float(data.get("target_max")),
            status=Status(data["status"]),
            progress_ratio=_opt_float(data.get("progress_ratio")),
            planned=_opt_float(data.get("planned")),
            gap=_opt_float(data.get("gap")),
            gap_pct=_opt_float(data.get("gap_pct")),
            projected=_opt_float(data.get("projected")),
            projected_share=_opt_float(data.get("projected_share")),
            method=str(data["method"]),
            final=bool(data.get("final", False)),
            required_growth_pct=_opt_float(data.get("required_growth_pct")),
            required_per_year=_opt_float(data.get("required_per_year")),
            observed=_opt_float(data.get("observed")),
        )


@dataclass(slots=True, kw_only=True)
class YearResult:
    year: int
    status: Status
    tiers: dict[str, TierResult] = field(default_factory=dict)  # key: tier or "none"

    def to_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "status": self.status.value,
            "tiers": {k: t.to_dict() for k, t in self.tiers.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> YearResult:
        return cls(
            year=int(data["year"]),
            status=Status(data["status"]),
            tiers={k: TierResult.from_dict(v) for k, v in (data.get("tiers") or {}).items()},
        )


@dataclass(slots=True, kw_only=True)
class Assessment:
    """Headline verdict for one (indicator, jurisdiction), plus per-tier and per-year results."""

    status: Status
    progress_ratio: float | None
    planned: float | None
    gap: float | None
    gap_pct: float | None
    projected: float | None
    projected_share: float | None
    method: str  # which formula: "cagr_ratio", "linear_ratio", "yearly_pace", "band", …
    target_year: int | None
    target_value: float | None
    tier: str | None  # the tier of the headline status
    latest_period: str | None
    latest_value: float | None
    baseline_year: float | None
    baseline_value: float | None
    tiers: dict[str, TierResult] = field(default_factory=dict)  # headline year, by tier
    years: list[YearResult] = field(default_factory=list)  # every target year
    explanation_zh: str = ""
    explanation_en: str = ""
    notes: list[str] = field(default_factory=list)  # e.g. "base is zero: linear method used"

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status.value,
            "progress_ratio": self.progress_ratio,
            "planned": self.planned,
            "gap": self.gap,
            "gap_pct": self.gap_pct,
            "projected": self.projected,
            "projected_share": self.projected_share,
            "method": self.method,
            "target_year": self.target_year,
            "target_value": self.target_value,
            "tier": self.tier,
            "latest_period": self.latest_period,
            "latest_value": self.latest_value,
            "baseline_year": self.baseline_year,
            "baseline_value": self.baseline_value,
            "tiers": {k: t.to_dict() for k, t in self.tiers.items()},
            "years": [y.to_dict() for y in self.years],
            "explanation_zh": self.explanation_zh,
            "explanation_en": self.explanation_en,
            "notes": list(self.notes),
        }

    def model_dump(self, mode: str = "json") -> dict[str, Any]:
        """The former pydantic spelling of ``to_dict``, kept for callers written against it."""
        return self.to_dict()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Assessment:
        year = data.get("target_year")
        return cls(
            status=Status(data["status"]),
            progress_ratio=_opt_float(data.get("progress_ratio")),
            planned=_opt_float(data.get("planned")),
            gap=_opt_float(data.get("gap")),
            gap_pct=_opt_float(data.get("gap_pct")),
            projected=_opt_float(data.get("projected")),
            projected_share=_opt_float(data.get("projected_share")),
            method=str(data["method"]),
            target_year=None if year is None else int(year),
            target_value=_opt_float(data.get("target_value")),
            tier=data.get("tier"),
            latest_period=data.get("latest_period"),
            latest_value=_opt_float(data.get("latest_value")),
            baseline_year=_opt_float(data.get("baseline_year")),
            baseline_value=_opt_float(data.get("baseline_value")),
            tiers={k: TierResult.from_dict(v) for k, v in (data.get("tiers") or {}).items()},
            years=[YearResult.from_dict(y) for y in data.get("years") or ()],
            explanation_zh=str(data.get("explanation_zh", "")),
            explanation_en=str(data.get("explanation_en", "")),
            notes=[str(n) for n in data.get("notes") or ()],
        )
