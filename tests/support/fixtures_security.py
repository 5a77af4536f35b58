"""Real ingest and alerts processes for the security tests, with keys of known scope.

``secure_ingest`` runs ``python -m planwatch_ingest`` (uvicorn) once per test module, on the test
catalog of ``support.ingest`` (白银市 and 甘肃省), the session broker, a temporary data directory
and a key store created here. ``secure_alerts`` runs ``python -m planwatch_alerts`` on a database
seeded with one alert of 甘肃省 and one of 青海省.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from support.ingest import CITY, PROVINCE, write_catalog
from support.net import free_port
from support.services import ServiceProcess


@dataclass
class SecureService:
    """A running service, its keys by name (token and id), and where its key store lives."""

    url: str
    keys_url: str
    keys_file: Path
    root: Path
    service: ServiceProcess
    tokens: dict[str, str] = field(default_factory=dict)
    key_ids: dict[str, str] = field(default_factory=dict)

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    def new_key(self, owner: str, jurisdictions: list[str], roles: list[str]) -> tuple[str, str]:
        """Issue a key in the service's own store (as the admin command does): token, key id."""
        from planwatch.security import KeyStore, Role

        store = KeyStore(self.keys_url)
        try:
            token, record = store.create(owner, jurisdictions, [Role(r) for r in roles])
        finally:
            store.close()
        return token, record.key_id

    def alive(self) -> bool:
        proc = self.service.proc
        return proc is not None and proc.poll() is None


def _issue(service: SecureService, scopes: dict[str, tuple[str, list[str], list[str]]]) -> None:
    for name, (owner, jurisdictions, roles) in scopes.items():
        service.tokens[name], service.key_ids[name] = service.new_key(owner, jurisdictions, roles)


INGEST_KEYS = {
    "city": ("白银市统计局", [CITY], ["submit"]),
    "province": ("甘肃省统计局", [PROVINCE], ["submit"]),
    "reader": ("白银市科技局", [CITY], ["read"]),
    "everything": ("国家统计局", ["*"], ["submit"]),
}


@pytest.fixture(scope="module")
def secure_ingest(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SecureService]:
    root = tmp_path_factory.mktemp("secure-ingest")
    write_catalog(root / "catalog")
    keys_file = root / "keys.db"
    keys_url = f"sqlite:///{keys_file}"
    port = free_port()
    topic = f"security-{uuid.uuid4().hex[:8]}"
    env = {
        "PLANWATCH_INGEST_PORT": str(port),
        "PLANWATCH_INGEST_CATALOG_DIR": str(root / "catalog"),
        "PLANWATCH_INGEST_TOPIC": topic,
        "PLANWATCH_DATA_DIR": str(root / "data"),
        "PLANWATCH_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "PLANWATCH_KEYS_DB_URL": keys_url,
    }
    url = f"http://127.0.0.1:{port}"
    service = ServiceProcess("ingest", env, f"{url}/healthz")
    secure = SecureService(url, keys_url, keys_file, root, service)
    _issue(secure, INGEST_KEYS)
    service.start()
    try:
        yield secure
    finally:
        service.stop()


ALERTS_KEYS = {
    "gansu": ("甘肃省科技厅", ["甘肃省"], ["read"]),
    "qinghai": ("青海省科技厅", ["青海省"], ["read", "admin"]),
    "writer": ("甘肃省统计局", ["甘肃省"], ["submit"]),
    "everything": ("国家科技部", ["*"], ["read", "admin"]),
}


def _seed_alerts(db_url: str, keys_url: str, root: Path) -> None:
    """One alert of 甘肃省 and one of 青海省, written by the alerts engine itself."""
    import warnings

    from planwatch.domain.events import Status, StatusChange
    from planwatch.settings import CommonSettings
    from planwatch_alerts.app import create_app
    from planwatch_alerts.settings import Settings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    def change(indicator: str, jurisdiction: str, lead: str) -> StatusChange:
        return StatusChange(
            catalog_version="v",
            indicator_id=indicator,
            jurisdiction=jurisdiction,
            plan_code="p",
            from_status=None,
            to_status=Status.DETERIORATION,
            tier=None,
            assessment={"status": Status.DETERIORATION.value},
            target={"id": indicator},
            lead_agencies=(lead,),
            responsible_agencies=(lead,),
        )

    settings = Settings(
        db_url=db_url,
        consume=False,
        common=CommonSettings(data_dir=root, keys_db_url=keys_url),
    )
    app = create_app(settings, run_dispatcher=False)
    with TestClient(app):
        app.state.engine.handle(change("gsbase-a", "甘肃省", "甘肃省科技厅"))
        app.state.engine.handle(change("qinghai-b", "青海省", "青海省科技厅"))


@pytest.fixture(scope="module")
def secure_alerts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureService]:
    app_module = pytest.importorskip("planwatch_alerts.app", reason="planwatch_alerts has no app")
    if not hasattr(app_module, "create_app"):
        pytest.skip("planwatch_alerts has no create_app yet")
    root = tmp_path_factory.mktemp("secure-alerts")
    keys_file = root / "keys.db"
    keys_url = f"sqlite:///{keys_file}"
    db_url = f"sqlite:///{root / 'alerts.db'}"
    _seed_alerts(db_url, keys_url, root)
    port = free_port()
    env = {
        "PLANWATCH_ALERTS_PORT": str(port),
        "PLANWATCH_ALERTS_DB_URL": db_url,
        "PLANWATCH_ALERTS_CONSUME": "false",
        # Nothing listens there: deliveries fail and are retried, which these tests ignore.
        "PLANWATCH_ALERTS_SMTP_PORT": str(free_port()),
        "PLANWATCH_DATA_DIR": str(root),
        "PLANWATCH_KEYS_DB_URL": keys_url,
    }
    url = f"http://127.0.0.1:{port}"
    service = ServiceProcess("alerts", env, f"{url}/healthz")
    secure = SecureService(url, keys_url, keys_file, root, service)
    _issue(secure, ALERTS_KEYS)
    service.start()
    try:
        yield secure
    finally:
        service.stop()
