"""Board settings (prefix ``PLANWATCH_BOARD_``)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from planwatch.settings import CommonSettings

__all__ = ["Settings"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PLANWATCH_BOARD_", env_file=".env", extra="ignore"
    )

    host: str = "127.0.0.1"
    port: int = 8084
    influx_url: str | None = Field(
        default=None,
        description="InfluxDB to read with InfluxQL; unset: the embedded store in data_dir",
    )
    influx_database: str = Field(
        default="planwatch", description="database (InfluxDB 2: DBRP-mapped)"
    )
    influx_token: SecretStr | None = Field(
        default=None, description="InfluxDB 2 token (Token auth)"
    )
    alerts_url: str | None = Field(
        default=None,
        description="alerts service whose alerts and agencies' answers the pages show; unset: none",
    )
    alerts_key: SecretStr | None = Field(
        default=None, description="read key for the alerts API (default: the demo key)"
    )
    common: CommonSettings = Field(default_factory=CommonSettings)
