"""A deadline for receiving a request's headers, at uvicorn's protocol.

uvicorn bounds neither: ``timeout_keep_alive`` covers only the idle time between requests, so a
client that sends part of its headers, or headers and part of a body, holds a connection and a
task for as long as it likes (uvicorn issue #157, "--timeout-request-start" and
"--timeout-request-complete", open). Here:

- ``header_deadline_protocol``: uvicorn's httptools protocol with one timer, armed when a
  connection opens and when a request's first byte arrives, and disarmed when its headers are
  complete. When it fires, the client gets ``408`` and the connection is closed. ASGI cannot do
  this: an app is called only once the headers are in.
- the body: the route reads it under ``asyncio.timeout(body_timeout_s)`` (api.py); past it, the
  answer is a ``408`` problem and the connection closes.
Other requests are served meanwhile: both wait on timers, not on a thread.
"""

from __future__ import annotations

import asyncio
import logging

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["header_deadline_protocol"]

log = logging.getLogger("planwatch_ingest.server")

_HEADERS_TOO_SLOW = b"".join(
    [
        b"HTTP/1.1 408 Request Timeout\r\n",
        b"content-type: application/problem+json\r\n",
        b"connection: close\r\n",
    ]
)


def _problem(detail: str) -> bytes:
    return orjson.dumps(
        {
            "type": "urn:planwatch:problem:request-timeout",
            "title": "Request timeout",
            "status": 408,
            "detail": detail,
        }
    )


def header_deadline_protocol(header_timeout_s: float) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol, closing a connection whose headers are not in on time."""

    body = _problem(f"the request headers did not arrive within {header_timeout_s:g} s")
    answer = _HEADERS_TOO_SLOW + b"content-length: %d\r\n\r\n" % len(body) + body

    class HeaderDeadline(HttpToolsProtocol):
        _header_timer: asyncio.TimerHandle | None = None

        def _arm(self) -> None:
            if self._header_timer is None:
                loop = asyncio.get_running_loop()
                self._header_timer = loop.call_later(header_timeout_s, self._too_slow)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _too_slow(self) -> None:
            self._header_timer = None
            if not self.transport.is_closing():
                log.info("request headers not complete after %gs: closed", header_timeout_s)
                self.transport.write(answer)
                self.transport.close()

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._arm()

        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return HeaderDeadline
