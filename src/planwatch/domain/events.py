"""Wire contracts: topic names, partition keys and the events that travel between services.

Defined once here and imported by every service; ``tests/unit/test_events.py`` round-trips them.
Every event carries ``schema_version``, a unique ``event_id``, UTC timestamps and the
``catalog_version`` it was made with.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from planwatch.domain.status import Status  # defined with its codes and names in status.py

__all__ = [
    "SCHEMA_VERSION",
    "AssessmentEvent",
    "DeadLetter",
    "Status",
    "StatusChange",
    "SubmissionEvent",
    "Topics",
    "partition_key",
]

SCHEMA_VERSION: Literal[1] = 1


class Topics(StrEnum):
    SUBMISSIONS = "submissions"
    ASSESSMENTS = "assessments"
    STATUS_CHANGES = "status-changes"
    DEAD_LETTER = "submissions-dlq"


def partition_key(indicator_id: str, jurisdiction: str) -> bytes:
    """Kafka key of every event about one (indicator, jurisdiction): keeps its values in order."""
    return f"{indicator_id}|{jurisdiction}".encode()


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return uuid.uuid4().hex


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


# Every time of an event is aware and stored in UTC. A validator on the time fields alone, not
# on every field: validating an event called it once per field.
UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = SCHEMA_VERSION
    event_id: str = Field(default_factory=_new_id)
    catalog_version: str

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()

    @classmethod
    def from_bytes(cls, data: bytes | str) -> Any:
        return cls.model_validate_json(data)

    @property
    def key(self) -> bytes:
        return partition_key(getattr(self, "indicator_id"), getattr(self, "jurisdiction"))  # noqa: B009


class SubmissionEvent(_Event):
    """One accepted figure, as produced by ingest to the ``submissions`` topic."""

    submission_id: str  # the client's id, or one derived from the content
    indicator_id: str
    jurisdiction: str
    # YYYY, YYYY-Qn or YYYY-MM (year to date), the canonical label for the indicator's
    # frequency (Period.canonical): one label per months covered
    period: str
    value: float  # in the catalog's unit
    unit: str  # the catalog's unit
    original_value: float | None = None  # as sent, when a unit was converted
    original_unit: str | None = None
    source: str | None = None
    comment: str | None = None
    vintage: int = 1  # 1 for the first figure of a period, 2 for its first revision, …
    received_at: UtcDatetime = Field(default_factory=_utcnow)
    submitted_by: str  # the bureau (API key owner) that sent it


class AssessmentEvent(_Event):
    """The result of assessing one (indicator, jurisdiction) after a submission."""

    indicator_id: str
    jurisdiction: str
    plan_code: str
    submission_event_id: str | None = None
    period: str | None = None  # the submission's period
    as_of: str  # ISO date the assessment was made for
    assessment: dict[str, Any]  # planwatch.domain.assessment.Assessment, dumped
    target: dict[str, Any]  # snapshot of the catalog entry used
    assessed_at: UtcDatetime = Field(default_factory=_utcnow)


class StatusChange(_Event):
    """The headline status of an (indicator, jurisdiction) changed; the alerts service's input.

    ``reason: reminder`` is a notice, not a change: a figure will be due on ``due_date`` and its
    publisher is told beforehand; ``to_status`` is the headline status as it stands
    (``no_data`` before any figure) and ``from_status`` the same.

    ``reason: final`` is the final verdict of a complete target year that is not the headline's
    (the headline moved on to the next target): ``target_year`` names it, ``to_status`` is
    ``not_achieved`` (a miss), or ``achieved`` when a revised figure mends a miss announced
    before. A miss is told once; the headline's own changes go on beside it.
    """

    indicator_id: str
    jurisdiction: str
    plan_code: str
    from_status: Status | None
    to_status: Status
    tier: str | None = None  # the tier of the headline status (binding when present)
    reason: Literal["assessment", "final", "overdue", "reminder"] = "assessment"
    target_year: int | None = None  # final only: the complete target year judged
    assessment: dict[str, Any] | None = None
    target: dict[str, Any]  # snapshot of the catalog entry: survives later catalog edits
    responsible_agencies: tuple[str, ...] = ()
    lead_agencies: tuple[str, ...] = ()
    # overdue and reminder only: the period owed (overdue: that did not arrive), when it is
    # due, and who owes it
    overdue_period: str | None = None
    due_date: str | None = None
    reporting_jurisdiction: str | None = None
    publisher: str | None = None  # the body that publishes the figure (the reporting calendar)
    escalated_to: tuple[str, ...] = ()  # the supervising body, once the figure is long overdue
    cause_event_id: str | None = None  # the submission or tick that caused this change
    changed_at: UtcDatetime = Field(default_factory=_utcnow)


class DeadLetter(BaseModel):
    """An input that could not be processed, kept with the reason instead of stopping the stream."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = SCHEMA_VERSION
    event_id: str = Field(default_factory=_new_id)
    source_topic: str
    partition: int | None = None
    offset: int | None = None
    key: str | None = None
    payload: str  # the raw bytes, decoded as UTF-8 with replacement
    reason: str
    failed_at: AwareDatetime = Field(default_factory=_utcnow)

    def to_bytes(self) -> bytes:
        return self.model_dump_json().encode()
