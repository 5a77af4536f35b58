"""The board's /readyz answers for the store it reads: 200 while the series answer, else 503."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from planwatch_board.adapters.embedded import EmbeddedReader
from planwatch_board.adapters.influxql import InfluxQLReader
from planwatch_board.app import create_app
from support.net import free_port


def test_ready_on_the_embedded_store_even_before_the_first_point(tmp_path: Path) -> None:
    client = TestClient(create_app(EmbeddedReader(tmp_path / "timeseries.db")))
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"status": "ready", "checks": {"series": "up"}}


def test_not_ready_while_influxdb_does_not_answer() -> None:
    reader = InfluxQLReader(f"http://127.0.0.1:{free_port()}", "planwatch", "token", timeout=1)
    client = TestClient(create_app(reader))
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"]["series"].startswith("down: ConnectError")
    assert client.get("/healthz").status_code == 200


@pytest.fixture
def refusing_influx() -> Iterator[str]:
    """An InfluxDB stand-in that refuses the token (401), as a wrong INFLUXDB_TOKEN would."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"code":"unauthorized","message":"unauthorized access"}')

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_not_ready_when_influxdb_refuses_the_token(refusing_influx: str) -> None:
    client = TestClient(create_app(InfluxQLReader(refusing_influx, "planwatch", "wrong")))
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert "401" in answer.json()["checks"]["series"]
