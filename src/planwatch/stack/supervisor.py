"""The supervisor of the local stack: start each part, restart what dies, stop all in order.

Each part (the broker, then ingest, the evaluator, alerts and the board) is a child process in a
process group of its own, so Ctrl-C reaches the supervisor alone and stopping a part stops
everything it started. The rules are the ones operators know from supervisord or systemd:

- a part that exits is started again after a back-off (0.5 s, doubling, at most 15 s); every
  restart is logged with its cause (the exit code, or the signal that ended it);
- a part that exits more than ``limit`` times within ``window_s`` stops the whole stack with a
  message naming it and the end of its log;
- readiness decides between restarting and waiting: a part is *ready* when its readiness probe
  answers (the broker: a metadata request; a service: ``/readyz`` where it has one, ``/healthz``
  otherwise). A part waits for the parts it depends on (the services depend on the broker): it is
  started only once they are ready, an exit while they are down does not count towards its limit,
  and a part that has lost its readiness while it is running is waited for, not restarted. A
  part that never becomes ready while its dependencies are (``ready_timeout_s``) is restarted.
- stopping sends SIGTERM to each group in reverse start order, waits, then SIGKILLs what is
  left of the group; calling it again does nothing. Should the supervisor itself be killed,
  each child gets SIGTERM from the kernel (``orphan_guard``), so none keeps its port.

Written here rather than taken from PyPI's supervisors: supervisord (``supervisor``) is a daemon
of its own with an INI file and XML-RPC, gives up on a program only when it fails before
``startsecs`` and then leaves the others running (stopping the rest needs an event listener),
and knows neither readiness probes nor an order of dependencies; circus has the same model over
ZeroMQ; honcho runs a Procfile and stops everything when one process exits, without restarts.
The stack needs restarts, ordering on the broker's readiness and one foreground command: this
module.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import httpx

__all__ = [
    "Child",
    "ChildFailing",
    "Policy",
    "ServiceSpec",
    "State",
    "Supervisor",
    "exit_cause",
    "http_ready",
    "orphan_guard",
]


class ChildFailing(RuntimeError):
    """A part exited more often than its restart limit allows: the stack stops."""


class State(StrEnum):
    STARTING = "starting"  # launched, not ready yet
    READY = "ready"
    WAITING = "waiting"  # running, but its readiness probe says no (e.g. broker away)
    BACKOFF = "backoff"  # exited; started again at ``restart_at``
    STOPPED = "stopped"


@dataclass(frozen=True)
class Policy:
    backoff_s: float = 0.5  # wait before the first restart, doubled for each further one
    backoff_max_s: float = 15.0
    limit: int = 5  # restarts allowed within window_s; one more stops the stack
    window_s: float = 120.0
    ready_timeout_s: float = 120.0
    stop_timeout_s: float = 20.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Policy:
        """Overrides from ``PLANWATCH_RUN_RESTART_LIMIT``, ``…_RESTART_WINDOW_S``,
        ``…_BACKOFF_S``, ``…_BACKOFF_MAX_S``, ``…_READY_TIMEOUT_S``, ``…_STOP_TIMEOUT_S``."""
        env = os.environ if env is None else env
        names = {
            "limit": "PLANWATCH_RUN_RESTART_LIMIT",
            "window_s": "PLANWATCH_RUN_RESTART_WINDOW_S",
            "backoff_s": "PLANWATCH_RUN_BACKOFF_S",
            "backoff_max_s": "PLANWATCH_RUN_BACKOFF_MAX_S",
            "ready_timeout_s": "PLANWATCH_RUN_READY_TIMEOUT_S",
            "stop_timeout_s": "PLANWATCH_RUN_STOP_TIMEOUT_S",
        }
        values: dict[str, float | int] = {}
        for attr, name in names.items():
            raw = env.get(name)
            if raw is None:
                continue
            try:
                number = int(raw) if attr == "limit" else float(raw)
            except ValueError:
                raise ValueError(f"{name}: {raw!r} is not a number") from None
            if number < 0:
                raise ValueError(f"{name}: {raw!r} must not be negative")
            values[attr] = number
        return cls(**values)  # type: ignore[arg-type]

    def backoff(self, restarts: int) -> float:
        return float(min(self.backoff_s * 2 ** max(restarts - 1, 0), self.backoff_max_s))


def http_ready(url: str) -> Callable[[], bool]:
    """A readiness probe: the URL answers 200 within a second."""

    def probe() -> bool:
        try:
            return httpx.get(url, timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    return probe


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    module: str | None = None  # run as ``python -m <module>``
    ready_url: str | None = None  # /readyz where the service has one, /healthz otherwise
    env: Mapping[str, str] = field(default_factory=dict)
    depends_on: Sequence[str] = ()
    # a part that is not a Python module (the broker): how to start it and ask if it is ready
    launch: Callable[[], subprocess.Popen[bytes]] | None = None
    ready: Callable[[], bool] | None = None
    on_ready: Callable[[], None] | None = None  # after each (re)start, once ready
    log_path: Path | None = None  # where the part writes; ``<log_dir>/<name>.log`` by default

    def probe(self) -> Callable[[], bool]:
        if self.ready is not None:
            return self.ready
        if self.ready_url is not None:
            return http_ready(self.ready_url)
        return lambda: True


@functools.cache
def orphan_guard() -> tuple[str, ...]:
    """The command prefix that makes a child receive SIGTERM when the supervisor dies, even by
    SIGKILL (Linux's parent-death signal, through util-linux ``setpriv``); empty elsewhere."""
    if sys.platform != "linux" or shutil.which("setpriv") is None:
        return ()
    prefix = ("setpriv", "--pdeathsig", "TERM", "--")
    try:
        works = subprocess.run([*prefix, "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        works = False
    return prefix if works else ()


def exit_cause(code: int) -> str:
    """``exit code 1`` or ``killed by SIGKILL`` (Popen's negative return code)."""
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


PROBE_TIMEOUT_S = 15.0


class _Asking:
    """One readiness question in a daemon thread: the probe, then ``on_ready`` if it says yes
    (the answer is yes only if both succeed)."""

    def __init__(
        self,
        probe: Callable[[], bool],
        on_ready: Callable[[], None] | None,
        pid: int | None,
        started: float,
    ) -> None:
        self.pid, self.started = pid, started
        self.answer: bool | None = None
        self._probe, self._on_ready = probe, on_ready
        threading.Thread(target=self._ask, name="readiness", daemon=True).start()

    def _ask(self) -> None:
        try:
            ready = bool(self._probe())
            if ready and self._on_ready is not None:
                self._on_ready()
        except Exception:  # a probe that fails says "not ready"
            ready = False
        self.answer = ready


@dataclass
class Child:
    spec: ServiceSpec
    log_path: Path
    probe: Callable[[], bool]
    proc: subprocess.Popen[bytes] | None = None
    state: State = State.STOPPED
    started_at: float = 0.0
    restart_at: float = 0.0
    last_probe: float = 0.0
    asking: _Asking | None = None
    exits: deque[float] = field(default_factory=deque)  # counted exits within the window
    restarts: int = 0  # every restart since the stack started
    last_cause: str = ""

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None


Say = Callable[[str], None]


class Supervisor:
    """Run the parts added with ``add`` (in that order) until ``stop_requested()`` is true."""

    def __init__(
        self,
        log_dir: Path,
        base_env: Mapping[str, str],
        policy: Policy | None = None,
        say: Say | None = None,
        stop_requested: Callable[[], bool] = lambda: False,
        status_path: Path | None = None,
    ) -> None:
        self.log_dir = log_dir
        self.base_env = dict(base_env)
        self.policy = policy or Policy()
        self.stop_requested = stop_requested
        self.status_path = status_path
        self.children: list[Child] = []
        self._say = say or (lambda text: print(text, flush=True))
        log_dir.mkdir(parents=True, exist_ok=True)
        self._events = (log_dir / "stack.log").open("a", encoding="utf-8")
        self._stopped = False

    # ---- messages ----

    def say(self, text: str) -> None:
        """Tell the operator and keep it in ``logs/stack.log``."""
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        self._events.write(f"{stamp} {text}\n")
        self._events.flush()
        self._say(text)

    # ---- parts ----

    def add(self, spec: ServiceSpec) -> Child:
        known = {c.spec.name for c in self.children}
        missing = [d for d in spec.depends_on if d not in known]
        if missing:
            raise ValueError(f"{spec.name} depends on {missing}, which are not added before it")
        log_path = spec.log_path or self.log_dir / f"{spec.name}.log"
        child = Child(spec, log_path, spec.probe())
        self.children.append(child)
        return child

    def child(self, name: str) -> Child:
        return next(c for c in self.children if c.spec.name == name)

    def _deps_ready(self, child: Child) -> bool:
        return all(self.child(d).state == State.READY for d in child.spec.depends_on)

    def _launch(self, child: Child) -> None:
        spec = child.spec
        if spec.launch is not None:
            child.proc = spec.launch()
        else:
            assert spec.module is not None, f"{spec.name}: neither a module nor a launcher"
            with child.log_path.open("ab") as log:
                child.proc = subprocess.Popen(
                    [*orphan_guard(), sys.executable, "-m", spec.module],
                    env={**os.environ, **self.base_env, **spec.env},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,  # its own group: Ctrl-C reaches the supervisor alone
                )
        child.state = State.STARTING
        child.started_at = time.monotonic()
        self._write_status()

    # ---- the loop ----

    def run(self, on_all_ready: Callable[[], None] | None = None, tick_s: float = 0.25) -> None:
        """Start, watch and restart the parts until a stop is requested.

        ``on_all_ready`` is called once, the first time every part is ready. Raises
        ``ChildFailing`` when a part exceeds its restart limit.
        """
        announced = False
        while not self.stop_requested():
            self.step()
            if not announced and all(c.state == State.READY for c in self.children):
                announced = True
                if on_all_ready is not None:
                    on_all_ready()
            time.sleep(tick_s)

    def step(self) -> None:
        """Look at every part once: start, probe, notice an exit, schedule a restart."""
        now = time.monotonic()
        for child in self.children:
            if self.stop_requested():
                return
            if child.state in (State.STOPPED, State.BACKOFF):
                if now >= child.restart_at and self._deps_ready(child):
                    if child.state == State.BACKOFF:
                        child.restarts += 1
                        self.say(
                            f"restarting {child.spec.name} (restart {child.restarts} since the "
                            f"stack started; last exit: {child.last_cause})"
                        )
                    self._launch(child)
                continue
            assert child.proc is not None
            code = child.proc.poll()
            if code is not None:
                self._exited(child, code, now)
                continue
            self._probe(child, now)

    def _exited(self, child: Child, code: int, now: float) -> None:
        name = child.spec.name
        cause = exit_cause(code)
        child.last_cause = cause
        self._reap_group(child)
        deps_down = not self._deps_ready(child)
        if deps_down:
            waiting = ", ".join(child.spec.depends_on)
            self.say(f"{name} exited ({cause}) while {waiting} is down; started again with it")
            child.state = State.BACKOFF
            child.restart_at = now
            self._write_status()
            return
        window = self.policy.window_s
        child.exits.append(now)
        while child.exits and now - child.exits[0] > window:
            child.exits.popleft()
        if len(child.exits) > self.policy.limit:
            child.state = State.STOPPED
            self._write_status()
            raise ChildFailing(
                f"{name} keeps failing: it exited {len(child.exits)} times within "
                f"{window:.0f} s (the limit is {self.policy.limit} restarts), the last time "
                f"with {cause}. The stack stops. Last lines of {child.log_path}:\n{child.tail()}"
            )
        delay = self.policy.backoff(len(child.exits))
        self.say(
            f"{name} exited ({cause}); restarting in {delay:g} s "
            f"({len(child.exits)} of {self.policy.limit} restarts within {window:.0f} s)"
        )
        child.state = State.BACKOFF
        child.restart_at = now + delay
        self._write_status()

    def _probe(self, child: Child, now: float) -> None:
        """Ask whether the part is ready, in a thread: a probe can hang (a client library
        waiting on a broker that died under it) and must never hold up the loop."""
        asking = child.asking
        if asking is None or asking.pid != child.pid:
            # a starting part often, a waiting one every second, a ready one every 5 s
            every = {State.STARTING: 0.25, State.WAITING: 1.0}.get(child.state, 5.0)
            if now - child.last_probe >= every:
                child.last_probe = now
                on_ready = child.spec.on_ready if child.state != State.READY else None
                child.asking = _Asking(child.probe, on_ready, child.pid, now)
            return
        if asking.answer is None:
            if now - asking.started < PROBE_TIMEOUT_S:
                return
            ready = False  # no answer is an answer; the thread is left to finish on its own
        else:
            ready = asking.answer
        child.asking = None
        assert child.proc is not None
        if child.proc.poll() is not None:
            return  # it died while being asked: the next step reports the exit, not "not ready"
        name = child.spec.name
        if ready and child.state != State.READY:
            was = child.state
            child.state = State.READY
            if child.restarts or was == State.WAITING:
                self.say(f"{name} is ready again (pid {child.pid})")
            self._write_status()
        elif not ready and child.state == State.READY:
            child.state = State.WAITING
            self.say(f"{name} is running but not ready; waiting for it")
            self._write_status()
        elif not ready and child.state == State.STARTING:
            if not self._deps_ready(child):
                child.started_at = now  # the clock runs only while what it needs is there
            elif now - child.started_at > self.policy.ready_timeout_s:
                self.say(
                    f"{name} is not ready {self.policy.ready_timeout_s:.0f} s after its start; "
                    "stopping it to start it again"
                )
                self._terminate(child)

    # ---- stopping ----

    def _terminate(self, child: Child) -> None:
        """SIGTERM to the part's group, wait, SIGKILL what is left; its exit is seen by
        ``step``."""
        proc = child.proc
        if proc is None or proc.poll() is not None:
            return
        _signal_group(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=self.policy.stop_timeout_s)
        except subprocess.TimeoutExpired:
            _signal_group(proc.pid, signal.SIGKILL)
            proc.wait()

    def _reap_group(self, child: Child) -> None:
        """Nothing the part started outlives it (a port held by a grandchild)."""
        if child.proc is not None:
            _signal_group(child.proc.pid, signal.SIGKILL)

    def stop_all(self) -> None:
        """Stop the parts in reverse start order and wait for each; idempotent."""
        if self._stopped:
            return
        self._stopped = True
        for child in reversed(self.children):
            if child.proc is not None and child.proc.poll() is None:
                self._terminate(child)
            self._reap_group(child)
            child.state = State.STOPPED
        self._write_status()
        self._events.close()

    # ---- status for operators and tests ----

    def _write_status(self) -> None:
        if self.status_path is None:
            return
        status = {
            "pid": os.getpid(),
            "parts": {
                c.spec.name: {
                    "pid": c.pid if c.state != State.STOPPED else None,
                    "state": str(c.state),
                    "restarts": c.restarts,
                    "last_exit": c.last_cause or None,
                }
                for c in self.children
            },
        }
        tmp = self.status_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(status, indent=2), encoding="utf-8")
        tmp.replace(self.status_path)


def _signal_group(pid: int, signum: int) -> None:
    try:
        os.killpg(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass
