"""Wire contracts round-trip through bytes unchanged, carry their metadata, and refuse junk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from planwatch.domain.events import (
    SCHEMA_VERSION,
    AssessmentEvent,
    DeadLetter,
    Status,
    StatusChange,
    SubmissionEvent,
    Topics,
    partition_key,
)


def _submission(**overrides: object) -> SubmissionEvent:
    values: dict[str, object] = {
        "catalog_version": "abc123def456",
        "submission_id": "by-2024-001",
        "indicator_id": "gsbase-rd-expenditure",
        "jurisdiction": "甘肃省",
        "period": "2024",
        "value": 150.0,
        "unit": "亿元",
        "original_value": 1_500_000.0,
        "original_unit": "万元",
        "submitted_by": "甘肃省统计局",
    }
    values.update(overrides)
    return SubmissionEvent.model_validate(values)


def test_submission_round_trips_through_bytes() -> None:
    event = _submission()
    again = SubmissionEvent.from_bytes(event.to_bytes())
    assert again == event
    assert again.schema_version == SCHEMA_VERSION
    assert len(again.event_id) == 32 and again.event_id != _submission().event_id


def test_timestamps_are_normalised_to_utc() -> None:
    beijing = timezone(timedelta(hours=8))
    event = _submission(received_at=datetime(2025, 1, 1, 8, 0, tzinfo=beijing))
    assert event.received_at == datetime(2025, 1, 1, 0, 0, tzinfo=UTC)
    assert event.received_at.utcoffset() == timedelta(0)
    again = SubmissionEvent.from_bytes(event.to_bytes().replace(b'00Z"', b'00+08:00"'))
    assert again.received_at == datetime(2024, 12, 31, 16, 0, tzinfo=UTC)
    assert again.received_at.tzinfo is UTC
    common = {"catalog_version": "v", "indicator_id": "i", "jurisdiction": "j", "plan_code": "p"}
    assessed = AssessmentEvent(
        **common,
        as_of="2025-01-01",
        assessment={},
        target={},
        assessed_at=datetime(2025, 1, 1, 8, tzinfo=beijing),
    )
    changed = StatusChange(
        **common,
        from_status=None,
        to_status=Status.ON_TRACK,
        target={},
        changed_at=datetime(2025, 1, 1, 8, tzinfo=beijing),
    )
    for when in (assessed.assessed_at, changed.changed_at):
        assert when == datetime(2025, 1, 1, 0, 0, tzinfo=UTC) and when.tzinfo is UTC


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(ValidationError, match="received_at"):
        _submission(received_at=datetime(2025, 1, 1))


def test_unknown_fields_and_versions_are_refused() -> None:
    with pytest.raises(ValidationError, match="surprise"):
        _submission(surprise=1)
    with pytest.raises(ValidationError, match="schema_version"):
        _submission(schema_version=2)


def test_key_keeps_one_indicator_of_one_jurisdiction_on_one_partition() -> None:
    event = _submission()
    assert event.key == partition_key("gsbase-rd-expenditure", "甘肃省")
    assert event.key == "gsbase-rd-expenditure|甘肃省".encode()


def test_status_change_carries_the_target_snapshot_and_round_trips() -> None:
    change = StatusChange(
        catalog_version="abc123def456",
        indicator_id="gsbase-rd-expenditure",
        jurisdiction="甘肃省",
        plan_code="gsbase",
        from_status=Status.ON_TRACK,
        to_status=Status.LIMITED_PROGRESS,
        tier="binding",
        assessment={"status": "limited_progress", "progress_ratio": 0.3},
        target={"id": "gsbase-rd-expenditure", "targets": [{"year": 2025, "value": 180.0}]},
        lead_agencies=("省科技厅",),
        responsible_agencies=("省科技厅", "省财政厅"),
    )
    again = StatusChange.from_bytes(change.to_bytes())
    assert again == change
    assert again.target["targets"][0]["value"] == 180.0


def test_assessment_and_dead_letter_round_trip() -> None:
    event = AssessmentEvent(
        catalog_version="v",
        indicator_id="x-y",
        jurisdiction="青海省",
        plan_code="qinghai",
        as_of="2026-03-01",
        assessment={"status": "on_track"},
        target={"id": "x-y"},
    )
    assert AssessmentEvent.from_bytes(event.to_bytes()) == event
    dead = DeadLetter(source_topic=Topics.SUBMISSIONS, payload="{not json", reason="bad JSON")
    assert DeadLetter.model_validate_json(dead.to_bytes()) == dead


def test_topic_names_are_the_documented_ones() -> None:
    assert [str(t) for t in Topics] == [
        "submissions",
        "assessments",
        "status-changes",
        "submissions-dlq",
    ]
