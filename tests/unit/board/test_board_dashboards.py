"""Dashboards as code: the committed JSON is what the code builds, on the pinned datasource."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from planwatch.boards.grafana import DATASOURCE_UID, build_all
from planwatch.domain.status import STATUS_INFO

ROOT = Path(__file__).resolve().parents[3]
FOLDER = ROOT / "deploy" / "grafana" / "dashboards"
BOARDS = build_all()


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


@pytest.mark.parametrize("name", sorted(BOARDS))
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


def test_boards_cover_overview_indicator_agency_and_completeness() -> None:
    assert set(BOARDS) == {"overview", "indicator", "agency", "completeness"}


@pytest.mark.parametrize("name", sorted(BOARDS))
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
