"""Alerts settings (prefix ``PLANWATCH_ALERTS_``), built in the entrypoint."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from planwatch.settings import CommonSettings

__all__ = ["Settings"]

DEFAULT_ROUTES = Path(__file__).resolve().parents[3] / "deploy" / "alerts" / "routes.yml"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PLANWATCH_ALERTS_", env_file=".env", extra="ignore"
    )

    host: str = "127.0.0.1"
    port: int = 8082
    db_url: str | None = None  # SQLAlchemy URL; default SQLite in the data dir
    routes_file: Path = DEFAULT_ROUTES
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525
    smtp_from: str = "planwatch@localhost"
    smtp_timeout_s: float = 10.0
    language: str = "zh"  # zh | en
    group_id: str = "planwatch-alerts"
    session_timeout_s: float = 6.0
    tick_s: float = 0.1  # how often the dispatcher looks for due notifications
    max_attempts: int = 5  # delivery tries before a notification is recorded as failed
    retry_base_s: float = 1.0  # backoff: base · 2^(attempt−1), capped at retry_max_s
    retry_max_s: float = 60.0
    consume: bool = True  # consume status-changes (off in tests that feed events directly)
    common: CommonSettings = Field(default_factory=CommonSettings)

    def database_url(self) -> str:
        if self.db_url:
            return self.db_url
        self.common.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.common.data_dir / 'alerts.db').resolve()}"
