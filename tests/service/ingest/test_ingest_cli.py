"""``planwatch push``, ``template`` and ``keys`` against the app served by uvicorn in a thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from openpyxl import load_workbook
from typer.testing import CliRunner

from planwatch.cli.main import app as cli
from planwatch.settings import CommonSettings
from planwatch_ingest.app import create_app
from planwatch_ingest.settings import Settings
from support.fixtures_ingest import make_keys
from support.ingest import CITY, MemoryPublisher, test_catalog
from support.net import free_port

CSV = (
    "indicator_id,period,value,unit,comment\r\n"
    "tcity-rd-spend,2023,12000,万元,\r\n"
    "tcity-firms,2023,-5,家,\r\n"
    "tcity-talent,2023,1.5,万人,=HYPERLINK()\r\n"
)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[dict[str, Any]]:
    keys_url = f"sqlite:///{tmp_path / 'keys.db'}"
    keys = make_keys(keys_url)
    settings = Settings(
        ledger_path=tmp_path / "ledger.db",
        common=CommonSettings(data_dir=tmp_path, keys_db_url=keys_url),
    )
    app = create_app(settings, catalog=test_catalog(tmp_path / "cat"), publisher=MemoryPublisher())
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    try:
        yield {"url": f"http://127.0.0.1:{port}", "key": keys.city, "keys_url": keys_url}
    finally:
        server.should_exit = True
        thread.join(10)


def test_push_reports_accepted_and_rejected_rows(served: dict[str, Any], tmp_path: Path) -> None:
    runner = CliRunner()
    bad = tmp_path / "figures.csv"
    bad.write_bytes(CSV.encode("gb18030"))
    args = ["push", str(bad), "--url", served["url"]]
    result = runner.invoke(cli, args, env={"PLANWATCH_KEY": served["key"]})
    assert result.exit_code == 1, result.output
    assert "退回 3" in result.output
    assert "第3行" in result.output and "第4行" in result.output  # the file's own lines
    assert "个数不能为负" in result.output and "公式" in result.output
    english = runner.invoke(cli, [*args, "--lang", "en"], env={"PLANWATCH_KEY": served["key"]})
    assert "rejected 3" in english.output and "line 3" in english.output
    good = tmp_path / "good.csv"
    good.write_text("\r\n".join(CSV.splitlines()[:2]) + "\r\n", encoding="utf-8")
    result = runner.invoke(cli, ["push", str(good), "--url", served["url"], "--key", served["key"]])
    assert result.exit_code == 0, result.output
    assert "接收 1" in result.output
    result = runner.invoke(
        cli,
        ["push", "-", "--url", served["url"], "--key", served["key"]],
        input='[{"indicator_id": "tcity-rd-spend", "period": "2023", "value": 1.2}]',
    )
    assert result.exit_code == 0 and "重复 1" in result.output, result.output


def test_push_gives_up_when_nothing_listens(tmp_path: Path) -> None:
    file = tmp_path / "f.json"
    file.write_text('{"indicator_id": "x", "period": "2023", "value": 1}')
    url = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(
        cli, ["push", str(file), "--url", url, "--key", "k", "--retries", "2"]
    )
    assert result.exit_code == 3 and "尝试2次后放弃" in result.output


def test_keys_and_template_commands(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"PLANWATCH_KEYS_DB_URL": f"sqlite:///{tmp_path / 'k.db'}"}
    created = runner.invoke(
        cli,
        ["keys", "create", "--owner", "白银市统计局", "--jurisdiction", CITY],
        env=env,
    )
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("pw_")
    key_id = token.split("_")[1]
    listed = runner.invoke(cli, ["keys", "list"], env=env)
    assert key_id in listed.output and token.split("_", 2)[2] not in listed.output
    assert runner.invoke(cli, ["keys", "revoke", key_id], env=env).exit_code == 0
    assert runner.invoke(cli, ["keys", "revoke", key_id], env=env).exit_code == 1
    out = tmp_path / "t.xlsx"
    result = runner.invoke(cli, ["template", "甘肃省", "-o", str(out)])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(out).active
    assert sheet is not None
    assert "gsbase-rd-expenditure" in {row[0] for row in sheet.iter_rows(values_only=True)}
    assert runner.invoke(cli, ["template", "火星市"]).exit_code == 2


def test_push_and_template_suggest_the_nearest_spelling(
    served: dict[str, Any], tmp_path: Path
) -> None:
    runner = CliRunner()
    typo = tmp_path / "typo.json"
    # the CLI suggests from the shipped catalog; the test service refuses the id either way
    typo.write_text('[{"indicator_id": "gsbase-rd-expenditur", "period": "2023", "value": 1}]')
    result = runner.invoke(cli, ["push", str(typo), "--url", served["url"], "--key", served["key"]])
    assert result.exit_code == 1
    assert "没有这个指标编号" in result.output and "gsbase-rd-expenditure" in result.output
    missing = runner.invoke(cli, ["template", "白银"])
    assert missing.exit_code == 2 and "白银市" in missing.output
    english = runner.invoke(cli, ["template", "甘粛省", "--lang", "en"])
    assert "did you mean 甘肃省" in english.output
    uncovered = runner.invoke(cli, ["template", "白银市", "--year", "2030"])
    assert uncovered.exit_code == 2 and "2022—2025" in uncovered.output
