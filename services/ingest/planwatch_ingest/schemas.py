"""Documented shapes of the API (OpenAPI); the hot path builds the same JSON without models."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ConversionOut", "RowResult", "SubmissionAnswer", "SubmissionIn"]


class SubmissionIn(BaseModel):
    """One figure as a bureau sends it."""

    model_config = ConfigDict(extra="forbid")

    indicator_id: str = Field(description="an `id` of `planwatch catalog export`")
    jurisdiction: str | None = Field(None, description="left out: the indicator's jurisdiction")
    period: str = Field(description="YYYY, YYYY-Qn or YYYY-MM (year to date)", examples=["2024"])
    value: float
    unit: str | None = Field(None, description="left out: the catalog's unit")
    source: str | None = Field(None, max_length=500)
    comment: str | None = Field(None, max_length=2000)
    submission_id: str | None = Field(
        None, max_length=128, description="the bureau's own id: a resend is accepted once"
    )


class ConversionOut(BaseModel):
    from_value: float
    from_unit: str
    factor: float
    note: str


class RowResult(BaseModel):
    row: int = Field(description="1-based position among the submitted rows")
    line: int | None = Field(None, description="line in the uploaded file (CSV/Excel)")
    status: Literal["accepted", "revised", "duplicate"]
    event_id: str
    submission_id: str
    indicator_id: str
    jurisdiction: str
    period: str = Field(
        description="the period the figure is stored under: its canonical label, one per months "
        "covered (12 months is YYYY; a quarter end is YYYY-Qn, or YYYY-MM for a monthly "
        "indicator)",
        examples=["2025"],
    )
    period_sent: str | None = Field(
        None,
        description="the period as sent, when it was another label for the same months "
        "(2025-12 or 2025-Q4 sent, stored as 2025)",
        examples=["2025-12"],
    )
    vintage: int
    value: float = Field(description="in the catalog's unit")
    unit: str
    conversion: ConversionOut | None


class SubmissionAnswer(BaseModel):
    rows: int
    accepted: int
    revised: int
    duplicate: int
    skipped: int = Field(description="template rows left empty in an uploaded file")
    received_at: str
    submitted_by: str
    results: list[RowResult]
