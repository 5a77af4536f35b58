"""Dashboards as code: the committed JSON is what the code builds, on the pinned datasource."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from planwatch.dashboards.grafana import DATASOURCE_UID, build_all
from planwatch.domain.status import STATUS_INFO

ROOT = Path(__file__).resolve().parents[3]
FOLDER = ROOT / "deploy" / "grafana" / "dashboards"
BOARDS = build_all()
# the leadership boards read InfluxDB; service-health reads Prometheus (tests below)
LEADERSHIP = sorted(name for name in BOARDS if name != "service-health")


def panels(board: dict) -> list[dict]:
    return board["panels"]


@pytest.mark.parametrize("name", sorted(BOARDS))
def test_committed_json_is_what_the_code_builds(name: str) -> None:
    committed = json.loads((FOLDER / f"{name}.json").read_text(encoding="utf-8"))
    assert committed == BOARDS[name], "run `planwatch grafana build` and commit the result"


def test_no_stray_dashboard_files() -> None:
    assert {p.stem for p in FOLDER.glob("*.json")} == set(BOARDS)


def test_the_pinned_uid_is_the_provisioned_one() -> None:
    provisioned = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/datasources/influxdb.yaml").read_text()
    )
    assert provisioned["datasources"][0]["uid"] == DATASOURCE_UID


@pytest.mark.parametrize("name", LEADERSHIP)
def test_every_panel_uses_the_datasource_raw_influxql_and_known_variables(name: str) -> None:
    board = BOARDS[name]
    defined = {v["name"] for v in board["templating"]["list"]}
    for variable in board["templating"]["list"]:
        assert variable["datasource"]["uid"] == DATASOURCE_UID
    for panel in panels(board):
        assert panel["datasource"]["uid"] == DATASOURCE_UID
        assert re.search(r"[\u4e00-\u9fff]", panel["title"]), "Chinese titles"
        assert panel["description"].isascii(), f"English descriptions: {panel['title']}"
        for target in panel["targets"]:
            assert target["rawQuery"] is True and target["datasource"]["uid"] == DATASOURCE_UID
            assert "from(bucket" not in target["query"], "InfluxQL, not Flux"
            used = set(re.findall(r"\$(\w+)", target["query"])) - {"__all"}
            assert used <= defined, f"{name}/{panel['title']}: undefined {used - defined}"


def test_boards_cover_overview_indicator_agency_completeness_and_service_health() -> None:
    assert set(BOARDS) == {"overview", "indicator", "agency", "completeness", "service-health"}


@pytest.mark.parametrize("name", LEADERSHIP)
def test_every_board_has_plan_jurisdiction_and_agency_variables(name: str) -> None:
    variables = [v["name"] for v in BOARDS[name]["templating"]["list"]]
    assert variables[:3] == ["plan", "jurisdiction", "agency"]
    if name == "indicator":
        assert "indicator" in variables
    for panel in panels(BOARDS[name]):
        used = set(re.findall(r"\$(\w+)", panel["description"]))
        assert used <= set(variables), f"{name}/{panel['title']}: {used}"


def test_variables_narrow_by_the_ones_before() -> None:
    by_name = {v["name"]: v for v in BOARDS["indicator"]["templating"]["list"]}
    assert "$plan" in by_name["jurisdiction"]["query"]
    assert "$jurisdiction" in by_name["agency"]["query"]
    assert {"$plan", "$jurisdiction", "$agency"} <= set(
        re.findall(r"\$\w+", by_name["indicator"]["query"])
    )
    assert by_name["indicator"]["multi"] is False


def test_status_colours_cover_every_status_code() -> None:
    [table] = [p for p in panels(BOARDS["overview"]) if p["type"] == "table"][:1]
    options = table["fieldConfig"]["defaults"]["mappings"][0]["options"]
    assert set(options) == {str(i.code) for i in STATUS_INFO.values()}
    assert options["-3"]["text"] == "未达标 not achieved"
    assert len({o["color"] for o in options.values()}) == len(options)


# ---- service health (Prometheus) ------------------------------------------------------------


def _exposed_metric_names(tmp_path: Path) -> set[str]:
    """Every metric family the services register, as Prometheus names them."""
    from fastapi.testclient import TestClient
    from prometheus_client.parser import text_string_to_metric_families

    from planwatch.settings import CommonSettings
    from planwatch_alerts.app import create_app
    from planwatch_alerts.settings import Settings
    from planwatch_evaluator.metrics import Metrics
    from planwatch_ingest.metrics import IngestMetrics

    names: set[str] = set()
    for registry in (IngestMetrics().registry, Metrics().registry):
        for family in registry.collect():
            names.add(f"{family.name}_total" if family.type == "counter" else family.name)
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'alerts.db'}",
        consume=False,
        common=CommonSettings(data_dir=tmp_path),
    )
    with TestClient(create_app(settings, run_dispatcher=False)) as client:
        text = client.get("/metrics").text
    for family in text_string_to_metric_families(text):
        names.add(family.name)
        names.add(f"{family.name}_total" if family.type == "counter" else family.name)
    return names


def test_the_service_health_board_reads_the_provisioned_prometheus() -> None:
    from planwatch.dashboards.health import PROMETHEUS_UID

    provisioned = yaml.safe_load(
        (ROOT / "deploy/grafana/provisioning/datasources/prometheus.yaml").read_text()
    )
    assert provisioned["datasources"][0]["uid"] == PROMETHEUS_UID
    board = BOARDS["service-health"]
    for panel in panels(board):
        assert panel["datasource"]["uid"] == PROMETHEUS_UID
        assert re.search(r"[\u4e00-\u9fff]", panel["title"]), "Chinese titles"
        assert panel["description"].isascii()
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == PROMETHEUS_UID and target["expr"]


def test_the_service_health_board_shows_what_an_operator_watches() -> None:
    exprs = " ".join(t["expr"] for p in panels(BOARDS["service-health"]) for t in p["targets"])
    assert "planwatch_evaluator_lag" in exprs  # consumer lag
    assert "planwatch_ingest_outbox_backlog" in exprs  # outbox depth
    assert 'outcome="dead_letter"' in exprs  # dead letters
    assert 'result=~"failed' in exprs  # notification failures


def test_every_metric_the_board_queries_is_one_a_service_exposes(tmp_path: Path) -> None:
    exposed = _exposed_metric_names(tmp_path) | {"up"}
    for panel in panels(BOARDS["service-health"]):
        for target in panel["targets"]:
            used = set(re.findall(r"\b(planwatch_\w+|up)\b", target["expr"]))
            assert used, target["expr"]
            assert used <= exposed, f"{panel['title']}: no service exposes {used - exposed}"


def test_prometheus_scrapes_every_service_on_its_port() -> None:
    config = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert jobs["ingest"]["static_configs"][0]["targets"] == ["ingest:8080"]
    assert jobs["alerts"]["static_configs"][0]["targets"] == ["alerts:8082"]
    # every replica of the evaluator, found by its service name
    assert jobs["evaluator"]["dns_sd_configs"][0] == {
        "names": ["evaluator"],
        "type": "A",
        "port": int(compose["evaluator"]["environment"]["PLANWATCH_EVALUATOR_WEB_PORT"]),
    }
