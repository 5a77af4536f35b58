"""Board settings (prefix ``PLANWATCH_BOARD_``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from planwatch.settings import CommonSettings

__all__ = ["Settings"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PLANWATCH_BOARD_", env_file=".env", extra="ignore"
    )

    host: str = "127.0.0.1"
    port: int = 8084
    common: CommonSettings = Field(default_factory=CommonSettings)
