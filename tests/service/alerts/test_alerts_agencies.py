"""Agencies are addressed as the registry of their plan's jurisdiction says.

The shipped catalog, copied, with a registry file for 青海省 that lists its own 省科技厅: an alert
of a Gansu plan and one of the Qinghai plan, both led by 省科技厅 with 省财政厅 copied, go to
each province's own department, in separate digests; 省财政厅, which only Gansu's registry
lists, is not Gansu's department when the Qinghai plan names it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from planwatch.catalog import Catalog, load_catalog
from planwatch.catalog.loader import DATA_DIR
from planwatch.domain.events import Status
from planwatch.settings import CommonSettings
from planwatch_alerts.engine import AlertEngine
from planwatch_alerts.routing import load_routing
from planwatch_alerts.settings import Settings
from planwatch_alerts.store import make_engine
from support.alert_events import Clock, status_change, write_routes
from support.smtp import SmtpServer

QINGHAI_KJT = {
    "id": "qh-kjt",
    "name": "省科技厅",
    "name_traditional": "省科技廳",
    "name_en": "Qinghai Provincial Department of Science and Technology",
}


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    # the shipped catalog: Qinghai's registry (agencies/qinghai.yaml) lists its own
    # 省科技厅 (qh-kjt) and 省财政厅 (qh-czt)
    root = tmp_path / "catalog"
    shutil.copytree(DATA_DIR, root)
    loaded = load_catalog(root)
    assert loaded.agencies["qh-kjt"].name_traditional == QINGHAI_KJT["name_traditional"]
    return loaded


def test_each_jurisdiction_is_told_through_its_own_agencies(
    tmp_path: Path, smtp_server: SmtpServer, catalog: Catalog
) -> None:
    clock = Clock()
    path = write_routes(tmp_path / "routes.yml")
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'alerts.db'}",
        routes_file=path,
        smtp_port=smtp_server.port,
        consume=False,
        common=CommonSettings(data_dir=tmp_path),
    )
    engine = AlertEngine(
        make_engine(settings.database_url()), load_routing(path), catalog, settings, clock
    )
    engine.handle(status_change(Status.LIMITED_PROGRESS))  # gsbase, 甘肃省
    engine.handle(
        status_change(
            Status.LIMITED_PROGRESS,
            indicator="qinghai-innovation-teams-introduced",
            jurisdiction="青海省",
            plan_code="qinghai",
        )
    )
    clock.advance(seconds=31)
    engine.tick()
    mails = {m.message["To"]: m for m in smtp_server.wait_for(2)}
    assert set(mails) == {"gs-kjt@agencies.invalid", "qh-kjt@agencies.invalid"}
    gansu, qinghai = mails["gs-kjt@agencies.invalid"], mails["qh-kjt@agencies.invalid"]
    assert gansu.message["Cc"] == "gs-czt@agencies.invalid"
    # Qinghai's own finance department, a registry body: no made-up address
    assert qinghai.message["Cc"] == "qh-czt@agencies.invalid"
    assert "gsbase-rd-expenditure" in gansu.body and "qinghai-" not in gansu.body
    assert "qinghai-innovation-teams-introduced" in qinghai.body
    assert "gsbase-" not in qinghai.body
