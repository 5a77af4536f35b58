"""The local stack's supervisor with tiny real children (``python -c``): restarts with back-off
and their cause, the limit that stops the stack, waiting on a dependency, stopping in order."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from planwatch.stack.supervisor import (
    ChildFailing,
    Policy,
    ServiceSpec,
    State,
    Supervisor,
    exit_cause,
)

FAST = Policy(backoff_s=0.05, backoff_max_s=0.2, limit=3, window_s=60, stop_timeout_s=5)


def python(code: str, log: Path, name: str) -> ServiceSpec:
    """A part that runs ``code`` and writes its pid and stop order to ``log``'s folder."""

    def launch() -> subprocess.Popen[bytes]:
        with log.open("ab") as out:
            return subprocess.Popen(
                [sys.executable, "-c", code],
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    return ServiceSpec(name, launch=launch, log_path=log)


LIVES = (
    "import pathlib, signal, sys, time\n"
    "def bye(*_):\n"
    "    with open('{order}', 'a') as f: f.write('{name}\\n')\n"
    "    sys.exit(0)\n"
    "signal.signal(signal.SIGTERM, bye)\n"
    "pathlib.Path('{up}').write_text('up')\n"
    "while True: time.sleep(0.05)\n"
)


def lives(tmp_path: Path, name: str) -> ServiceSpec:
    """A part that runs until SIGTERM, then writes its name to order.txt; ready once its
    handler is installed."""
    order, up = tmp_path / "order.txt", tmp_path / f"{name}.up"
    code = LIVES.format(order=order, name=name, up=up)
    spec = python(code, tmp_path / f"{name}.log", name)

    def launch() -> subprocess.Popen[bytes]:
        up.unlink(missing_ok=True)
        assert spec.launch is not None
        return spec.launch()

    return ServiceSpec(name, launch=launch, ready=up.exists, log_path=spec.log_path)


def run_until(sup: Supervisor, done, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        sup.step()
        assert time.monotonic() < deadline, [(c.spec.name, c.state) for c in sup.children]
        time.sleep(0.02)


@pytest.mark.parametrize(
    ("code", "cause"),
    [(1, "exit code 1"), (0, "exit code 0"), (-9, "killed by SIGKILL"), (-15, "killed by SIGTERM")],
)
def test_exit_cause_names_the_code_or_the_signal(code: int, cause: str) -> None:
    assert exit_cause(code) == cause


def test_a_killed_part_is_restarted_and_the_cause_logged(tmp_path: Path) -> None:
    said: list[str] = []
    sup = Supervisor(tmp_path / "logs", {}, FAST, say=said.append, status_path=tmp_path / "s.json")
    part = sup.add(lives(tmp_path, "worker"))
    try:
        run_until(sup, lambda: part.state == State.READY)
        first = part.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        run_until(sup, lambda: part.state == State.READY and part.pid != first)
        assert part.restarts == 1
        assert said[0].startswith("worker exited (killed by SIGKILL); restarting in 0.05 s")
        assert (
            "restarting worker (restart 1 since the stack started; last exit: killed by SIGKILL)"
            in said
        )
        status = json.loads((tmp_path / "s.json").read_text())["parts"]["worker"]
        assert status == {
            "pid": part.pid,
            "state": "ready",
            "restarts": 1,
            "last_exit": "killed by SIGKILL",
        }
        assert "worker exited (killed by SIGKILL)" in (tmp_path / "logs/stack.log").read_text()
    finally:
        sup.stop_all()


def test_a_part_that_keeps_failing_stops_with_its_log(tmp_path: Path) -> None:
    said: list[str] = []
    sup = Supervisor(tmp_path / "logs", {}, FAST, say=said.append)
    code = "import sys; print('the routes file is missing'); sys.exit(3)"
    sup.add(python(code, tmp_path / "broken.log", "broken"))
    with pytest.raises(ChildFailing) as failed:
        run_until(sup, lambda: False)
    message = str(failed.value)
    assert message.startswith("broken keeps failing: it exited 4 times within 60 s")
    assert "(the limit is 3 restarts), the last time with exit code 3" in message
    assert "the routes file is missing" in message
    # back-off doubles and is capped
    delays = [
        line.split("restarting in ")[1].split(" s")[0] for line in said if "restarting in " in line
    ]
    assert delays == ["0.05", "0.1", "0.2"]
    sup.stop_all()


def test_a_part_waits_for_what_it_depends_on(tmp_path: Path) -> None:
    said: list[str] = []
    sup = Supervisor(tmp_path / "logs", {}, FAST, say=said.append)
    gate = tmp_path / "gate"
    broker = sup.add(
        ServiceSpec(
            "broker",
            launch=lives(tmp_path, "broker").launch,
            ready=gate.exists,
            log_path=tmp_path / "broker.log",
        )
    )
    quits = "import sys; sys.exit(1)"
    service_spec = python(quits, tmp_path / "svc.log", "service")
    service = sup.add(ServiceSpec("service", launch=service_spec.launch, depends_on=("broker",)))
    try:
        for _ in range(20):
            sup.step()
            time.sleep(0.02)
        assert broker.state == State.STARTING and service.proc is None  # not started yet
        gate.touch()
        # once the broker is ready the service starts; it fails and counts against its limit
        with pytest.raises(ChildFailing, match="service keeps failing"):
            run_until(sup, lambda: False)
    finally:
        sup.stop_all()


def test_an_exit_while_a_dependency_is_down_does_not_count(tmp_path: Path) -> None:
    said: list[str] = []
    sup = Supervisor(tmp_path / "logs", {}, FAST, say=said.append)
    gate = tmp_path / "gate"
    gate.touch()
    broker = sup.add(
        ServiceSpec(
            "broker",
            launch=lives(tmp_path, "broker").launch,
            ready=gate.exists,
            log_path=tmp_path / "broker.log",
        )
    )
    service = sup.add(
        ServiceSpec("service", launch=lives(tmp_path, "service").launch, depends_on=("broker",))
    )
    try:
        run_until(sup, lambda: service.state == State.READY)
        gate.unlink()  # the broker answers no more: waited for, not restarted
        run_until(sup, lambda: broker.state == State.WAITING)
        assert broker.restarts == 0
        assert "broker is running but not ready; waiting for it" in said
        first = service.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        run_until(sup, lambda: service.state == State.BACKOFF)
        for _ in range(20):  # not started again while the broker is not ready
            sup.step()
            time.sleep(0.02)
        assert service.state == State.BACKOFF and service.pid == first
        assert not service.exits  # nothing counted against its limit
        assert (
            "service exited (killed by SIGKILL) while broker is down; started again with it" in said
        )
        gate.touch()
        run_until(sup, lambda: service.state == State.READY and service.pid != first)
    finally:
        sup.stop_all()


def test_stop_all_goes_in_reverse_order_and_is_idempotent(tmp_path: Path) -> None:
    sup = Supervisor(tmp_path / "logs", {}, FAST, say=lambda _: None)
    parts = [sup.add(lives(tmp_path, name)) for name in ("first", "second", "third")]
    run_until(sup, lambda: all(p.state == State.READY for p in parts))
    pids = [p.pid for p in parts]
    sup.stop_all()
    sup.stop_all()
    assert (tmp_path / "order.txt").read_text().split() == ["third", "second", "first"]
    for pid in pids:
        assert pid is not None
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_policy_from_the_environment_names_a_bad_value() -> None:
    policy = Policy.from_env({"PLANWATCH_RUN_RESTART_LIMIT": "2", "PLANWATCH_RUN_BACKOFF_S": "3"})
    assert (policy.limit, policy.backoff_s) == (2, 3.0)
    with pytest.raises(ValueError, match="PLANWATCH_RUN_RESTART_LIMIT: 'many' is not a number"):
        Policy.from_env({"PLANWATCH_RUN_RESTART_LIMIT": "many"})
    with pytest.raises(ValueError, match="PLANWATCH_RUN_BACKOFF_S: '-1' must not be negative"):
        Policy.from_env({"PLANWATCH_RUN_BACKOFF_S": "-1"})


def test_a_probe_that_hangs_does_not_hold_up_the_loop(tmp_path: Path) -> None:
    """A client library can wait on a broker that died under it: the exit is seen anyway."""
    said: list[str] = []
    sup = Supervisor(tmp_path / "logs", {}, FAST, say=said.append)
    started = lives(tmp_path, "broker")
    up = tmp_path / "broker.up"
    hang, release = threading.Event(), threading.Event()

    def probe() -> bool:
        if hang.is_set():
            release.wait(60)  # stands for a metadata request that never returns
        return up.exists()

    part = sup.add(ServiceSpec("broker", launch=started.launch, ready=probe))
    try:
        run_until(sup, lambda: part.state == State.READY)
        hang.set()
        time.sleep(5.1)  # the next probe of a ready part starts, and hangs
        for _ in range(5):
            sup.step()
            time.sleep(0.02)
        assert part.asking is not None and part.asking.answer is None  # still asking
        assert part.pid is not None
        os.kill(part.pid, signal.SIGKILL)
        begun = time.monotonic()
        run_until(sup, lambda: part.state == State.BACKOFF, timeout=2)
        assert time.monotonic() - begun < 1
        assert said[-1].startswith("broker exited (killed by SIGKILL)")
    finally:
        release.set()
        sup.stop_all()
