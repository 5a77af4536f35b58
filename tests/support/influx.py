"""Real time-series servers for the tests, on loopback ports of their own.

- ``InfluxV1``: Debian's InfluxDB 1.6 (``influxd``): ``/write`` line protocol and ``/query``
  InfluxQL — the engine the dashboards' and docs' InfluxQL queries run against.
- ``VictoriaMetrics``: Debian's ``victoria-metrics``, which accepts the InfluxDB **v2 write API**
  (``/api/v2/write``) that ``influxdb-client`` uses; read back with ``/api/v1/export``.
Where a Docker engine exists, InfluxDB 2 itself can be used through testcontainers instead.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from support.net import free_port, wait_for_port

__all__ = ["InfluxV1", "VictoriaMetrics"]


@dataclass
class InfluxV1:
    port: int = field(default_factory=free_port)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="influxd-")))
    proc: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("influxd") is not None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> InfluxV1:
        config = subprocess.run(
            ["influxd", "config"], capture_output=True, text=True, check=True
        ).stdout
        config = config.replace("/var/lib/influxdb", str(self.root))
        config = re.sub(
            r'bind-address = "127.0.0.1:8088"', f'bind-address = "127.0.0.1:{free_port()}"', config
        )
        config = config.replace('bind-address = ":8086"', f'bind-address = "127.0.0.1:{self.port}"')
        config = config.replace("reporting-enabled = false", "reporting-enabled = false")
        path = self.root / "influxdb.conf"
        path.write_text(config)
        self.proc = subprocess.Popen(
            ["influxd", "-config", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_for_port(self.port)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/ping", timeout=1).status_code == 204:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError("influxd did not answer /ping")

    def create_database(self, name: str) -> None:
        self.query(f'CREATE DATABASE "{name}"')

    def write(self, db: str, lines: str) -> None:
        r = httpx.post(f"{self.url}/write", params={"db": db}, content=lines.encode(), timeout=10)
        assert r.status_code == 204, r.text

    def query(self, q: str, db: str | None = None) -> list[dict[str, Any]]:
        params = {"q": q, "epoch": "s"}
        if db:
            params["db"] = db
        r = httpx.post(f"{self.url}/query", params=params, timeout=10)
        r.raise_for_status()
        result = r.json()["results"][0]
        if "error" in result:
            raise ValueError(f"{q}: {result['error']}")
        return result.get("series", [])

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class VictoriaMetrics:
    port: int = field(default_factory=free_port)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="vm-")))
    proc: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("victoria-metrics") is not None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> VictoriaMetrics:
        self.proc = subprocess.Popen(
            [
                "victoria-metrics",
                f"-httpListenAddr=127.0.0.1:{self.port}",
                f"-storageDataPath={self.root}",
                "-retentionPeriod=100y",
                "-search.latencyOffset=0s",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)
        return self

    def export(self, match: str) -> list[dict[str, Any]]:
        httpx.get(f"{self.url}/internal/force_flush", timeout=10)
        r = httpx.get(
            f"{self.url}/api/v1/export", params={"match[]": match, "start": "0"}, timeout=10
        )
        r.raise_for_status()
        return [json.loads(line) for line in r.text.splitlines() if line.strip()]

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)
