"""The production compose file is valid, documented, and wires every service with health checks."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
REQUIRED = {
    "INFLUXDB_ADMIN_PASSWORD": "pw",
    "INFLUXDB_TOKEN": "token",
    "GRAFANA_ADMIN_PASSWORD": "pw",
    "SMTP_HOST": "smtp.example.invalid",
}
VAR = re.compile(r"\$\{([A-Z0-9_]+)(?::?[-?][^}]*)?\}")


def _documented() -> set[str]:
    names = set()
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#") and "=" in line:
            names.add(line.split("=", 1)[0].strip())
    return names


def _compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def _config(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    if shutil.which("docker-compose") is None:
        pytest.skip("Debian's docker-compose is not installed (make servers installs it)")
    empty_env = tmp_path / "empty.env"
    empty_env.write_text("")
    clean = {k: v for k, v in __import__("os").environ.items() if k not in REQUIRED}
    return subprocess.run(
        ["docker-compose", "-f", str(COMPOSE), "--env-file", str(empty_env), "config"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def test_every_variable_of_the_compose_file_is_in_env_example() -> None:
    used = set(VAR.findall(COMPOSE.read_text(encoding="utf-8")))
    missing = used - _documented()
    assert not missing, f"not in .env.example: {sorted(missing)}"


def test_compose_file_validates_with_the_required_secrets(tmp_path: Path) -> None:
    result = _config(REQUIRED, tmp_path)
    assert result.returncode == 0, result.stderr
    rendered = yaml.safe_load(result.stdout)
    assert {"kafka", "kafka-init", "influxdb", "grafana", "ingest", "evaluator", "alerts"} <= set(
        rendered["services"]
    )


@pytest.mark.parametrize("secret", sorted(REQUIRED))
def test_a_missing_secret_is_refused_by_name(secret: str, tmp_path: Path) -> None:
    env = {k: v for k, v in REQUIRED.items() if k != secret}
    result = _config(env, tmp_path)
    assert result.returncode != 0
    assert secret in result.stderr


def test_long_running_services_have_health_checks_and_ordered_start() -> None:
    services = _compose()["services"]
    for name in ("kafka", "influxdb", "grafana"):
        assert "healthcheck" in services[name], name
    for name in ("ingest", "evaluator", "alerts"):
        dockerfile = ROOT / services[name]["build"]["dockerfile"]
        text = dockerfile.read_text(encoding="utf-8")
        assert "HEALTHCHECK" in text, f"{dockerfile} has no HEALTHCHECK"
        module = re.search(r'CMD \["python", "-m", "([a-z_]+)"\]', text)
        assert module, f"{dockerfile} does not run a planwatch module"
        assert importlib.util.find_spec(module.group(1)) is not None, module.group(1)
        conditions = {v["condition"] for v in services[name]["depends_on"].values()}
        assert conditions <= {"service_healthy", "service_completed_successfully"}


def test_the_grafana_datasource_is_provisioned_with_the_pinned_uid() -> None:
    path = ROOT / "deploy/grafana/provisioning/datasources/influxdb.yaml"
    datasource = yaml.safe_load(path.read_text(encoding="utf-8"))["datasources"][0]
    assert datasource["uid"] == "planwatch-influxdb"
    assert datasource["type"] == "influxdb"
    grafana_env = _compose()["services"]["grafana"]["environment"]
    for var in VAR.findall(path.read_text(encoding="utf-8")):
        assert var in grafana_env, f"provisioning uses ${{{var}}} but grafana does not get it"


@pytest.mark.parametrize(
    ("module", "prefix"),
    [
        ("planwatch_ingest.settings", "PLANWATCH_INGEST_"),
        ("planwatch_evaluator.settings", "PLANWATCH_EVALUATOR_"),
        ("planwatch_alerts.settings", "PLANWATCH_ALERTS_"),
        ("planwatch_board.settings", "PLANWATCH_BOARD_"),
        ("planwatch_portal.settings", "PLANWATCH_PORTAL_"),
        ("planwatch.settings", "PLANWATCH_"),
    ],
)
def test_every_setting_is_listed_in_env_example(module: str, prefix: str) -> None:
    import importlib

    mod = importlib.import_module(module)
    cls = mod.Settings if hasattr(mod, "Settings") else mod.CommonSettings
    names = {prefix + name.upper() for name in cls.model_fields if name != "common"}
    missing = names - _documented()
    assert not missing, f"add to .env.example: {sorted(missing)}"
