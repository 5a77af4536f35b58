"""Each partition's submissions in offset order: what the agent does with each offset."""

from __future__ import annotations

from planwatch_evaluator.cursors import Admission, Cursors

ASSESS, DONE, REWIND = Admission.ASSESS, Admission.DONE, Admission.REWIND


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_partition_is_assessed_from_its_committed_offset_in_order() -> None:
    cursors = Cursors()
    cursors.start({"p0": 10, "p1": 0})
    assert [cursors.admit("p0", o) for o in (10, 11, 12)] == [ASSESS] * 3
    assert cursors.admit("p1", 0) is ASSESS
    assert cursors.expected == {"p0": 13, "p1": 1}


def test_offsets_already_assessed_are_done_when_they_come_again() -> None:
    cursors = Cursors()
    cursors.start({"p0": 10})
    assert [cursors.admit("p0", o) for o in (10, 11, 10, 11, 12)] == [
        ASSESS,
        ASSESS,
        DONE,
        DONE,
        ASSESS,
    ]


def test_a_passed_over_offset_rewinds_once_until_it_comes_or_patience_runs_out() -> None:
    clock = Clock()
    cursors = Cursors(patience_s=5.0, clock=clock)
    cursors.start({"p0": 37})
    # the worker's first record is 48: 37..47 were passed over
    assert cursors.admit("p0", 48) is REWIND
    assert cursors.rewind_to("p0") == 37
    # later records already on their way are dropped without another seek
    assert cursors.admit("p0", 49) is REWIND
    assert cursors.rewind_to("p0") is None
    clock.now = 6.0  # 37 has not come: seek again
    assert cursors.admit("p0", 50) is REWIND
    assert cursors.rewind_to("p0") == 37
    # it comes: in order from 37 on
    assert [cursors.admit("p0", o) for o in range(37, 51)] == [ASSESS] * 14
    assert cursors.rewound == {}


def test_a_first_event_past_where_the_group_resumes_rewinds_to_it() -> None:
    """Nothing committed on p0: the group resumes at the log's start, 0; the first event the
    worker gets is 27 (records fetched before a rebalance and dropped): read again from 0."""
    cursors = Cursors()
    cursors.start({})
    cursors.begin("p0", 0)
    assert cursors.admit("p0", 27) is REWIND
    assert cursors.rewind_to("p0") == 0
    cursors.begin("p0", 27)  # a later answer never moves a partition already followed
    assert [cursors.admit("p0", o) for o in range(28)] == [ASSESS] * 28


def test_a_partition_not_started_by_an_assignment_begins_where_it_is() -> None:
    cursors = Cursors()
    assert cursors.admit("p0", 5) is ASSESS
    assert cursors.admit("p0", 7) is REWIND
    assert cursors.rewind_to("p0") == 6


def test_a_failed_batch_is_given_back_to_its_first_offsets() -> None:
    cursors = Cursors()
    cursors.start({"p0": 0, "p1": 0})
    for offset in range(5):
        cursors.admit("p0", offset)
    cursors.admit("p1", 0)
    cursors.give_back({"p0": 3, "p1": 0})
    assert cursors.expected == {"p0": 3, "p1": 0}
    # the agent seeks back at once: events already on their way wait without another seek
    assert cursors.admit("p0", 4) is REWIND
    assert cursors.rewind_to("p0") is None
    # an offset not yet admitted is not given back beyond where the cursor is
    cursors.give_back({"p0": 4})
    assert cursors.expected["p0"] == 3
    assert cursors.admit("p0", 3) is ASSESS


def test_a_new_assignment_replaces_every_position() -> None:
    cursors = Cursors()
    cursors.start({"p0": 10})
    cursors.admit("p0", 12)
    cursors.rewind_to("p0")
    cursors.start({"p1": 4})
    assert cursors.expected == {"p1": 4} and cursors.rewound == {}


def test_a_rewind_whose_record_never_comes_is_sought_again_by_the_timer() -> None:
    clock = Clock()
    cursors = Cursors(patience_s=5.0, clock=clock)
    cursors.start({"p0": 12, "p1": 3})
    assert cursors.admit("p0", 13) is REWIND
    assert cursors.rewind_to("p0") == 12
    clock.now = 4.0
    assert cursors.stalled() == []  # patience
    clock.now = 5.0
    assert cursors.stalled() == [("p0", 12)]
    assert cursors.stalled() == []  # not again before another ``patience_s``
    assert cursors.admit("p0", 12) is ASSESS  # it came
    clock.now = 20.0
    assert cursors.stalled() == []
