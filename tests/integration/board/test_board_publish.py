"""`planwatch grafana publish` is idempotent.

Grafana cannot run on this machine (no package, no Docker engine). Where Docker exists, the
testcontainers test publishes twice to a real Grafana. Here, a small local HTTP server that
keeps datasources, folders and dashboards the way Grafana's API does stands in for Grafana: it
checks our read-compare-write logic, not Grafana itself.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from grafana_client import GrafanaApi

from planwatch.boards.publish import publish
from support.docker import docker_available
from support.net import free_port


class FakeGrafana:
    """Datasources by uid, folders by uid, dashboards by uid with a version; records writes."""

    def __init__(self) -> None:
        self.datasources: dict[str, dict] = {}
        self.folders: dict[str, dict] = {}
        self.dashboards: dict[str, dict] = {}
        self.writes: list[str] = []
        self.port = free_port()

    def handle(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        parts = path.strip("/").split("/")[1:]  # drop "api"
        if parts[:2] == ["datasources", "uid"]:
            uid = parts[2]
            if method == "GET":
                return (200, self.datasources[uid]) if uid in self.datasources else (404, {})
            self.writes.append(f"PUT datasource {uid}")
            self.datasources[uid] = body
            return 200, {}
        if parts == ["datasources"] and method == "POST":
            self.writes.append("POST datasource")
            self.datasources[body["uid"]] = body
            return 200, {}
        if parts[0] == "folders":
            if method == "GET":
                return (200, self.folders[parts[1]]) if parts[1] in self.folders else (404, {})
            self.writes.append("POST folder")
            self.folders[body["uid"]] = body
            return 200, body
        if parts[:2] == ["dashboards", "uid"]:
            board = self.dashboards.get(parts[2])
            return (200, {"dashboard": board}) if board else (404, {})
        if parts == ["dashboards", "db"]:
            board = dict(body["dashboard"])
            old = self.dashboards.get(board["uid"])
            board["version"] = (old["version"] + 1) if old else 1
            board["id"] = 7
            self.dashboards[board["uid"]] = board
            self.writes.append(f"POST dashboard {board['uid']}")
            return 200, {"status": "success"}
        return 404, {}

    def serve(self) -> ThreadingHTTPServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _do(self, method: str) -> None:
                length = int(self.headers.get("content-length", 0) or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                code, answer = fake.handle(method, self.path, body)
                data = json.dumps(answer).encode()
                self.send_response(code)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._do("GET")

            def do_POST(self) -> None:
                self._do("POST")

            def do_PUT(self) -> None:
                self._do("PUT")

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return server


@pytest.fixture
def fake_grafana() -> Iterator[FakeGrafana]:
    fake = FakeGrafana()
    server = fake.serve()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def test_publish_twice_changes_nothing_the_second_time(fake_grafana: FakeGrafana) -> None:
    api = GrafanaApi.from_url(f"http://127.0.0.1:{fake_grafana.port}", credential="token")
    first = publish(api, "http://influxdb:8086")
    assert len(first) == 6  # datasource, folder, four dashboards
    versions = {uid: d["version"] for uid, d in fake_grafana.dashboards.items()}
    writes = len(fake_grafana.writes)
    second = publish(api, "http://influxdb:8086")
    assert second == [] and len(fake_grafana.writes) == writes
    assert {uid: d["version"] for uid, d in fake_grafana.dashboards.items()} == versions
    assert fake_grafana.datasources["planwatch-influxdb"]["type"] == "influxdb"


@pytest.mark.docker
@pytest.mark.skipif(not docker_available(), reason="needs a Docker engine for a real Grafana")
def test_publish_twice_to_a_real_grafana() -> None:  # pragma: no cover - runs where Docker is
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs

    with DockerContainer("grafana/grafana:11.2.0").with_exposed_ports(3000) as grafana:
        wait_for_logs(grafana, "HTTP Server Listen", timeout=120)
        url = f"http://{grafana.get_container_host_ip()}:{grafana.get_exposed_port(3000)}"
        api = GrafanaApi.from_url(url, credential=("admin", "admin"))
        assert publish(api, "http://influxdb:8086")
        assert publish(api, "http://influxdb:8086") == []
