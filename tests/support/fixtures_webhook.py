"""``webhook_receiver``: a real HTTP receiver on 127.0.0.1 recording requests for each test
(see support.webhook; ``fail_with`` makes it answer an error status)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.webhook import WebhookReceiver


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver().start()
    try:
        yield receiver
    finally:
        receiver.stop()
