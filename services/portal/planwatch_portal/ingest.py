"""The portal's one way to act: ingest's HTTP API, called with the bureau's own key.

Every check and every stored figure is ingest's (docs/ingest.md): the portal previews with
``POST /v1/submissions/preview``, submits with ``POST /v1/submissions``, reads what the bureau
sent with ``GET /v1/figures`` and fetches the template from ``GET /v1/templates/{jurisdiction}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

__all__ = ["Answer", "IngestClient", "IngestUnavailable"]


class IngestUnavailable(Exception):
    """Ingest cannot be reached (or answers 5xx): nothing was done."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any  # the decoded JSON (a problem for 4xx), or bytes for a file
    headers: dict[str, str]

    @property
    def ok(self) -> bool:
        return self.status < 300


class IngestClient:
    def __init__(self, base_url: str, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._client = httpx.AsyncClient(base_url=base_url, timeout=60, transport=transport)

    async def close(self) -> None:
        await self._client.aclose()

    async def _call(self, method: str, path: str, key: str, **kwargs: Any) -> Answer:
        headers = {"Authorization": f"Bearer {key}", **kwargs.pop("headers", {})}
        try:
            response = await self._client.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise IngestUnavailable(str(exc)) from exc
        if response.status_code >= 500:
            raise IngestUnavailable(f"{response.status_code}: {response.text[:200]}")
        media = response.headers.get("content-type", "")
        body: Any = response.content
        if "json" in media:
            body = response.json()
        return Answer(response.status_code, body, dict(response.headers))

    async def figures(self, key: str) -> Answer:
        return await self._call("GET", "/v1/figures", key)

    async def preview_rows(self, key: str, rows: list[dict[str, Any]]) -> Answer:
        return await self._call("POST", "/v1/submissions/preview", key, json=rows)

    async def preview_file(self, key: str, name: str, data: bytes, media: str) -> Answer:
        files = {"file": (name, data, media)}
        return await self._call("POST", "/v1/submissions/preview", key, files=files)

    async def submit(self, key: str, rows: list[dict[str, Any]], idempotency_key: str) -> Answer:
        headers = {"Idempotency-Key": idempotency_key}
        return await self._call("POST", "/v1/submissions", key, json=rows, headers=headers)

    async def template(self, key: str, jurisdiction: str, fmt: str) -> Answer:
        return await self._call("GET", f"/v1/templates/{jurisdiction}", key, params={"format": fmt})
