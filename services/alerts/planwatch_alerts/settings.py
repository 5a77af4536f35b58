"""Alerts settings (prefix ``PLANWATCH_ALERTS_``), built in the entrypoint and passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from planwatch.domain.events import Topics
from planwatch.settings import CommonSettings

__all__ = ["DEFAULT_ROUTES", "Settings"]

DEFAULT_ROUTES = Path(__file__).resolve().parents[3] / "deploy" / "alerts" / "routes.yml"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PLANWATCH_ALERTS_", env_file=".env", extra="ignore"
    )

    host: str = Field(default="127.0.0.1", description="address the API listens on")
    port: int = Field(default=8082, description="port of the API")
    db_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL (postgresql+psycopg://…); default SQLite in data_dir",
    )
    routes_file: Path = Field(default=DEFAULT_ROUTES, description="routing YAML")
    smtp_host: str = Field(default="127.0.0.1", description="SMTP server for e-mail receivers")
    smtp_port: int = Field(default=2525, description="SMTP port")
    smtp_from: str = Field(
        default="planwatch@localhost", description="From address of alert e-mail"
    )
    smtp_timeout_s: float = Field(default=10.0, gt=0, description="SMTP connect and reply timeout")
    language: Literal["zh", "en"] = Field(default="zh", description="language of the messages")
    topic: str = Field(default=str(Topics.STATUS_CHANGES), description="topic of status changes")
    group_id: str = Field(default="planwatch-alerts", description="consumer group")
    # Tansu (and Kafka) take about half the session timeout to let a consumer join its group.
    session_timeout_s: float = Field(default=6.0, gt=0, description="consumer session timeout")
    tick_s: float = Field(default=0.1, gt=0, description="how often timed work is looked at")
    max_attempts: int = Field(
        default=5, ge=1, description="delivery tries before recorded as failed"
    )
    retry_base_s: float = Field(default=1.0, ge=0, description="backoff: base · 2^(try−1) seconds")
    retry_max_s: float = Field(default=60.0, ge=0, description="longest wait between two tries")
    consume: bool = Field(
        default=True, description="consume status changes (off: API and timers only)"
    )
    public_url: str = Field(
        default="http://127.0.0.1:8082",
        description="address of this service as agencies reach it: the answer links point here",
    )
    link_secret: SecretStr | None = Field(
        default=None,
        description="key that signs the answer links; unset: a random key kept in data_dir",
    )
    link_ttl_days: float = Field(default=14.0, gt=0, description="days an answer link stays valid")
    reply_days: float = Field(
        default=7.0, gt=0, description="days an agency is asked to answer within (the deadline)"
    )
    common: CommonSettings = Field(default_factory=CommonSettings)

    def link_key(self) -> str:
        """The key signing answer links: the configured one, or one made once and kept."""
        if self.link_secret is not None:
            return self.link_secret.get_secret_value()
        path = self.common.data_dir / "alerts-link.key"
        if not path.exists():
            import secrets

            self.common.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(32))
            path.chmod(0o600)
        return path.read_text().strip()

    def database_url(self) -> str:
        if self.db_url:
            return self.db_url
        self.common.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.common.data_dir / 'alerts.db').resolve()}"
