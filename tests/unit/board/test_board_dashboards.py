"""Dashboards as code: the committed JSON is what the code builds, on the pinned datasource."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from planwatch.boards.grafana import DATASOURCE_UID, build_all

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
        assert panel["description"].isascii() or panel["description"], panel["title"]
        for target in panel["targets"]:
            assert target["rawQuery"] is True and target["datasource"]["uid"] == DATASOURCE_UID
            assert "from(bucket" not in target["query"], "InfluxQL, not Flux"
            used = set(re.findall(r"\$(\w+)", target["query"])) - {"__all"}
            assert used <= defined, f"{name}/{panel['title']}: undefined {used - defined}"


def test_boards_cover_overview_indicator_agency_and_completeness() -> None:
    assert set(BOARDS) == {"overview", "indicator", "agency", "completeness"}
    variables = {v["name"] for b in BOARDS.values() for v in b["templating"]["list"]}
    assert {"plan", "jurisdiction", "agency", "indicator"} <= variables
