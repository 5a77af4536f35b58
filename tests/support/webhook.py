"""A real HTTP receiver on loopback, in a thread, that records every request.

Use the ``webhook_receiver`` fixture (tests/support/fixtures_webhook.py), or start one::

    from support.webhook import WebhookReceiver

    hook = WebhookReceiver().start()
    f"json://{hook.url}/hook"        # an apprise generic-webhook URL (JSON POST to /hook)
    f"{hook.http_url}/hook"          # the same receiver as a plain http:// URL
    [request] = hook.wait_for(1)     # {"method", "path", "body" (JSON or text), "headers"}
    hook.stop()

``hook.fail_with = 503`` answers every request with that status (and still records it) until
set back to ``None``, to test retries of webhook and chat-robot receivers.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from support.net import free_port

__all__ = ["WebhookReceiver"]


@dataclass
class WebhookReceiver:
    port: int = field(default_factory=free_port)
    requests: list[dict[str, Any]] = field(default_factory=list)
    fail_with: int | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        """host:port, as apprise URLs want it (``json://<url>/path``)."""
        return f"127.0.0.1:{self.port}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = int(self.headers.get("content-length", 0))
                raw = self.rfile.read(length)
                try:
                    body: Any = json.loads(raw)
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                with receiver.lock:
                    receiver.requests.append(
                        {
                            "method": self.command,
                            "path": self.path,
                            "body": body,
                            "headers": dict(self.headers),
                        }
                    )
                    status = receiver.fail_with or 200
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            do_POST = do_PUT = _record

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.requests) >= count:
                    return list(self.requests)
            time.sleep(0.02)
        raise TimeoutError(f"{len(self.requests)} requests after {timeout}s, wanted {count}")
