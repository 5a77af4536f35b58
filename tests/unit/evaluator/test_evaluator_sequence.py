"""The next offset expected per submissions partition, and the offsets left out before an event."""

from __future__ import annotations

import pytest

from planwatch_evaluator.sequence import Sequence, marker_value, parse_marker


def test_events_in_order_leave_nothing_out_and_the_next_offset_follows() -> None:
    sequence = Sequence()
    sequence.start(0, None)
    for offset in (7, 8, 9):  # an unknown start: the first event sets it
        assert sequence.missing(0, offset) == range(0)
        sequence.done(0, offset)
    assert sequence.expected(0) == 10


def test_an_event_past_the_expected_offset_shows_what_was_left_out() -> None:
    sequence = Sequence()
    sequence.start(0, 119)
    assert list(sequence.missing(0, 125)) == [119, 120, 121, 122, 123, 124]
    assert sequence.missing(1, 125) == range(0)  # a partition not started: nothing known


def test_a_redelivery_or_a_broker_started_again_empty_is_not_a_hole() -> None:
    """Earlier offsets than expected are processed (a redelivered event is recognised by its id
    in the state); after a broker restart the offsets begin again at 0 and the count follows."""
    sequence = Sequence()
    sequence.start(0, 500)
    assert sequence.missing(0, 0) == range(0)
    sequence.done(0, 0)
    assert sequence.expected(0) == 1
    assert sequence.missing(0, 1) == range(0)


def test_reset_forgets_every_partition() -> None:
    sequence = Sequence()
    sequence.start(0, 5)
    assert sequence.started(0)
    sequence.reset()
    assert not sequence.started(0) and sequence.expected(0) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [(marker_value(119), 119), (marker_value(0), 0), (b"1", None), (None, None), (b"next=x", None)],
)
def test_the_marker_records_the_next_offset(value: bytes | None, expected: int | None) -> None:
    assert parse_marker(value) == expected


def test_a_marker_without_an_offset_is_the_one_written_before_offsets_were_kept() -> None:
    assert marker_value(None) == b"1"
