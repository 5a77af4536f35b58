"""Against a real ingest process: slow headers and slow bodies are cut off, others are served.

Raw sockets play the slow clients (part of the headers; headers and part of the body, of a
submission and of a preview); a normal client is answered meanwhile. The deadlines are settings
(1 s and 1.5 s here).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from support.ingest import IngestProcess

pytestmark = pytest.mark.integration


@pytest.fixture
def service(tmp_path: Path) -> Iterator[IngestProcess]:
    env = {
        "PLANWATCH_INGEST_PUBLISHER_ENABLED": "false",
        "PLANWATCH_INGEST_HEADER_TIMEOUT_S": "1",
        "PLANWATCH_INGEST_BODY_TIMEOUT_S": "1.5",
    }
    process = IngestProcess("127.0.0.1:9", tmp_path, "unused", env=env).start()
    yield process
    process.stop()


def _read_until_closed(sock: socket.socket, limit: float = 10) -> tuple[bytes, float]:
    sock.settimeout(limit)
    started = time.monotonic()
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data, time.monotonic() - started


def test_slow_headers_and_bodies_are_cut_off_while_others_are_served(
    service: IngestProcess,
) -> None:
    slow_headers = socket.create_connection(("127.0.0.1", service.port))
    slow_headers.sendall(b"POST /v1/submissions HTTP/1.1\r\nHost: ingest\r\n")  # no end
    slow_body = socket.create_connection(("127.0.0.1", service.port))
    slow_body.sendall(
        b"POST /v1/submissions HTTP/1.1\r\nHost: ingest\r\n"
        b"Authorization: Bearer " + service.key.encode() + b"\r\n"
        b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        b'[{"indicator'  # 12 of the 100 bytes announced
    )
    slow_preview = socket.create_connection(("127.0.0.1", service.port))
    slow_preview.sendall(
        b"POST /v1/submissions/preview HTTP/1.1\r\nHost: ingest\r\n"
        b"Authorization: Bearer " + service.key.encode() + b"\r\n"
        b"Content-Type: text/csv\r\nContent-Length: 100\r\n\r\n"
        b"indicator_id,"  # the preview reads its body within the same deadline
    )
    started = time.monotonic()
    # Meanwhile, a client that sends its request at once is answered at once.
    response = httpx.post(
        f"{service.url}/v1/submissions",
        json={"indicator_id": "tcity-firms", "period": "2023", "value": 7},
        headers={"Authorization": f"Bearer {service.key}"},
        timeout=5,
    )
    assert response.status_code == 202 and time.monotonic() - started < 1.0

    answer, _ = _read_until_closed(slow_headers)
    assert answer.startswith(b"HTTP/1.1 408 ") and 0.5 < time.monotonic() - started < 5
    assert b"headers did not arrive within 1 s" in answer

    answer, _ = _read_until_closed(slow_body)
    elapsed = time.monotonic() - started
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 ") and 1.4 < elapsed < 6, (head, elapsed)
    assert b"connection: close" in head.lower()
    assert b"application/problem+json" in head
    problem = orjson.loads(body)
    assert problem["status"] == 408 and problem["type"].endswith(":request-timeout")
    assert problem["errors"] == [
        {
            "field": "body",
            "problem": "the request body did not arrive within 1.5 s",
            "reason": "timeout",
        }
    ]
    answer, _ = _read_until_closed(slow_preview)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 ") and b"connection: close" in head.lower()
    assert orjson.loads(body)["errors"][0]["reason"] == "timeout"
    # and the service still answers
    assert httpx.get(f"{service.url}/healthz", timeout=5).status_code == 200
