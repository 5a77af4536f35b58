"""Settings every service shares: where the broker is, where local state lives, the keys.

Each service has its own ``Settings`` class with its own prefix for what only it needs; this
one carries the ``PLANWATCH_`` variables they all read. Built in each entrypoint, never at import.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from planwatch.catalog import Catalog

__all__ = ["CommonSettings", "settings_config"]


def settings_config(prefix: str) -> SettingsConfigDict:
    """The configuration every planwatch settings class shares: variables named ``prefix…``,
    read from the environment and ``.env``, and an empty value (``NAME=``, as ``.env.example``
    lists it) taken as no value at all, so the default applies."""
    return SettingsConfigDict(
        env_prefix=prefix, env_file=".env", extra="ignore", env_ignore_empty=True
    )


class CommonSettings(BaseSettings):
    model_config = settings_config("PLANWATCH_")

    kafka_bootstrap: str = Field("127.0.0.1:19092", description="Kafka bootstrap servers")
    kafka_metadata_max_age_s: float = Field(
        5.0,
        gt=0,
        description="how often the Kafka clients refresh the cluster's metadata: a partition "
        "whose leader broker died is followed to its new leader within this time (aiokafka "
        "learns of a new leader on this clock only, not from a failed fetch)",
    )

    @property
    def kafka_metadata_max_age_ms(self) -> int:
        return int(self.kafka_metadata_max_age_s * 1000)

    data_dir: Path = Field(Path(".planwatch"), description="local state of the embedded default")
    keys_db_url: str | None = Field(
        None, description="SQLAlchemy URL of the API key store (default: SQLite in data_dir)"
    )
    demo_key: str | None = Field(None, description="a key valid for every jurisdiction (demo)")
    board_url: str = Field("http://127.0.0.1:8084", description="base URL of the board")
    catalog_dir: Path | None = Field(
        None,
        description="plan catalog folder (plans/, agencies/) that every service loads; "
        "default: the catalog shipped with planwatch",
    )

    def catalog(self) -> Catalog:
        """The catalog every service judges figures by: one folder for all of them, so that
        ingest never accepts an indicator the evaluator would not know."""
        from planwatch.catalog import default_catalog, load_catalog

        return load_catalog(self.catalog_dir) if self.catalog_dir else default_catalog()

    def keys_url(self) -> str:
        if self.keys_db_url:
            return self.keys_db_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.data_dir / 'keys.db').resolve()}"
