"""``smtp_server``: a real aiosmtpd server on 127.0.0.1 for each test (see support.smtp for
the faults it can inject: refusals with a 4xx/5xx reply, a slow reply)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.smtp import SmtpServer


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    try:
        yield server
    finally:
        server.stop()
