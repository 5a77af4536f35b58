"""Portal settings (prefix ``PLANWATCH_PORTAL_``)."""

from __future__ import annotations

import secrets

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from planwatch.settings import CommonSettings

__all__ = ["Settings"]

_PLACEHOLDERS = {"changeme", "change-me", "secret", "placeholder"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PLANWATCH_PORTAL_", env_file=".env", extra="ignore"
    )

    host: str = Field("127.0.0.1", description="address to listen on")
    port: int = Field(8086, ge=1, le=65535, description="port to listen on")
    ingest_url: str = Field(
        "http://127.0.0.1:8080", description="the ingest service every action goes through"
    )
    session_secret: SecretStr = Field(
        default_factory=lambda: SecretStr(secrets.token_urlsafe(32)),
        description="signs the session cookie; unset: a new one at each start (signs everyone out)",
    )
    cookie_secure: bool = Field(
        True, description="send the session cookie over HTTPS only (browsers allow it on localhost)"
    )
    session_hours: int = Field(8, ge=1, le=24 * 7, description="how long a sign-in lasts")
    common: CommonSettings = Field(default_factory=CommonSettings)

    @field_validator("session_secret", mode="before")
    @classmethod
    def _random_when_empty(cls, value: object) -> object:
        # an empty line in .env (as in .env.example) means "not set"
        if value is None or (isinstance(value, str) and not value.strip()):
            return SecretStr(secrets.token_urlsafe(32))
        return value

    @field_validator("session_secret")
    @classmethod
    def _not_placeholder(cls, value: SecretStr) -> SecretStr:
        text = value.get_secret_value()
        if len(text) < 16 or text.lower() in _PLACEHOLDERS:
            raise ValueError("session_secret: at least 16 characters, not a placeholder")
        return value
