"""``webhook_receiver``: a real local HTTP receiver recording requests (see support.webhook)."""

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
