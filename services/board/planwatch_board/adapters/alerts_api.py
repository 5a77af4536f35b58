"""The board's reader of the alerts API (``GET /v1/alerts``), with a read key."""

from __future__ import annotations

import logging
from typing import Any

import httpx

__all__ = ["AlertsApiReader"]

log = logging.getLogger("planwatch.board")


class AlertsApiReader:
    def __init__(self, url: str, key: str, timeout: float = 5.0) -> None:
        self.url, self.key, self.timeout = url.rstrip("/"), key, timeout

    def alerts(self, **params: str) -> list[dict[str, Any]] | None:
        """The alerts matching ``params`` (indicator_id, plan, jurisdiction); None when the
        service cannot be read (the page says so instead of failing)."""
        try:
            response = httpx.get(
                f"{self.url}/v1/alerts",
                params=params,
                headers={"Authorization": f"Bearer {self.key}"},
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            log.warning("alerts API %s: %s", self.url, exc)
            return None
        if response.status_code != 200:
            log.warning("alerts API %s: %s %s", self.url, response.status_code, response.text)
            return None
        return list(response.json())
