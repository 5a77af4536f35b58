"""Settings of the ingest service: ``PLANWATCH_INGEST_*`` plus the shared ``PLANWATCH_*`` ones.

Built in the entrypoint (``python -m planwatch_ingest``) or by the caller of ``create_app``;
never at import.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from planwatch.settings import CommonSettings

__all__ = ["Settings"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PLANWATCH_INGEST_", env_file=".env", extra="ignore"
    )

    host: str = Field("127.0.0.1", description="address to listen on")
    port: int = Field(8080, ge=1, le=65535, description="port to listen on")
    max_body_bytes: int = Field(
        20 * 1024 * 1024, ge=1024, description="largest request body accepted (413 above)"
    )
    max_rows: int = Field(100_000, ge=1, description="most rows in one request (413 above)")
    ledger_path: Path | None = Field(
        None, description="SQLite ledger (outbox); default <data_dir>/ingest-ledger.db"
    )
    ledger_url: str | None = Field(
        None,
        description="the ledger as a URL: postgresql://user@host/db (shared by every replica),"
        " sqlite:///path, or memory:// (tests); when unset, the SQLite file of ledger_path",
    )
    catalog_dir: Path | None = Field(
        None, description="catalog data directory to load instead of the shipped catalog"
    )
    topic: str = Field("submissions", description="topic the submissions are produced to")
    topic_partitions: int = Field(4, ge=1, description="partitions when the topic is created")
    publish_batch_rows: int = Field(5000, ge=1, description="ledger rows per publishing round")
    linger_ms: int = Field(5, ge=0, description="producer linger: batch records per request")
    delivery_timeout_s: float = Field(
        60.0, gt=0, description="how long the producer retries a batch before it fails"
    )
    broker_check_s: float = Field(1.0, gt=0, description="how often the broker is probed")
    retry_max_s: float = Field(5.0, gt=0, description="longest back-off between broker retries")
    header_timeout_s: float = Field(
        10.0, gt=0, description="a request's headers must arrive within this time (else closed)"
    )
    body_timeout_s: float = Field(
        30.0, gt=0, description="a request's body must arrive within this time (else 408)"
    )
    log_level: str = Field("INFO", description="level of the JSON logs")
    publisher_enabled: bool = Field(True, description="run the background publisher")
    common: CommonSettings = Field(default_factory=CommonSettings)

    def ledger_file(self) -> Path:
        if self.ledger_path is not None:
            return self.ledger_path
        self.common.data_dir.mkdir(parents=True, exist_ok=True)
        return self.common.data_dir / "ingest-ledger.db"
