"""``planwatch alerts``: the commands against a served app (uvicorn on loopback), and
``check-routes`` on good and bad files."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from planwatch.cli.main import app as cli
from planwatch.domain.events import Status
from planwatch.settings import CommonSettings
from planwatch_alerts.app import create_app
from planwatch_alerts.settings import Settings
from support.alert_events import status_change, write_routes
from support.net import free_port
from support.smtp import SmtpServer

KEY = "cli-test-key"


@pytest.fixture
def served(tmp_path: Path, smtp_server: SmtpServer) -> Iterator[tuple[str, Any]]:
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'alerts.db'}",
        routes_file=write_routes(tmp_path / "routes.yml"),
        smtp_port=smtp_server.port,
        consume=False,
        common=CommonSettings(data_dir=tmp_path, demo_key=KEY),
    )
    app = create_app(settings, run_dispatcher=False)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    app.state.engine.handle(status_change(Status.LIMITED_PROGRESS))
    try:
        yield f"http://127.0.0.1:{port}", app
    finally:
        server.should_exit = True
        thread.join(10)


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env={"COLUMNS": "200"})


def test_list_and_acknowledge(served: tuple[str, Any]) -> None:
    url, _ = served
    listed = run("alerts", "list", "--url", url, "--key", KEY, "--json")
    assert listed.exit_code == 0, listed.output
    [alert] = json.loads(listed.output)
    assert alert["indicator_id"] == "gsbase-rd-expenditure" and alert["state"] == "open"
    table = run("alerts", "list", "--url", url, "--key", KEY)
    assert "gsbase-rd-expenditure" in table.output and "省科技厅" in table.output
    acked = run("alerts", "ack", str(alert["id"]), "--by", "张三", "--url", url, "--key", KEY)
    assert acked.exit_code == 0 and "acknowledged by 张三" in acked.output
    refused = run("alerts", "list", "--url", url, "--key", "wrong")
    assert refused.exit_code == 1 and "401" in refused.output


def test_check_routes(tmp_path: Path) -> None:
    good = run("alerts", "check-routes", str(write_routes(tmp_path / "good.yml")))
    assert good.exit_code == 0 and "valid" in good.output and "supervisor" in good.output
    bad = tmp_path / "bad.yml"
    bad.write_text("route: {receiver: lead-agency, group_wait: soon}\n", encoding="utf-8")
    result = run("alerts", "check-routes", str(bad))
    assert result.exit_code == 2 and "route.group_wait" in result.output
