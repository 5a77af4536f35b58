"""Inputs and outputs of the trajectory assessment (the maths lives in ``assessment``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from planwatch.domain.events import Status

__all__ = ["Assessment", "AssessmentConfig", "Observation", "TierResult", "YearResult"]


class Observation(BaseModel):
    """One reported figure. A later ``vintage`` of the same period replaces an earlier one."""

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


class TierResult(BaseModel):
    """The verdict against one target value (one tier of one target year)."""

    model_config = ConfigDict(frozen=True)
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


class YearResult(BaseModel):
    model_config = ConfigDict(frozen=True)
    year: int
    status: Status
    tiers: dict[str, TierResult] = Field(default_factory=dict)  # key: tier or "none"


class Assessment(BaseModel):
    """Headline verdict for one (indicator, jurisdiction), plus per-tier and per-year results."""

    model_config = ConfigDict(frozen=True)
    status: Status
    progress_ratio: float | None
    planned: float | None
    gap: float | None
    gap_pct: float | None
    projected: float | None
    projected_share: float | None
    method: str  # which formula: "cagr_ratio", "linear_ratio", "cumulative", "band", …
    target_year: int | None
    target_value: float | None
    tier: str | None  # the tier of the headline status
    latest_period: str | None
    latest_value: float | None
    baseline_year: float | None
    baseline_value: float | None
    tiers: dict[str, TierResult] = Field(default_factory=dict)  # headline year, by tier
    years: list[YearResult] = Field(default_factory=list)  # every target year
    explanation_zh: str = ""
    explanation_en: str = ""
    notes: list[str] = Field(default_factory=list)  # e.g. "base is zero: linear method used"
