"""``smtp_server``: a real aiosmtpd server on loopback for each test (see support.smtp)."""

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
