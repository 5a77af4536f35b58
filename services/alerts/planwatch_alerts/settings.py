"""Alerts settings (prefix ``PLANWATCH_ALERTS_``), built in the entrypoint and passed down."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings

from planwatch.domain.events import Topics
from planwatch.settings import CommonSettings, settings_config

__all__ = ["DEFAULT_ROUTES", "Settings"]

DEFAULT_ROUTES = Path(__file__).resolve().parents[3] / "deploy" / "alerts" / "routes.yml"


class Settings(BaseSettings):
    model_config = settings_config("PLANWATCH_ALERTS_")

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
    smtp_security: Literal["none", "starttls", "ssl"] = Field(
        default="none",
        description="none (a relay inside the network), starttls (port 587) or ssl (port 465)",
    )
    smtp_username: str | None = Field(default=None, description="SMTP login (with TLS only)")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password")
    smtp_ca_file: Path | None = Field(
        default=None, description="CA certificate(s) of a relay with a private certificate"
    )
    language: Literal["zh", "en"] = Field(default="zh", description="language of the messages")
    topic: str = Field(default=str(Topics.STATUS_CHANGES), description="topic of status changes")
    group_id: str = Field(default="planwatch-alerts", description="consumer group")
    # A consumer joins its group within about half the session timeout: kept short.
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

    @model_validator(mode="after")
    def _login_only_over_tls(self) -> Settings:
        if self.smtp_username and self.smtp_security == "none":
            raise ValueError(
                "smtp_username is set but smtp_security is none: a password is never sent in "
                "clear text; set PLANWATCH_ALERTS_SMTP_SECURITY=starttls or ssl"
            )
        return self

    def smtp_options(self) -> dict[str, Any]:
        """The TLS and login arguments of ``EmailChannel``."""
        password = self.smtp_password.get_secret_value() if self.smtp_password else None
        return {
            "security": self.smtp_security,
            "username": self.smtp_username,
            "password": password,
            "ca_file": self.smtp_ca_file,
        }

    def database_url(self) -> str:
        if self.db_url:
            return self.db_url
        self.common.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.common.data_dir / 'alerts.db').resolve()}"
