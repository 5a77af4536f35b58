"""Run planwatch services as real processes for end-to-end, fault and security tests.

``ServiceProcess("ingest", env)`` starts ``python -m planwatch_ingest`` with the given environment,
waits for ``/healthz``, and can be killed with SIGKILL or stopped and restarted, as an operator
(or a crash) would. Output goes to a log file whose tail is shown when a start fails.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

__all__ = ["ServiceProcess", "evaluator_process"]


@dataclass
class ServiceProcess:
    name: str  # ingest | evaluator | alerts | board
    env: Mapping[str, str]
    health_url: str | None = None
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path = field(
        default_factory=lambda: Path(tempfile.mkstemp(prefix="planwatch-", suffix=".log")[1])
    )
    # exit codes after which the process is started again, as its supervisor does (compose's
    # restart policy, ``planwatch run``): the evaluator's watchdog exits with 75
    restart_on: tuple[int, ...] = ()
    restarts: int = 0

    def start(self, wait: float = 90.0) -> ServiceProcess:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", f"planwatch_{self.name}"],
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        if self.restart_on:
            threading.Thread(target=self._supervise, args=(self.proc,), daemon=True).start()
        if self.health_url:
            self.wait_healthy(wait)
        return self

    def _supervise(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.wait() in self.restart_on and self.proc is proc:
            self.restarts += 1
            self.start()

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc and self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.tail()}")
            try:
                if httpx.get(self.health_url or "", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{self.name} not healthy after {timeout}s:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL: no cleanup, as in a crash."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def evaluator_process(
    bootstrap: str, data_dir: Path, settings: Mapping[str, str] | None = None
) -> tuple[ServiceProcess, int]:
    """``python -m planwatch_evaluator`` on ``bootstrap`` (its topics created here) with a data
    dir of the test's own and a 6 s session timeout; ``settings`` adds environment variables.
    Started; returns the process and its web port (/healthz, /metrics)."""
    from planwatch.domain.events import Topics
    from support.kafka import create_topics
    from support.net import free_port

    create_topics(bootstrap, [str(t) for t in Topics if t != Topics.DEAD_LETTER])
    create_topics(bootstrap, [str(Topics.DEAD_LETTER)], partitions=1)
    port = free_port()
    process = ServiceProcess(
        "evaluator",
        {
            "PLANWATCH_KAFKA_BOOTSTRAP": bootstrap,
            "PLANWATCH_DATA_DIR": str(data_dir),
            "PLANWATCH_EVALUATOR_WEB_PORT": str(port),
            "PLANWATCH_EVALUATOR_SESSION_TIMEOUT_S": "6",
            **(settings or {}),
        },
        health_url=f"http://127.0.0.1:{port}/healthz",
    )
    return process.start(), port
