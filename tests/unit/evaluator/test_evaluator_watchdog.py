"""The recovery watchdog's decision: a recovery that stands still for ``stall_s`` is stalled."""

from __future__ import annotations

from planwatch_evaluator.watchdog import RecoveryWatch, waiting


def test_a_recovery_that_reads_nothing_for_the_stall_time_is_stalled() -> None:
    watch = RecoveryWatch(stall_s=60)
    assert watch.observe(True, 118, now=0) is None  # first seen: the clock starts
    assert watch.observe(True, 118, now=59) is None
    assert watch.observe(True, 118, now=61) == 61


def test_progress_starts_the_clock_again() -> None:
    watch = RecoveryWatch(stall_s=60)
    watch.observe(True, 500, now=0)
    assert watch.observe(True, 400, now=50) is None  # records arrived
    assert watch.observe(True, 400, now=100) is None  # 50 s since the last progress
    assert watch.observe(True, 400, now=110) == 60


def test_no_recovery_or_nothing_left_is_never_stalled_and_forgets_the_last_one() -> None:
    watch = RecoveryWatch(stall_s=60)
    watch.observe(True, 10, now=0)
    assert watch.observe(False, 10, now=100) is None  # recovered (or no recovery at all)
    assert watch.observe(True, 10, now=101) is None  # a new recovery: its own clock
    assert watch.observe(True, 0, now=500) is None  # nothing left to read
    assert watch.observe(True, 10, now=501) is None
    assert watch.observe(True, 10, now=560) is None
    assert watch.observe(True, 10, now=561) == 60


def test_records_past_where_the_worker_stands_are_waiting() -> None:
    ends = {"p0": 120, "p1": 50, "p2": 7}
    assert waiting(ends, {"p0": 100, "p1": 50, "p3": 4}) == {"p0": 20}
    assert waiting(ends, {"p1": 50, "p2": 7}) == {}  # caught up
    assert waiting({}, {"p0": 1}) == {}  # the broker said nothing: nothing judged
