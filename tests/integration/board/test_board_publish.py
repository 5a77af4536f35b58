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

from planwatch.dashboards.grafana import build_all
from planwatch.dashboards.publish import publish
from support.docker import docker_available
from support.net import free_port


class FakeGrafana:
    """Datasources, folders and dashboards by uid, answering as Grafana's HTTP API does.

    Like Grafana it never returns a stored secret (only ``secureJsonFields``), bumps a
    dashboard's version on every save and tells its folder in ``meta``. Every write is recorded.
    """

    def __init__(self) -> None:
        self.datasources: dict[str, dict] = {}
        self.secrets: dict[str, dict] = {}
        self.folders: dict[str, dict] = {}
        self.dashboards: dict[str, dict] = {}
        self.meta: dict[str, dict] = {}
        self.writes: list[str] = []
        self.port = free_port()

    def _store_datasource(self, body: dict) -> None:
        uid = body["uid"]
        self.secrets[uid] = body.pop("secureJsonData", None) or self.secrets.get(uid, {})
        body.pop("secureJsonFields", None)
        self.datasources[uid] = {**body, "id": 3, "readOnly": False}

    def handle(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        parts = path.strip("/").split("/")[1:]  # drop "api"
        if parts[:2] == ["datasources", "uid"]:
            uid = parts[2]
            if method == "GET":
                if uid not in self.datasources:
                    return 404, {"message": "Data source not found"}
                fields = {k: True for k in self.secrets.get(uid, {})}
                return 200, {**self.datasources[uid], "secureJsonFields": fields}
            if self.datasources[uid].get("readOnly"):
                return 403, {"message": "Cannot update read-only data source"}
            self.writes.append(f"PUT datasource {uid}")
            self._store_datasource(body)
            return 200, {}
        if parts == ["datasources"] and method == "POST":
            self.writes.append("POST datasource")
            self._store_datasource(body)
            return 200, {}
        if parts[0] == "folders":
            if method == "GET":
                found = self.folders.get(parts[1])
                return (200, found) if found else (404, {"message": "folder not found"})
            self.writes.append("POST folder")
            self.folders[body["uid"]] = body
            return 200, body
        if parts[:2] == ["dashboards", "uid"]:
            board = self.dashboards.get(parts[2])
            if board is None:
                return 404, {"message": "Dashboard not found"}
            return 200, {"dashboard": board, "meta": self.meta[parts[2]]}
        if parts == ["dashboards", "db"]:
            board = dict(body["dashboard"])
            uid = board["uid"]
            if self.meta.get(uid, {}).get("provisioned"):
                return 400, {"message": "Cannot save provisioned dashboard"}
            old = self.dashboards.get(uid)
            board["version"] = (old["version"] + 1) if old else 1
            board["id"] = 7
            self.dashboards[uid] = board
            self.meta[uid] = {"folderUid": body.get("folderUid", ""), "provisioned": False}
            self.writes.append(f"POST dashboard {uid}")
            return 200, {"status": "success"}
        return 404, {"message": "not found"}

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


def api_for(fake: FakeGrafana) -> GrafanaApi:
    return GrafanaApi.from_url(f"http://127.0.0.1:{fake.port}", credential="service-token")


def test_publish_twice_changes_nothing_the_second_time(fake_grafana: FakeGrafana) -> None:
    api = api_for(fake_grafana)
    first = publish(api, "http://influxdb:8086", token="influx-token")
    # two datasources, the folder and every dashboard (four for leadership, one of service
    # health)
    assert len(first.changed) == 3 + len(build_all()) == 8 and first.skipped == []
    versions = {uid: d["version"] for uid, d in fake_grafana.dashboards.items()}
    writes = list(fake_grafana.writes)
    second = publish(api, "http://influxdb:8086", token="influx-token")
    assert second.changed == [] and fake_grafana.writes == writes
    assert {uid: d["version"] for uid, d in fake_grafana.dashboards.items()} == versions
    ds = fake_grafana.datasources["planwatch-influxdb"]
    assert ds["type"] == "influxdb" and ds["jsonData"]["dbName"] == "planwatch"
    assert fake_grafana.secrets["planwatch-influxdb"] == {"httpHeaderValue1": "Token influx-token"}
    assert set(fake_grafana.meta) == {b["uid"] for b in build_all().values()}
    # the service-health board's datasource, with the uid its panels name
    prometheus = fake_grafana.datasources["planwatch-prometheus"]
    assert (prometheus["type"], prometheus["url"]) == ("prometheus", "http://prometheus:9090")
    health = build_all()["service-health"]
    uids = {t["datasource"]["uid"] for p in health["panels"] for t in p.get("targets", [])}
    assert uids == {prometheus["uid"]}


def test_the_prometheus_datasource_follows_its_url_or_is_left_out(
    fake_grafana: FakeGrafana,
) -> None:
    api = api_for(fake_grafana)
    publish(api, "http://influxdb:8086", prometheus_url=None)
    assert "planwatch-prometheus" not in fake_grafana.datasources
    added = publish(api, "http://influxdb:8086", prometheus_url="http://prom.internal:9090")
    assert added.changed == ["datasource planwatch-prometheus created"]
    moved = publish(api, "http://influxdb:8086", prometheus_url="http://prom2:9090")
    assert moved.changed == ["datasource planwatch-prometheus updated"]
    assert fake_grafana.datasources["planwatch-prometheus"]["url"] == "http://prom2:9090"


def test_a_changed_token_url_or_folder_is_written_again(fake_grafana: FakeGrafana) -> None:
    api = api_for(fake_grafana)
    publish(api, "http://influxdb:8086", token="old")
    rotated = publish(api, "http://influxdb:8086", token="new")
    assert rotated.changed == ["datasource planwatch-influxdb updated"]
    assert fake_grafana.secrets["planwatch-influxdb"]["httpHeaderValue1"] == "Token new"
    moved = publish(api, "http://influx.internal:8086", token="new")
    assert moved.changed == ["datasource planwatch-influxdb updated"]
    fake_grafana.meta["planwatch-agency"]["folderUid"] = "elsewhere"  # moved in the UI
    again = publish(api, "http://influx.internal:8086", token="new")
    assert again.changed == ["dashboard agency (planwatch-agency) written"]
    assert fake_grafana.dashboards["planwatch-agency"]["version"] == 2


def test_provisioned_objects_are_left_alone(fake_grafana: FakeGrafana) -> None:
    api = api_for(fake_grafana)
    publish(api, "http://influxdb:8086")
    fake_grafana.datasources["planwatch-influxdb"]["readOnly"] = True
    fake_grafana.meta["planwatch-overview"]["provisioned"] = True
    writes = list(fake_grafana.writes)
    report = publish(api, "http://other:8086")
    assert report.changed == []
    assert len(report.skipped) == 2 and fake_grafana.writes == writes


def test_the_command_publishes_and_says_when_nothing_changed(fake_grafana: FakeGrafana) -> None:
    from typer.testing import CliRunner

    from planwatch.cli.main import app

    url = f"http://127.0.0.1:{fake_grafana.port}"
    args = ["grafana", "publish", "--url", url, "--user", "admin", "--password", "pw"]
    first = CliRunner().invoke(app, args)
    assert (
        first.exit_code == 0 and "dashboard overview (planwatch-overview) written" in first.output
    )
    second = CliRunner().invoke(app, args)
    assert second.exit_code == 0 and "nothing changed" in second.output
    no_credentials = CliRunner().invoke(app, ["grafana", "publish", "--url", url])
    assert no_credentials.exit_code == 2


@pytest.mark.docker
@pytest.mark.skipif(not docker_available(), reason="needs a Docker engine for a real Grafana")
def test_publish_twice_to_a_real_grafana() -> None:  # pragma: no cover - runs where Docker is
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.waiting_utils import wait_for_logs

    with DockerContainer("grafana/grafana:11.2.0").with_exposed_ports(3000) as grafana:
        wait_for_logs(grafana, "HTTP Server Listen", timeout=120)
        url = f"http://{grafana.get_container_host_ip()}:{grafana.get_exposed_port(3000)}"
        api = GrafanaApi.from_url(url, credential=("admin", "admin"))
        assert publish(api, "http://influxdb:8086", token="t").changed
        assert publish(api, "http://influxdb:8086", token="t").changed == []
