"""Agency names resolve within the jurisdiction of the plan that names them.

Provinces use the same short names for their own bodies (省科技厅, 省科技廳): a name is looked
up among the registry files of its plan's jurisdiction only, and a name that jurisdiction does
not list is unknown rather than another province's body.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from planwatch.catalog import CatalogError, default_catalog, load_catalog

GANSU_KJT = {
    "id": "gs-kjt",
    "name": "省科技厅",
    "name_traditional": "省科技廳",
    "name_en": "Gansu Provincial Department of Science and Technology",
}
GANSU_CZT = {
    "id": "gs-czt",
    "name": "省财政厅",
    "name_en": "Gansu Provincial Department of Finance",
}
QINGHAI_KJT = {
    "id": "qh-kjt",
    "name": "省科技厅",
    "name_traditional": "省科技廳",
    "name_en": "Qinghai Provincial Department of Science and Technology",
}


def _plan(code: str, jurisdiction: str, seed: str, agencies: list[str]) -> dict[str, Any]:
    return {
        "plan": {
            "code": code,
            "seed": seed,
            "title": f"{jurisdiction}测试计划",
            "title_en": f"Test plan of {code}",
            "jurisdiction": jurisdiction,
            "start_year": 2024,
            "end_year": 2027,
        },
        "entries": [
            {
                "id": f"{code}-firms",
                "section": "任务",
                "indicator": "高新技术企业",
                "indicator_en": "High-tech firms",
                "unit": "家",
                "kind": "level",
                "direction": "higher",
                "targets": [{"year": 2027, "value": 10}],
                "source_quote": "高新技术企业",
                "responsible_agencies": agencies,
                "lead_agencies": agencies[:1],
            }
        ],
    }


def _write(path: Path, data: Any) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def _catalog_dir(
    root: Path, registries: dict[str, Any], qinghai_names: list[str] | None = None
) -> Path:
    (root / "plans").mkdir(parents=True)
    (root / "agencies").mkdir()
    gansu = _plan("ga", "甘肃省", "000_7ade8bec270da3d1.txt", ["省科技厅", "省财政厅"])
    qinghai = _plan("qh", "青海省", "003_30e21cf5df1fad33.txt", qinghai_names or ["省科技廳"])
    _write(root / "plans" / "000_ga.yaml", gansu)
    _write(root / "plans" / "003_qh.yaml", qinghai)
    for name, data in registries.items():
        _write(root / "agencies" / name, data)
    return root


TWO_PROVINCES = {
    "gansu.yaml": {"jurisdiction": "甘肃省", "agencies": [GANSU_KJT, GANSU_CZT]},
    "qinghai.yaml": {"jurisdiction": "青海省", "agencies": [QINGHAI_KJT]},
}


def test_the_same_name_is_each_jurisdictions_own_body(tmp_path: Path) -> None:
    catalog = load_catalog(_catalog_dir(tmp_path, TWO_PROVINCES))
    for written in ("省科技厅", "省科技廳"):
        gansu, qinghai = catalog.agency(written, "ga"), catalog.agency(written, "qh")
        assert gansu is not None and gansu.id == "gs-kjt", written
        assert qinghai is not None and qinghai.id == "qh-kjt", written
    assert [e.id for e in catalog.led_by("qh-kjt")] == ["qh-firms"]
    assert [e.id for e in catalog.led_by("gs-kjt")] == ["ga-firms"]


def test_a_name_unknown_in_a_jurisdiction_does_not_borrow_anothers(tmp_path: Path) -> None:
    catalog = load_catalog(_catalog_dir(tmp_path, TWO_PROVINCES))
    found = catalog.agency("省财政厅", "ga")
    assert found is not None and found.id == "gs-czt"
    # Qinghai's plan names 省财政厅 too, but only Gansu's registry lists one.
    assert catalog.agency("省财政厅", "qh") is None
    assert catalog.agency("省科技厅", "no-such-plan") is None


def test_a_name_the_jurisdiction_does_not_list_is_an_error(tmp_path: Path) -> None:
    # Qinghai's plan names 省财政厅, which only Gansu's registry lists: no borrowed body, no
    # made-up address, but an error naming the entry, the field and the name
    with pytest.raises(CatalogError, match=r"qh-firms: responsible_agencies: '省财政厅'.*青海省"):
        load_catalog(_catalog_dir(tmp_path, TWO_PROVINCES, ["省科技廳", "省财政厅"]))


def test_the_shipped_qinghai_plan_resolves_to_qinghais_own_department() -> None:
    catalog = default_catalog()
    assert catalog.plans["qinghai"].jurisdiction == "青海省"
    gansu = catalog.agency("省科技廳", "gsbase")
    assert gansu is not None and gansu.id == "gs-kjt"
    for written in ("省科技廳", "省科技厅", "青海省科学技术厅"):
        qinghai = catalog.agency(written, "qinghai")
        assert qinghai is not None and qinghai.id == "qh-kjt", written


def test_within_one_jurisdiction_a_name_is_one_body(tmp_path: Path) -> None:
    other = {**QINGHAI_KJT, "id": "gs-kjt2"}
    registries = {
        **TWO_PROVINCES,
        "more.yaml": {"jurisdiction": "甘肃省", "agencies": [other]},
    }
    with pytest.raises(CatalogError, match=r"省科技厅.*甘肃省.*gs-kjt and gs-kjt2"):
        load_catalog(_catalog_dir(tmp_path, registries))


def test_a_registry_file_names_a_jurisdiction_that_has_plans(tmp_path: Path) -> None:
    unscoped = {"gansu.yaml": {"agencies": [GANSU_KJT]}}
    with pytest.raises(CatalogError, match=r"agencies/gansu\.yaml: jurisdiction"):
        load_catalog(_catalog_dir(tmp_path / "unscoped", unscoped))
    misspelt = {"gansu.yaml": {"jurisdiction": "甘肃", "agencies": [GANSU_KJT]}}
    with pytest.raises(CatalogError, match=r"agencies/gansu\.yaml: jurisdiction: no plan"):
        load_catalog(_catalog_dir(tmp_path / "misspelt", misspelt))
    empty = {"none.yaml": {"agencies": []}}
    with pytest.raises(CatalogError, match=r"lead_agencies: '省科技厅' is not a body"):
        load_catalog(_catalog_dir(tmp_path / "empty", empty))
