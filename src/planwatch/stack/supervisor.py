"""Start the services of the embedded default as child processes, watch them, stop them in order.

Each service runs as ``python -m planwatch_<name>`` exactly as in its container; only the
environment differs. Children get their own session so Ctrl-C reaches the supervisor alone,
which then stops them in reverse start order and waits for each.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

__all__ = ["Child", "ServiceSpec", "Supervisor"]


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    module: str  # run as ``python -m <module>``
    health_url: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)


@dataclass
class Child:
    spec: ServiceSpec
    proc: subprocess.Popen[bytes]
    log_path: Path

    def tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


class Supervisor:
    def __init__(self, log_dir: Path, base_env: Mapping[str, str]) -> None:
        self.log_dir = log_dir
        self.base_env = dict(base_env)
        self.children: list[Child] = []
        log_dir.mkdir(parents=True, exist_ok=True)

    def start(self, spec: ServiceSpec) -> Child:
        log_path = self.log_dir / f"{spec.name}.log"
        log = log_path.open("ab")
        env = {**os.environ, **self.base_env, **spec.env}
        proc = subprocess.Popen(
            [sys.executable, "-m", spec.module],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        child = Child(spec, proc, log_path)
        self.children.append(child)
        return child

    def wait_healthy(self, timeout: float = 120.0) -> None:
        """Block until every child answers its health URL; raise naming the one that did not."""
        deadline = time.monotonic() + timeout
        pending = [c for c in self.children if c.spec.health_url]
        with httpx.Client(timeout=1.0) as client:
            while pending:
                self.check_alive()
                for child in list(pending):
                    try:
                        if client.get(child.spec.health_url or "").status_code == 200:
                            pending.remove(child)
                    except httpx.HTTPError:
                        pass
                if pending and time.monotonic() > deadline:
                    names = ", ".join(c.spec.name for c in pending)
                    raise TimeoutError(f"not healthy after {timeout:.0f}s: {names}")
                time.sleep(0.2)

    def check_alive(self) -> None:
        for child in self.children:
            code = child.proc.poll()
            if code is not None:
                raise RuntimeError(
                    f"{child.spec.name} exited with code {code}; last lines of "
                    f"{child.log_path}:\n{child.tail()}"
                )

    def stop_all(self, timeout: float = 15.0) -> None:
        for child in reversed(self.children):
            if child.proc.poll() is None:
                child.proc.send_signal(signal.SIGTERM)
            try:
                child.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                child.proc.kill()
                child.proc.wait()
        self.children.clear()
