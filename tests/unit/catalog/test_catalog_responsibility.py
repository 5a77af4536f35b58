"""Who answers for each target: every entry has a real lead body of its plan's registry.

A lead is traced to the plan: the sentence that names it (牵头单位, 责任单位), or the body that
organises the plan when the sentence names none; the seed's words are kept either way. A body
the registry does not list (a fallback such as "青海省科技主管部门") is a load error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from planwatch.catalog import CatalogError, default_catalog, load_catalog, seed_text
from planwatch.catalog.loader import DATA_DIR
from planwatch.domain.model import AgencyKind, LeadBasis

CATALOG = default_catalog()


@pytest.mark.parametrize("entry", list(CATALOG), ids=lambda e: e.id)
def test_every_entry_has_a_real_lead_traced_to_the_plan(entry: Any) -> None:
    assert entry.lead_agencies, "no lead agency"
    for name in entry.lead_agencies:
        body = CATALOG.agency(name, entry.plan_code)
        assert body is not None, f"{name} is not a registry body of {entry.jurisdiction}"
        assert body.can_lead, f"{name} names several bodies"
        assert not name.endswith("主管部门")
    assert entry.lead_quote and entry.lead_quote in seed_text(entry.seed)
    if entry.lead_basis is LeadBasis.ORGANISER:
        assert entry.lead_agencies == CATALOG.plans[entry.plan_code].organiser
    for name in (*entry.responsible_agencies, entry.publisher):
        assert CATALOG.agency(name, entry.plan_code) is not None, name
    assert set(entry.co_responsible) <= set(entry.responsible_agencies)


def test_every_plan_names_its_organiser_supervisor_and_bureau_as_the_seed_does() -> None:
    for plan in CATALOG.plans.values():
        text = seed_text(plan.seed)
        assert plan.organiser and plan.organiser_quote in text, plan.code
        assert plan.supervisor_quote is None or plan.supervisor_quote in text, plan.code
        bureau = CATALOG.agency(plan.statistics_bureau or "", plan.code)
        assert bureau is not None and bureau.kind is AgencyKind.STATISTICS, plan.code
        if plan.supervisor:
            supervisor = CATALOG.agency(plan.supervisor, plan.code)
            assert supervisor is not None and supervisor.kind is AgencyKind.SUPERVISOR


def test_baiyin_annex_co_responsible_bodies_are_copied() -> None:
    # 附件 1.5 培育壮大科技创新型企业: 配合单位 市财政局、市政府金融办、国家税务总局白银市税务局
    entry = CATALOG.get("baiyin-high-tech-enterprises")
    assert entry is not None
    assert {"市财政局", "市政府金融办", "国家税务总局白银市税务局"} <= set(
        entry.responsible_agencies
    )
    assert "市政府金融办" in entry.co_responsible


def test_qinghai_has_its_own_registry_with_traditional_spellings() -> None:
    for written, agency_id in (
        ("省工業和信息化廳", "qh-gxt"),
        ("省文化和旅游廳", "qh-whlyt"),
        ("省委科技委員會辦公室", "qh-kwb"),
        ("各市州人民政府", "qh-szzzf"),
    ):
        body = CATALOG.agency(written, "qinghai")
        assert body is not None and body.id == agency_id, written
    assert not CATALOG.agencies["qh-szzzf"].can_lead


def _one_plan(root: Path, entry: dict[str, Any], plan: dict[str, Any] | None = None) -> Path:
    (root / "plans").mkdir(parents=True)
    (root / "agencies").mkdir()
    (root / "agencies" / "a.yaml").write_text(
        yaml.safe_dump(
            {
                "jurisdiction": "青海省",
                "agencies": [
                    {"id": "qh-kjt", "name": "省科技厅", "name_en": "S&T"},
                    {
                        "id": "qh-all",
                        "name": "各市州人民政府",
                        "name_en": "All",
                        "kind": "collective",
                    },
                ],
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    data = {
        "plan": {
            "code": "qh",
            "seed": "003_30e21cf5df1fad33.txt",
            "title": "测试",
            "title_en": "Test",
            "jurisdiction": "青海省",
            "start_year": 2024,
            "end_year": 2027,
            **(plan or {}),
        },
        "entries": [
            {
                "id": "qh-teams",
                "section": "一",
                "indicator": "引進高水平創新團隊",
                "indicator_en": "Teams",
                "unit": "個",
                "kind": "new_items",
                "direction": "higher",
                "targets": [{"year": 2027, "value": 30}],
                "source_quote": "引進高水平創新團隊30個以上",
                **entry,
            }
        ],
    }
    (root / "plans" / "003_qh.yaml").write_text(
        yaml.safe_dump(data, allow_unicode=True), encoding="utf-8"
    )
    return root


def test_an_entry_without_a_lead_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"003_qh\.yaml: entry qh-teams: lead_agencies: empty"):
        load_catalog(_one_plan(tmp_path, {}))


def test_a_fallback_body_is_a_load_error_not_an_address(tmp_path: Path) -> None:
    entry = {"lead_agencies": ["青海省科技主管部门"]}
    with pytest.raises(CatalogError, match=r"lead_agencies: '青海省科技主管部门' is not a body"):
        load_catalog(_one_plan(tmp_path, entry))


def test_several_bodies_together_cannot_lead(tmp_path: Path) -> None:
    entry = {"lead_agencies": ["各市州人民政府"]}
    with pytest.raises(CatalogError, match=r"lead_agencies: '各市州人民政府' names several"):
        load_catalog(_one_plan(tmp_path, entry))


def test_an_organiser_lead_needs_the_plan_to_name_its_organiser(tmp_path: Path) -> None:
    entry = {"lead_basis": "organiser"}
    with pytest.raises(CatalogError, match=r"plan\.organiser"):
        load_catalog(_one_plan(tmp_path / "none", entry))
    catalog = load_catalog(
        _one_plan(tmp_path / "named", entry, {"organiser": ["省科技厅"], "organiser_quote": "x"})
    )
    [loaded] = list(catalog)
    assert loaded.lead_agencies == ("省科技厅",) and loaded.lead_quote == "x"
    # displayed in Simplified, as written beside it
    assert (loaded.unit, loaded.unit_as_written) == ("个", "個")
    assert loaded.indicator_simplified == "引进高水平创新团队"
    assert loaded.source_quote_simplified == "引进高水平创新团队30个以上"
    assert loaded.source_quote == "引進高水平創新團隊30個以上"


def test_the_shipped_data_dir_is_the_one_tested() -> None:
    assert (DATA_DIR / "agencies" / "qinghai.yaml").exists()


@pytest.mark.parametrize("name", ["routes.yml", "routes.example.yml"])
def test_alert_contacts_name_registry_bodies(name: str) -> None:
    """A contact route is for a body of the registry: never for a body that does not exist
    (such as 兰白两区统计局); the publishers and supervisors of the catalog have routes."""
    path = Path(__file__).parents[3] / "deploy" / "alerts" / name
    contacts = yaml.safe_load(path.read_text(encoding="utf-8")).get("contacts") or {}
    names = {n for a in CATALOG.agencies.values() for n in a.all_names}
    for key in contacts:
        assert key in CATALOG.agencies or key in names, f"{name}: {key} is not a registry body"
    if name == "routes.yml":
        for entry in CATALOG:
            for body in (entry.publisher, entry.supervisor):
                if body and CATALOG.body(body, entry.plan_code).kind in (
                    AgencyKind.STATISTICS,
                    AgencyKind.SUPERVISOR,
                ):
                    assert CATALOG.body(body, entry.plan_code).id in contacts, (entry.id, body)
