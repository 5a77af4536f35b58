"""The ingest app on a test catalog with a publisher fake, and keys of known scope."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.ingest import CITY, PROVINCE, Keys, MemoryPublisher, test_catalog


@dataclass
class IngestHarness:
    client: object  # fastapi.testclient.TestClient
    publisher: MemoryPublisher
    keys: Keys
    tmp: Path

    def auth(self, key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}


def make_keys(url: str) -> Keys:
    from planwatch.security import KeyStore, Role

    store = KeyStore(url)
    try:
        city, _ = store.create("白银市统计局", [CITY], [Role.SUBMIT])
        province, _ = store.create("甘肃省统计局", [PROVINCE], [Role.SUBMIT])
        reader, _ = store.create("白银市科技局", [CITY], [Role.READ])
        everything, _ = store.create("国家统计局", ["*"], [Role.SUBMIT])
    finally:
        store.close()
    return Keys(city=city, province=province, reader=reader, everything=everything)


def test_client_class() -> type:
    """Starlette's TestClient; it warns that it prefers httpx2, which is not a dependency here."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    return TestClient


@pytest.fixture
def ingest(tmp_path: Path) -> Iterator[IngestHarness]:
    from planwatch.settings import CommonSettings
    from planwatch_ingest.app import create_app
    from planwatch_ingest.settings import Settings

    TestClient = test_client_class()
    keys_url = f"sqlite:///{tmp_path / 'keys.db'}"
    keys = make_keys(keys_url)
    settings = Settings(
        ledger_path=tmp_path / "ledger.db",
        broker_check_s=0.05,
        common=CommonSettings(data_dir=tmp_path, keys_db_url=keys_url),
    )
    publisher = MemoryPublisher()
    app = create_app(settings, catalog=test_catalog(tmp_path / "catalog"), publisher=publisher)
    with TestClient(app) as client:
        yield IngestHarness(client=client, publisher=publisher, keys=keys, tmp=tmp_path)
