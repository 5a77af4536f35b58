"""Break one part of the running pipeline; count that nothing accepted is lost or doubled.

Each test starts the real processes (Tansu, ingest, evaluator, alerts, an SMTP server; see
``pipeline.py``), pushes a known set of figures with unique submission ids through ingest's
HTTP API, injects its fault, and ends with the same two counts:

- ``assert_assessed_once``: every figure that got a 202 is in the time-series store exactly
  once, with the value sent, as its first vintage, and assessed;
- ``assert_mailed_once``: every lagging indicator's lead agency got exactly one e-mail, and
  the alerts service records each notification as sent.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from faults.pipeline import (
    Pipeline,
    assert_assessed_once,
    assert_mailed_once,
    wait_until,
    workload,
)

pytestmark = [pytest.mark.faults, pytest.mark.timeout(420)]


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[Pipeline]:
    running = Pipeline(tmp_path).start()
    try:
        yield running
    finally:
        running.stop()


def test_without_a_fault_the_counts_hold(pipeline: Pipeline) -> None:
    figures, lagging = workload(600, tag="calm")
    accepted = pipeline.push(figures)
    assert accepted == figures
    assert_assessed_once(pipeline, accepted)
    assert_mailed_once(pipeline, lagging)


def test_evaluator_killed_mid_stream_and_restarted(pipeline: Pipeline) -> None:
    figures, lagging = workload(2000, tag="ev")
    evaluator = pipeline.services["evaluator"]
    push = pipeline.push_in_background(figures, batch=100, pause_s=0.05)
    # some figures are stored, more are on the topic and still arriving
    wait_until(lambda: len(pipeline.stored()) >= 100, what="the first figures stored")
    stored_at_kill = len(pipeline.stored())
    evaluator.kill()
    assert evaluator.proc is not None and evaluator.proc.returncode == -signal.SIGKILL
    evaluator.start()
    accepted = push.result()
    assert stored_at_kill < len(accepted), "the kill came after the last figure: too late"
    assert accepted == figures
    assert_assessed_once(pipeline, accepted)
    assert_mailed_once(pipeline, lagging)
