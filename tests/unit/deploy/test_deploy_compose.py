"""The production compose file boots as written, proved without a Docker engine.

It is valid by the compose specification's own JSON schema; each service's environment (its
image's ENV, .env.example as env_file, compose's own) builds that service's settings; every volume
is mounted on a folder its image creates for the non-root user; the Kafka service is configured
exactly as ``make run`` configures its broker. ``docker-compose config`` (Debian's 1.29) checks
the file once more where it is installed.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from support.compose import (
    COMPOSE,
    ENV_EXAMPLE,
    ROOT,
    Dockerfile,
    MissingVariable,
    compose_schema,
    env_file,
    rendered,
    service_environment,
)

REQUIRED = {
    "INFLUXDB_ADMIN_PASSWORD": "pw",
    "INFLUXDB_TOKEN": "token",
    "GRAFANA_ADMIN_PASSWORD": "pw",
    "SMTP_HOST": "smtp.example.invalid",
}
VAR = re.compile(r"\$\{([A-Z0-9_]+)(?::?[-?][^}]*)?\}")
PLANWATCH_SERVICES = ("ingest", "evaluator", "alerts", "board")
# what the containers of make run's single broker and compose's may differ in: addresses, the
# data folder and how many partitions a topic gets by default
MACHINE_SPECIFIC = {
    "listeners",
    "advertised.listeners",
    "controller.quorum.voters",
    "log.dirs",
    "num.partitions",
    "offsets.topic.num.partitions",
    "transaction.state.log.num.partitions",
}


def _env() -> dict[str, str]:
    """The variables compose interpolates with: .env.example with the secrets filled in."""
    return env_file(**REQUIRED)


def _services() -> dict[str, Any]:
    return rendered(_env())["services"]  # type: ignore[no-any-return]


def _documented() -> set[str]:
    return set(env_file())


# ---- the file itself -----------------------------------------------------------------------


def test_the_compose_file_is_valid_by_the_compose_specification_schema() -> None:
    schema = compose_schema()
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(rendered(_env())), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_the_schema_refuses_what_compose_would_refuse() -> None:
    """The validator is not a rubber stamp: a misspelt key and a bad restart policy fail."""
    validator = jsonschema.Draft7Validator(compose_schema())
    document = rendered(_env())
    document["services"]["ingest"]["restart_policy"] = "always"
    assert any("restart_policy" in e.message for e in validator.iter_errors(document))
    document = rendered(_env())
    document["services"]["ingest"]["depends_on"]["kafka-init"]["condition"] = "when_ready"
    assert list(validator.iter_errors(document))


def test_every_variable_of_the_compose_file_is_in_env_example() -> None:
    used = set(VAR.findall(COMPOSE.read_text(encoding="utf-8")))
    missing = used - _documented()
    assert not missing, f"not in .env.example: {sorted(missing)}"


@pytest.mark.parametrize("secret", sorted(REQUIRED))
def test_a_missing_secret_is_refused_by_name(secret: str) -> None:
    env = {k: v for k, v in _env().items() if k != secret}
    with pytest.raises(MissingVariable, match=secret):
        rendered(env)


def test_images_and_versions_are_pinned_in_the_compose_file_alone() -> None:
    services = _services()
    pinned = re.compile(r"[\w./-]+:v?\d+\.\d+\.\d+[\w.-]*")  # an exact release, never "latest"
    for name, service in services.items():
        image = service.get("image")
        if image and not image.startswith("planwatch/"):
            assert pinned.fullmatch(image), f"{name}: {image}"
    for path in [*ROOT.glob("services/*/Dockerfile"), ROOT / "deploy/kafka/Dockerfile"]:
        froms = re.findall(r"^FROM\s+(\S+)", path.read_text(encoding="utf-8"), re.M)
        assert all(f.startswith("${") for f in froms), f"{path}: a base image named outside compose"
    for name, service in services.items():
        if "build" in service:
            for arg in service["build"]["args"].values():
                assert pinned.fullmatch(arg), f"{name}: {arg}"
    # no version left to an environment variable
    assert not [n for n in _documented() if n.endswith("_VERSION")]


def test_long_running_services_restart_and_start_in_order() -> None:
    services = _services()
    for name, service in services.items():
        if name == "kafka-init":
            assert service["restart"] == "no"
            continue
        assert service["restart"] == "unless-stopped", name
        health = service.get("healthcheck") or "build" in service
        assert health, f"{name} has no health check"
        conditions = {v["condition"] for v in (service.get("depends_on") or {}).values()}
        assert conditions <= {"service_healthy", "service_completed_successfully"}, name
    for name in PLANWATCH_SERVICES:
        dockerfile = Dockerfile.of(services[name])
        assert "HEALTHCHECK" in dockerfile.path.read_text(encoding="utf-8"), name
        assert dockerfile.cmd[:2] == ["python", "-m"], name
        assert importlib.util.find_spec(dockerfile.cmd[2]) is not None, dockerfile.cmd[2]


# ---- settings ------------------------------------------------------------------------------


def _settings(name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """The settings object the service's container would build."""
    service = _services()[name]
    environment = service_environment(service, env_file(**REQUIRED))
    for key in list(os.environ):
        if key.startswith("PLANWATCH_"):
            monkeypatch.delenv(key)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)  # no .env here: the environment alone speaks
    module = Dockerfile.of(service).cmd[2]
    return importlib.import_module(f"{module}.settings").Settings()


@pytest.mark.parametrize("name", PLANWATCH_SERVICES)
def test_each_service_builds_its_settings_from_its_compose_environment(
    name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    services = _services()
    settings = _settings(name, monkeypatch, tmp_path)
    common = settings.common
    assert common.kafka_bootstrap == "kafka:9092"
    assert str(common.data_dir) == "/data"
    assert common.catalog_dir is None  # empty in .env.example: the shipped catalog
    assert common.catalog().jurisdictions
    # listens on the container's interfaces, on the port compose publishes
    bind = getattr(settings, "host", None) or settings.web_bind
    port = getattr(settings, "port", None) or settings.web_port
    assert bind == "0.0.0.0"
    published = [p for p in services[name].get("ports", []) if p.endswith(f":{port}")]
    assert published or name == "evaluator", f"{name} listens on {port}, compose publishes no such"
    assert services[name]["healthcheck" if "healthcheck" in services[name] else "build"]


def test_ingest_uses_the_partitions_kafka_init_creates_and_the_evaluator_asks_the_broker(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    partitions = int(_services()["kafka-init"]["environment"]["PLANWATCH_PARTITIONS"])
    assert partitions == int(_env()["PLANWATCH_PARTITIONS"]) == 12
    assert _settings("ingest", monkeypatch, tmp_path).topic_partitions == partitions
    # the evaluator is given no count: it reads the one kafka-init made (a count set in .env
    # would have to equal it, or the evaluator refuses to start)
    evaluator = _settings("evaluator", monkeypatch, tmp_path)
    assert "topic_partitions" not in evaluator.model_fields_set
    assert _env()["PLANWATCH_EVALUATOR_TOPIC_PARTITIONS"] == ""


def test_the_stores_live_on_the_volumes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    services = _services()
    ingest = _settings("ingest", monkeypatch, tmp_path)
    alerts = _settings("alerts", monkeypatch, tmp_path)
    assert ingest.common.keys_url() == alerts.common.keys_url() == "sqlite:////keys/keys.db"
    assert alerts.database_url() == "sqlite:////data/alerts.db"
    for name in ("ingest", "alerts"):
        targets = {v.split(":")[1] for v in services[name]["volumes"]}
        assert {"/keys", "/data"} <= targets, name


def test_alert_links_point_at_the_board(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    services = _services()
    alerts = _settings("alerts", monkeypatch, tmp_path)
    board_port = services["board"]["ports"][0].split(":")[0]
    assert alerts.common.board_url == f"http://localhost:{board_port}"
    # the page the links open (alerts' messages.py: <board>/indicators/<id>) is the board's
    from planwatch_alerts import messages
    from planwatch_board.app import create_app

    assert "/indicators/{alert['indicator_id']}" in Path(messages.__file__).read_text("utf-8")
    board_app = create_app(reader=None)  # type: ignore[arg-type]  # routes only, never served
    assert "/indicators/{indicator_id}" in {getattr(r, "path", "") for r in board_app.routes}
    board = _settings("board", monkeypatch, tmp_path)
    assert board.influx_url == "http://influxdb:8086"
    assert board.influx_database == _env()["INFLUXDB_BUCKET"]


def test_alerts_read_the_smtp_relay_and_the_mounted_routes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    alerts = _settings("alerts", monkeypatch, tmp_path)
    assert alerts.smtp_host == REQUIRED["SMTP_HOST"]
    assert alerts.smtp_port == int(_env()["SMTP_PORT"])
    assert str(alerts.routes_file) == "/etc/planwatch/routes.yml"
    mounted = [v for v in _services()["alerts"]["volumes"] if v.endswith(":ro")]
    source = mounted[0].split(":")[0]
    assert (ROOT / source).is_file(), source


def test_grafana_gets_every_variable_its_provisioning_uses() -> None:
    grafana = _services()["grafana"]
    assert "GF_DEFAULT_LOCALE" not in grafana["environment"]
    for path in (ROOT / "deploy/grafana/provisioning").rglob("*.yaml"):
        for var in VAR.findall(path.read_text(encoding="utf-8")):
            assert var in grafana["environment"], f"{path.name} uses ${{{var}}}"
    datasource = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/datasources/influxdb.yaml").read_text("utf-8")
    )["datasources"][0]
    assert datasource["uid"] == "planwatch-influxdb"


# ---- images --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [*PLANWATCH_SERVICES, "kafka"])
def test_every_volume_is_a_folder_the_image_gives_its_user(name: str) -> None:
    service = _services()[name]
    dockerfile = Dockerfile.of(service)
    assert dockerfile.user and dockerfile.user != "root", f"{dockerfile.path} runs as root"
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith((".", "/")):
            continue  # a file of the repository, mounted read-only
        assert target in dockerfile.created, f"{dockerfile.path} never creates {target}"
        assert dockerfile.owned.get(target) == dockerfile.user, (
            f"{dockerfile.path}: {target} is not owned by {dockerfile.user}"
        )


@pytest.mark.parametrize("name", PLANWATCH_SERVICES)
def test_every_image_installs_the_locked_versions(name: str) -> None:
    dockerfile = Dockerfile.of(_services()[name])
    copied = [src for srcs, _ in dockerfile.copied for src in srcs]
    locks = [src for src in copied if src.startswith("requirements/")]
    assert len(locks) == 1, dockerfile.path
    assert any("--require-hashes" in run for run in dockerfile.runs)
    assert any("--no-deps ." in run for run in dockerfile.runs)
    lock = (ROOT / locks[0]).read_text(encoding="utf-8")
    assert "--hash=sha256:" in lock
    # the test servers and the Grafana client stay in dev; psycopg only where a DSN may be given
    for dev_only in ("aiosmtpd==", "grafana-client==", "pytest==", "kafka-python=="):
        assert dev_only not in lock, f"{locks[0]} holds {dev_only}"
    assert ("psycopg==" in lock) == (name in ("ingest", "alerts")), locks[0]


# ---- Kafka ---------------------------------------------------------------------------------


def _broker_config(env: dict[str, str], data: Path) -> dict[str, str]:
    result = subprocess.run(
        ["bash", str(ROOT / "deploy/kafka/run-broker.sh"), "--print-config"],
        env={"PATH": os.environ["PATH"], **env, "KAFKA_DATA": str(data)},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    pairs = (
        line.split("=", 1)
        for line in result.stdout.splitlines()
        if line and not line.startswith("#")
    )
    return dict(pairs)  # type: ignore[arg-type]


def test_the_kafka_service_is_configured_as_make_run_configures_its_broker(
    tmp_path: Path,
) -> None:
    from planwatch.stack.broker import KafkaNode
    from planwatch.stack.run import RunOptions

    service = _services()["kafka"]
    dockerfile = Dockerfile.of(service)
    # the same jars (pom.xml through Maven) and the same template, filled by the same script
    assert service["build"]["context"] == "./deploy/kafka"
    assert any("dependency:copy-dependencies" in r and "pom.xml" in r for r in dockerfile.runs)
    copied = {src for srcs, _ in dockerfile.copied for src in srcs}
    assert {"pom.xml", "run-broker.sh", "server.properties.template", "log4j2.properties"} <= (
        copied
    )
    assert dockerfile.cmd[-1].endswith("/run-broker.sh")

    compose = _broker_config(service_environment(service, {}), tmp_path / "compose")
    options = RunOptions(tmp_path)
    node = KafkaNode(
        tmp_path / "run", port=options.broker_port, controller_port=options.controller_port
    )
    local = _broker_config(node.environment(tmp_path / "libs"), tmp_path / "run")

    assert set(compose) == set(local)
    differ = {k for k in compose if compose[k] != local[k]}
    unexpected = {k: (compose[k], local[k]) for k in differ - MACHINE_SPECIFIC}
    assert not unexpected, unexpected
    assert compose["advertised.listeners"] == "PLAINTEXT://kafka:9092"
    assert compose["controller.quorum.voters"] == "1@kafka:9093"
    assert compose["log.dirs"] == str(tmp_path / "compose" / "log")
    assert dockerfile.env["KAFKA_DATA"] in dockerfile.created
    assert compose["num.partitions"] == _env()["PLANWATCH_PARTITIONS"]
    assert compose["default.replication.factor"] == _env()["PLANWATCH_REPLICATION"]
    assert compose["min.insync.replicas"] == _env()["PLANWATCH_MIN_ISR"]


def test_kafka_init_creates_the_topics_with_partitions_and_replication_from_env() -> None:
    init = _services()["kafka-init"]
    assert init["image"] == _services()["kafka"]["image"]
    script = (ROOT / "deploy/kafka/create-topics.sh").read_text(encoding="utf-8")
    assert init["entrypoint"][-1] == "/opt/planwatch-kafka/create-topics.sh"
    assert '--partitions "$PARTITIONS"' in script
    assert script.count('--replication-factor "$REPLICATION"') == 2
    from planwatch.domain.events import Topics

    for topic in Topics:
        assert str(topic) in script, topic
    assert init["environment"]["PLANWATCH_REPLICATION"] == _env()["PLANWATCH_REPLICATION"]


# ---- docker-compose config -------------------------------------------------------------------


def _config(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    if shutil.which("docker-compose") is None:
        pytest.skip("Debian's docker-compose is not installed (make servers installs it)")
    empty_env = tmp_path / "empty.env"
    empty_env.write_text("")
    settings = tmp_path / "settings.env"
    shutil.copy(ENV_EXAMPLE, settings)
    clean = {k: v for k, v in os.environ.items() if k not in REQUIRED}
    return subprocess.run(
        ["docker-compose", "-f", str(COMPOSE), "--env-file", str(empty_env), "config"],
        env={**clean, **env, "PLANWATCH_ENV_FILE": str(settings)},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )


def test_docker_compose_config_accepts_the_file_with_the_required_secrets(
    tmp_path: Path,
) -> None:
    result = _config(REQUIRED, tmp_path)
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert {
        "kafka",
        "kafka-init",
        "influxdb",
        "prometheus",
        "grafana",
        *PLANWATCH_SERVICES,
    } <= set(services)
    # env_file reached the services: a setting only .env.example names
    assert services["ingest"]["environment"]["PLANWATCH_INGEST_MAX_ROWS"] == "100000"


@pytest.mark.parametrize("secret", sorted(REQUIRED))
def test_docker_compose_config_refuses_a_missing_secret_by_name(
    secret: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in REQUIRED.items() if k != secret}
    result = _config(env, tmp_path)
    assert result.returncode != 0
    assert secret in result.stderr


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
    mod = importlib.import_module(module)
    cls = mod.Settings if hasattr(mod, "Settings") else mod.CommonSettings
    names = {prefix + name.upper() for name in cls.model_fields if name != "common"}
    missing = names - _documented()
    assert not missing, f"add to .env.example: {sorted(missing)}"
