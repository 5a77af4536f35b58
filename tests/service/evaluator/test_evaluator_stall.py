"""The watchdog of a real evaluator (faust app built, not joined): when it stops the worker.

No broker here: the partitions the worker holds and the broker's offsets are stood in for
(``Offsets``, ``assigned``); the integration and fault tests run the worker on Apache Kafka.
The exit is recorded instead of ending the test process.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from faust.types import TP
from faust.worker import Worker as FaustWorker

from planwatch.catalog import default_catalog
from planwatch.settings import CommonSettings
from planwatch_evaluator.adapters.embedded import EmbeddedSink
from planwatch_evaluator.app import Evaluator
from planwatch_evaluator.settings import Settings
from planwatch_evaluator.watchdog import EXIT_STALLED, Watchdog

P0, P1 = TP("submissions", 0), TP("submissions", 1)


class Offsets:
    """The broker's answers: where the group resumes each partition, and where each ends."""

    def __init__(self, committed: dict[Any, int], ends: dict[Any, int]) -> None:
        self.committed, self.end = committed, ends

    async def positions(self, tps: Sequence[Any]) -> dict[Any, int]:
        return {tp: self.committed[tp] for tp in tps if tp in self.committed}

    async def ends(self, tps: Sequence[Any]) -> dict[Any, int]:
        return {tp: self.end[tp] for tp in tps if tp in self.end}


class Worker:
    def __init__(self, tmp_path: Path, offsets: Offsets) -> None:
        self.exits: list[int] = []
        self.evaluator = Evaluator(
            Settings(common=CommonSettings(data_dir=tmp_path), stall_s=60),
            default_catalog(),
            EmbeddedSink(tmp_path / "timeseries.db"),
            offsets=offsets,
            exit=self.exits.append,
        )
        self.evaluator.assigned = lambda: [P0, P1]  # type: ignore[method-assign]
        self.evaluator.generation = 1  # as after the group's first assignment

    def idle_for(self, seconds: float) -> None:
        self.evaluator.progress_at = time.monotonic() - seconds


@pytest.fixture
def offsets() -> Offsets:
    # partition 0 read up to 100 (its cursor), 20 more on the broker; partition 1 not read yet
    # in this assignment, the group resumes it at 50, where it ends
    return Offsets(committed={P1: 50}, ends={P0: 120, P1: 50})


async def test_records_owed_at_two_checks_with_nothing_read_stop_the_worker(
    tmp_path: Path, offsets: Offsets, caplog: pytest.LogCaptureFixture
) -> None:
    worker = Worker(tmp_path, offsets)
    worker.evaluator.cursors.begin(P0, 100)
    worker.idle_for(61)
    await worker.evaluator.watch()
    assert worker.exits == []  # records just produced may not be fetched yet
    with caplog.at_level(logging.ERROR):
        await worker.evaluator.watch()
    assert worker.exits == [EXIT_STALLED]
    assert "submissions[0]: 20" in caplog.text and "Nothing read for" in caplog.text


async def test_a_worker_that_reads_between_the_checks_goes_on(
    tmp_path: Path, offsets: Offsets
) -> None:
    worker = Worker(tmp_path, offsets)
    worker.evaluator.cursors.begin(P0, 100)
    worker.idle_for(61)
    await worker.evaluator.watch()
    worker.evaluator.progress_at = time.monotonic()  # a batch was assessed
    await worker.evaluator.watch()
    worker.idle_for(30)
    await worker.evaluator.watch()
    assert worker.exits == []


async def test_an_idle_worker_with_nothing_owed_and_a_busy_one_go_on(
    tmp_path: Path, offsets: Offsets
) -> None:
    caught_up = Worker(tmp_path, offsets)
    caught_up.evaluator.cursors.begin(P0, 120)  # read to the end; partition 1 too (50)
    caught_up.idle_for(3600)
    busy = Worker(tmp_path, offsets)
    busy.evaluator.cursors.begin(P0, 100)
    busy.idle_for(3600)
    busy.evaluator.at("time-series write")  # a store down: the batch is retried, not stalled
    for _ in range(3):
        await caught_up.evaluator.watch()
        await busy.evaluator.watch()
    assert caught_up.exits == [] and busy.exits == []


@pytest.mark.parametrize("assignments", [0, 1], ids=["first recovery", "later recovery"])
async def test_a_recovery_that_stands_still_stops_the_worker(
    tmp_path: Path, offsets: Offsets, monkeypatch: pytest.MonkeyPatch, assignments: int
) -> None:
    """faust's recovery reports itself in progress with 118 changelog records to read, and
    never reads one (as in the fault run of docs/reliability.md) — in the very first recovery of
    the process too, before faust's own timers would have started."""
    worker = Worker(tmp_path, offsets)
    worker.evaluator.generation = assignments
    recovery = worker.evaluator.app.tables.recovery  # type: ignore[attr-defined]
    monkeypatch.setattr(recovery, "in_recovery", True)
    monkeypatch.setattr(recovery, "active_remaining_total", lambda: 118)
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    await worker.evaluator.watch()
    clock[0] += 59
    await worker.evaluator.watch()
    assert worker.exits == []
    clock[0] += 2
    await worker.evaluator.watch()
    assert worker.exits == [EXIT_STALLED]


async def test_a_worker_not_assigned_anything_yet_is_not_judged_idle(
    tmp_path: Path, offsets: Offsets
) -> None:
    """Starting up (the watchdog runs from the worker's start): no partition is held yet, so
    nothing is owed, however long the group takes to form."""
    worker = Worker(tmp_path, offsets)
    worker.evaluator.generation = 0
    worker.evaluator.cursors.begin(P0, 100)
    worker.idle_for(3600)
    for _ in range(3):
        await worker.evaluator.watch()
    assert worker.exits == []


def test_the_worker_starts_the_watchdog_before_the_app(tmp_path: Path, offsets: Offsets) -> None:
    """faust starts its timers after the first table recovery; the watchdog is a service the
    worker starts first, as ``python -m planwatch_evaluator`` builds it."""
    evaluator = Worker(tmp_path, offsets).evaluator
    [watchdog] = evaluator.services()
    assert isinstance(watchdog, Watchdog) and watchdog.interval_s == 10.0
    worker = FaustWorker(evaluator.app, *evaluator.services(), loglevel="info")
    assert list(worker.on_init_dependencies()) == [watchdog, evaluator.app]
    silent = Evaluator(
        Settings(common=CommonSettings(data_dir=tmp_path), stall_s=0),
        default_catalog(),
        EmbeddedSink(tmp_path / "other.db"),
        offsets=offsets,
    )
    assert silent.services() == []  # stall_s 0: no watchdog


async def test_the_watchdog_watches_until_it_is_stopped() -> None:
    calls: list[float] = []

    async def watch() -> None:
        calls.append(time.monotonic())

    watchdog = Watchdog(watch, interval_s=0.02)
    await watchdog.start()
    await asyncio.sleep(0.15)
    await watchdog.stop()
    seen = len(calls)
    assert seen >= 3
    await asyncio.sleep(0.06)
    assert len(calls) == seen  # stopped: no more checks
