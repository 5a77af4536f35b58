"""A template of each jurisdiction, filled in with openpyxl and uploaded, is accepted whole."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from planwatch.catalog import default_catalog
from planwatch.settings import CommonSettings
from support.fixtures_ingest import make_keys
from support.fixtures_ingest import test_client_class as client_class
from support.ingest import MemoryPublisher

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
JURISDICTIONS = sorted(default_catalog().jurisdictions)


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    from planwatch_ingest.app import create_app
    from planwatch_ingest.settings import Settings

    tmp = tmp_path_factory.mktemp("roundtrip")
    keys_url = f"sqlite:///{tmp / 'keys.db'}"
    keys = make_keys(keys_url)
    settings = Settings(
        ledger_path=tmp / "ledger.db", common=CommonSettings(data_dir=tmp, keys_db_url=keys_url)
    )
    app = create_app(settings, catalog=default_catalog(), publisher=MemoryPublisher())
    with client_class()(app) as client:
        yield client, keys.everything


def test_the_catalog_has_the_five_plans_jurisdictions() -> None:
    assert {"甘肃省", "白银市", "兰白两区", "青海省", "白银高新区"} <= set(JURISDICTIONS)


@pytest.mark.parametrize("jurisdiction", JURISDICTIONS)
def test_template_round_trips(real: tuple[Any, str], jurisdiction: str) -> None:
    client, key = real
    auth = {"Authorization": f"Bearer {key}"}
    answer = client.get(f"/v1/templates/{jurisdiction}", headers=auth)
    assert answer.status_code == 200, answer.text
    book = load_workbook(io.BytesIO(answer.content))
    sheet = book["数据填报"]
    this_year = date.today().year
    filled = 0
    for line in sheet.iter_rows(min_row=2):
        period = str(line[2].value)
        if int(period[:4]) <= this_year:
            line[3].value = 1 + filled % 7  # a count, a share, a rank and a rate alike
            line[5].value = "统计年鉴"
            filled += 1
    assert filled > 0
    buffer = io.BytesIO()
    book.save(buffer)
    upload = client.post(
        "/v1/submissions",
        files={"file": (f"{jurisdiction}.xlsx", buffer.getvalue(), XLSX)},
        headers=auth,
    )
    assert upload.status_code == 202, upload.text
    result = upload.json()
    assert result["accepted"] == filled
    assert result["skipped"] == sheet.max_row - 1 - filled
    assert {r["jurisdiction"] for r in result["results"]} == {jurisdiction}


def test_a_year_the_plans_do_not_cover_is_refused(real: tuple[Any, str], tmp_path: Path) -> None:
    client, key = real
    answer = client.get(
        "/v1/templates/白银市", params={"year": 2030}, headers={"Authorization": f"Bearer {key}"}
    )
    assert answer.status_code == 404
    assert "2022–2025" in answer.json()["detail"]
