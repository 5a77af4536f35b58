"""Helpers for the ingest tests: a small catalog of known shape, a publisher fake, keys, an app.

The catalog is written to a temporary directory so the tests do not depend on which plans the
shipped catalog holds at the time. The publisher fake keeps events in memory: service tests use
it instead of a broker (the integration tests run the same app against the real one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from planwatch.catalog import Catalog, load_catalog

__all__ = ["MemoryPublisher", "Keys", "test_catalog", "write_catalog"]

CITY = "白银市"
PROVINCE = "甘肃省"

_CITY_PLAN = {
    "plan": {
        "code": "tcity",
        "seed": "001_fd0cc3fdc3d1199c.txt",
        "title": "测试市计划",
        "title_en": "Test city plan",
        "jurisdiction": CITY,
        "start_year": 2021,
        "end_year": 2025,
    },
    "entries": [
        {"id": "tcity-rd-spend", "unit": "亿元", "kind": "level", "indicator": "研发经费"},
        {"id": "tcity-firms", "unit": "家", "kind": "level", "indicator": "高新技术企业"},
        {"id": "tcity-rd-share", "unit": "%", "kind": "level", "indicator": "研发投入强度"},
        {"id": "tcity-growth", "unit": "%", "kind": "growth_rate", "indicator": "技术合同增速"},
        {"id": "tcity-rank", "unit": "位", "kind": "ranking", "indicator": "创新能力排名"},
        {"id": "tcity-talent", "unit": "万人", "kind": "level", "indicator": "科技人才"},
    ],
}
_PROVINCE_PLAN = {
    "plan": {
        "code": "tprov",
        "seed": "000_7ade8bec270da3d1.txt",
        "title": "测试省计划",
        "title_en": "Test province plan",
        "jurisdiction": PROVINCE,
        "start_year": 2024,
        "end_year": 2030,
    },
    "entries": [{"id": "tprov-rd-spend", "unit": "亿元", "kind": "level", "indicator": "研发经费"}],
}


def _complete(plan: dict[str, object]) -> dict[str, object]:
    entries = []
    for raw in plan["entries"]:  # type: ignore[attr-defined]
        entry = {
            "section": "主要目标",
            "indicator_en": raw["id"],
            "direction": "lower" if raw["kind"] == "ranking" else "higher",
            "targets": [{"year": plan["plan"]["end_year"], "value": 10}],  # type: ignore[index]
            "source_quote": raw["indicator"],
            **raw,
        }
        entries.append(entry)
    return {"plan": plan["plan"], "entries": entries}


def write_catalog(root: Path) -> Path:
    (root / "plans").mkdir(parents=True, exist_ok=True)
    (root / "agencies").mkdir(exist_ok=True)
    (root / "agencies" / "none.yaml").write_text("agencies: []\n", encoding="utf-8")
    for name, plan in (("001_tcity.yaml", _CITY_PLAN), ("000_tprov.yaml", _PROVINCE_PLAN)):
        text = yaml.safe_dump(_complete(plan), allow_unicode=True)
        (root / "plans" / name).write_text(text, encoding="utf-8")
    return root


def test_catalog(root: Path) -> Catalog:
    return load_catalog(write_catalog(root))


test_catalog.__test__ = False  # type: ignore[attr-defined]


@dataclass
class MemoryPublisher:
    """Keeps what is published in a list; ``lose()`` acts like a broker restarted empty."""

    events: list[bytes] = field(default_factory=list)
    fail_next: int = 0
    _intact: bool = False

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def intact(self) -> bool:
        return self._intact

    async def restore(self) -> set[str]:
        self._intact = True
        return set()

    def lose(self) -> None:
        self.events.clear()
        self._intact = False

    async def publish(self, rows: Sequence[object]) -> set[int]:
        if self.fail_next:
            self.fail_next -= 1
            raise ConnectionError("broker down (fake)")
        self.events.extend(r.payload for r in rows)  # type: ignore[attr-defined]
        return {r.seq for r in rows}  # type: ignore[attr-defined]


@dataclass
class Keys:
    city: str
    province: str
    reader: str
    everything: str
