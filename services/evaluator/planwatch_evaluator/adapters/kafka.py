"""The publisher on the faust app's own producer (the one that also writes table changelogs)."""

from __future__ import annotations

from typing import Any

import faust

__all__ = ["FaustPublisher"]


class FaustPublisher:
    def __init__(self, app: faust.App, topics: list[str]) -> None:
        self._app = app
        raw: dict[str, Any] = {"key_type": bytes, "value_type": bytes}
        raw.update(key_serializer="raw", value_serializer="raw")
        self._topics = {name: app.topic(name, **raw) for name in topics}

    async def send(self, topic: str, key: bytes | None, value: bytes) -> None:
        await self._topics[topic].send(key=key, value=value)

    async def flush(self) -> None:
        await self._app.producer.flush()
