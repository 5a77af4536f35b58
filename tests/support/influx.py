"""Real time-series servers for the tests, on loopback ports of their own.

- ``InfluxV1``: Debian's InfluxDB 1.6 (``influxd``): ``/write`` line protocol and ``/query``
  InfluxQL — the engine the dashboards' and docs' InfluxQL queries run against.
  ``fresh_database()`` gives an ``InfluxDatabase`` (write/query bound to a new database).
- ``VictoriaMetrics``: Debian's ``victoria-metrics``, which accepts the InfluxDB **v2 write API**
  (``/api/v2/write``) that ``influxdb-client`` uses; read back with ``samples()``.
- ``InfluxDB2``: InfluxDB 2 itself through testcontainers, where a Docker engine exists.

The two v2-write servers share one surface (``V2WriteServer``): ``url``, ``token``, ``org``,
``bucket``; ``samples(measurement, field, **tags)`` → ``[(epoch ms, value), …]`` as stored,
one entry per write of a point (VictoriaMetrics keeps a point written twice twice, so a test
can see a duplicate write); ``halt()`` / ``resume()`` take the server away and bring it back
on the same address with its data, for outage tests.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx

from support.net import free_port, wait_for_port

__all__ = ["InfluxDB2", "InfluxDatabase", "InfluxV1", "V2WriteServer", "VictoriaMetrics"]


class V2WriteServer(Protocol):
    url: str
    token: str
    org: str
    bucket: str

    def samples(self, measurement: str, field: str, **tags: str) -> list[tuple[int, float]]: ...

    def halt(self) -> None: ...

    def resume(self) -> None: ...


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
        # the RPC (backup) port and the HTTP port, both on loopback ports of our own
        config = re.sub(
            r'bind-address = "127.0.0.1:8088"', f'bind-address = "127.0.0.1:{free_port()}"', config
        )
        config = config.replace('bind-address = ":8086"', f'bind-address = "127.0.0.1:{self.port}"')
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

    def drop_database(self, name: str) -> None:
        self.query(f'DROP DATABASE "{name}"')

    def fresh_database(self) -> InfluxDatabase:
        name = f"t_{uuid.uuid4().hex[:12]}"
        self.create_database(name)
        return InfluxDatabase(self, name)

    def write(self, db: str, lines: str) -> None:
        r = httpx.post(f"{self.url}/write", params={"db": db}, content=lines.encode(), timeout=10)
        assert r.status_code == 204, r.text

    def query(self, q: str, db: str | None = None) -> list[dict[str, Any]]:
        """The ``series`` of the first statement's result (epoch seconds); raises on an error."""
        params = {"q": q, "epoch": "s"}
        if db:
            params["db"] = db
        r = httpx.post(f"{self.url}/query", params=params, timeout=10)
        r.raise_for_status()
        result = r.json()["results"][0]
        if "error" in result:
            raise ValueError(f"{q}: {result['error']}")
        series: list[dict[str, Any]] = result.get("series", [])
        return series

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class InfluxDatabase:
    """One database of an ``InfluxV1`` server: ``write(lines)`` and ``query(influxql)``."""

    server: InfluxV1
    name: str

    def write(self, lines: str) -> None:
        self.server.write(self.name, lines)

    def query(self, q: str) -> list[dict[str, Any]]:
        return self.server.query(q, db=self.name)


@dataclass
class VictoriaMetrics:
    port: int = field(default_factory=free_port)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="vm-")))
    proc: subprocess.Popen[bytes] | None = None
    # VictoriaMetrics ignores these; they are what a client of InfluxDB 2 would send
    token: str = "planwatch-test-token"
    org: str = "planwatch"
    bucket: str = "planwatch"

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
        """``/api/v1/export`` of a series selector: raw samples, every write kept."""
        httpx.get(f"{self.url}/internal/force_flush", timeout=10)
        r = httpx.get(
            f"{self.url}/api/v1/export", params={"match[]": match, "start": "0"}, timeout=10
        )
        r.raise_for_status()
        return [json.loads(line) for line in r.text.splitlines() if line.strip()]

    def samples(self, measurement: str, field: str, **tags: str) -> list[tuple[int, float]]:
        # line protocol `m,tags f=v` is stored as the metric `m_f` with the tags as labels
        labels = "".join(f",{k}={json.dumps(v, ensure_ascii=False)}" for k, v in tags.items())
        rows = self.export(f'{{__name__="{measurement}_{field}"{labels}}}')
        pairs = [
            (t, float(v))
            for row in rows
            for t, v in zip(row["timestamps"], row["values"], strict=True)
        ]
        return sorted(pairs, key=lambda pair: pair[0])

    def halt(self) -> None:
        """Stop the process and keep its data: the address refuses connections until resume."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        self.proc = None

    def resume(self) -> None:
        self.start()

    def stop(self) -> None:
        self.halt()
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class InfluxDB2:
    """InfluxDB 2 in a container (testcontainers); only where a Docker engine exists."""

    port: int = field(default_factory=free_port)
    token: str = "planwatch-test-token"
    org: str = "planwatch"
    bucket: str = "planwatch"
    container: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> InfluxDB2:
        from testcontainers.community.influxdb.version2 import InfluxDb2Container

        self.container = InfluxDb2Container(
            image="influxdb:2.7",
            host_port=self.port,
            init_mode="setup",
            username="planwatch",
            password="planwatch-test-password",
            org_name=self.org,
            bucket=self.bucket,
            admin_token=self.token,
        ).start()
        return self

    def samples(self, measurement: str, field: str, **tags: str) -> list[tuple[int, float]]:
        from influxdb_client import InfluxDBClient

        where = "".join(
            f' and r["{k}"] == {json.dumps(v, ensure_ascii=False)}' for k, v in tags.items()
        )
        flux = (
            f'from(bucket: "{self.bucket}") |> range(start: 0)'
            f' |> filter(fn: (r) => r._measurement == "{measurement}"'
            f' and r._field == "{field}"{where})'
        )
        with InfluxDBClient(url=self.url, token=self.token, org=self.org) as client:
            tables = client.query_api().query(flux)
        return sorted(
            (int(rec.get_time().timestamp() * 1000), float(rec.get_value()))
            for table in tables
            for rec in table.records
        )

    def halt(self) -> None:
        self.container.get_wrapped_container().stop()

    def resume(self) -> None:
        self.container.get_wrapped_container().start()
        wait_for_port(self.port, timeout=60)

    def stop(self) -> None:
        if self.container is not None:
            self.container.stop()
