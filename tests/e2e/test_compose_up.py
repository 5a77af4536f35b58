"""``docker compose up`` as an operator runs it: .env.example copied, the secrets filled in.

Builds every image, waits for every health check, pushes figures through ingest and reads them
on the board's indicator page (the page alert links open). Runs where a Docker engine with the
compose plugin answers; elsewhere it is skipped and tests/unit/deploy proves the file.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support.compose import COMPOSE, env_file
from support.docker import docker_available
from support.net import free_port
from support.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.docker]
KEY = "compose-smoke-key"
INDICATOR = "gsbase-rd-expenditure"


def _compose_plugin() -> bool:
    try:
        done = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@pytest.fixture(scope="module")
def compose_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    if not docker_available() or not _compose_plugin():
        pytest.skip("no Docker engine with the compose plugin here")
    folder = tmp_path_factory.mktemp("compose")
    ports = {name: str(free_port()) for name in ("INGEST_PORT", "ALERTS_PORT", "BOARD_PORT")}
    ports["GRAFANA_PORT"] = str(free_port())
    values = env_file(
        INFLUXDB_ADMIN_PASSWORD="smoke-password",
        INFLUXDB_TOKEN="smoke-token",
        GRAFANA_ADMIN_PASSWORD="smoke-password",
        SMTP_HOST="smtp.invalid",
        PLANWATCH_DEMO_KEY=KEY,
        PLANWATCH_BOARD_URL=f"http://localhost:{ports['BOARD_PORT']}",
        **ports,
    )
    dotenv = folder / ".env"
    dotenv.write_text("".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")
    project = f"planwatch-smoke-{uuid.uuid4().hex[:6]}"
    base = ["docker", "compose", "-p", project, "-f", str(COMPOSE), "--env-file", str(dotenv)]
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "PLANWATCH_ENV_FILE": str(dotenv)}
    try:
        up = subprocess.run(
            [*base, "up", "-d", "--build", "--wait", "--wait-timeout", "900"],
            env=env,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if up.returncode != 0:
            logs = subprocess.run([*base, "logs", "--tail", "60"], env=env, capture_output=True)
            pytest.fail(f"compose up failed:\n{up.stderr[-4000:]}\n{logs.stdout[-6000:]!r}")
        yield {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    finally:
        subprocess.run([*base, "down", "-v"], env=env, capture_output=True, timeout=300)


def test_every_service_is_up_and_says_what_it_waits_for(compose_stack: dict[str, str]) -> None:
    ingest = httpx.get(f"{compose_stack['INGEST_PORT']}/readyz", timeout=10)
    assert ingest.status_code == 200, ingest.text
    board = httpx.get(f"{compose_stack['BOARD_PORT']}/readyz", timeout=10)
    assert board.status_code == 200, board.text
    # alerts reach their store and the broker; the relay of this smoke test does not exist
    alerts = httpx.get(f"{compose_stack['ALERTS_PORT']}/readyz", timeout=30)
    assert alerts.status_code == 503
    checks = alerts.json()["checks"]
    assert checks["store"] == "up" and checks["broker"] == "up"
    assert checks["smtp"].startswith("down:")
    grafana = httpx.get(f"{compose_stack['GRAFANA_PORT']}/api/health", timeout=10)
    assert grafana.status_code == 200


def test_figures_pushed_to_ingest_reach_the_board(
    compose_stack: dict[str, str], tmp_path: Path
) -> None:
    csv = tmp_path / "figures.csv"
    csv.write_text(
        f"indicator_id,jurisdiction,period,value,unit\n{INDICATOR},甘肃省,2024,150,亿元\n",
        encoding="utf-8",
    )
    exe = Path(sys.executable).with_name("planwatch")
    pushed = subprocess.run(
        [str(exe), "push", str(csv), "--url", compose_stack["INGEST_PORT"], "--key", KEY],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr

    def shown() -> bool:
        page = httpx.get(f"{compose_stack['BOARD_PORT']}/indicators/{INDICATOR}", timeout=10)
        return page.status_code == 200 and "150" in page.text

    wait_until(shown, timeout=120, what="the figure on the board (evaluator → InfluxDB → board)")
