"""Helpers for the ingest tests: a small catalog of known shape, a publisher fake, keys, an app.

The catalog is written to a temporary directory so the tests do not depend on which plans the
shipped catalog holds at the time. The publisher fake keeps events in memory: service tests use
it instead of a broker (the integration tests run the same app against the real one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from planwatch.catalog import Catalog, load_catalog
from planwatch.security import Principal, Role
from planwatch_ingest.outcomes import Decision, decide
from planwatch_ingest.ports import Ledger
from planwatch_ingest.validation import Validator

__all__ = [
    "CITY_BUREAU",
    "IngestProcess",
    "Keys",
    "MemoryPublisher",
    "batch_rows",
    "read_event_ids",
    "record_rows",
    "test_catalog",
    "write_catalog",
]

CITY = "白银市"
PROVINCE = "甘肃省"
# the city's statistics bureau, submitting for the city alone
CITY_BUREAU = Principal("k", "白银市统计局", frozenset({CITY}), frozenset({Role.SUBMIT}))

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
        # 研发经费: a yearly amount, so a year-to-date figure (YYYY-Qn, YYYY-MM) is taken
        {"id": "tcity-rd-spend", "unit": "亿元", "kind": "yearly_flow", "indicator": "研发经费"},
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


# every entry has a lead body of its jurisdiction's registry (the loader insists)
_LEADS = {CITY: "市科技局", PROVINCE: "省科技厅"}
_REGISTRIES = {
    "city.yaml": {
        "jurisdiction": CITY,
        "agencies": [{"id": "t-by-kjj", "name": "市科技局", "name_en": "City S&T bureau"}],
    },
    "province.yaml": {
        "jurisdiction": PROVINCE,
        "agencies": [
            {"id": "t-gs-kjt", "name": "省科技厅", "name_en": "Provincial S&T department"}
        ],
    },
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
            "lead_agencies": [_LEADS[plan["plan"]["jurisdiction"]]],  # type: ignore[index]
            **raw,
        }
        entries.append(entry)
    return {"plan": plan["plan"], "entries": entries}


def write_catalog(root: Path) -> Path:
    (root / "plans").mkdir(parents=True, exist_ok=True)
    (root / "agencies").mkdir(exist_ok=True)
    (root / "agencies" / "none.yaml").write_text("agencies: []\n", encoding="utf-8")
    for name, registry in _REGISTRIES.items():
        text = yaml.safe_dump(registry, allow_unicode=True)
        (root / "agencies" / name).write_text(text, encoding="utf-8")
    for name, plan in (("001_tcity.yaml", _CITY_PLAN), ("000_tprov.yaml", _PROVINCE_PLAN)):
        text = yaml.safe_dump(_complete(plan), allow_unicode=True)
        (root / "plans" / name).write_text(text, encoding="utf-8")
    return root


def test_catalog(root: Path) -> Catalog:
    return load_catalog(write_catalog(root))


test_catalog.__test__ = False  # type: ignore[attr-defined]


@dataclass
class MemoryPublisher:
    """Keeps what is published in a list; ``fail_next`` refuses that many rounds."""

    events: list[bytes] = field(default_factory=list)
    fail_next: int = 0
    up: bool = True
    starts: int = 0

    async def start(self) -> None:
        self.starts += 1

    async def stop(self) -> None:
        return None

    async def reachable(self) -> bool:
        return self.up

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


@dataclass
class IngestProcess:
    """``python -m planwatch_ingest`` as its own process, on a test catalog and key store."""

    bootstrap: str
    root: Path
    topic: str
    port: int = 0
    proc: object = None
    key: str = ""
    env: dict[str, str] = field(default_factory=dict)  # more settings, e.g. the ledger URL

    def start(self) -> IngestProcess:
        import os
        import subprocess
        import sys

        from planwatch.security import KeyStore, Role
        from support.net import free_port, wait_for_port

        write_catalog(self.root / "catalog")
        keys_url = f"sqlite:///{self.root / 'keys.db'}"
        if not self.key:
            store = KeyStore(keys_url)
            self.key, _ = store.create("国家统计局", ["*"], [Role.SUBMIT])
            store.close()
        self.port = self.port or free_port()
        env = {
            **os.environ,
            "PLANWATCH_INGEST_PORT": str(self.port),
            "PLANWATCH_INGEST_CATALOG_DIR": str(self.root / "catalog"),
            "PLANWATCH_INGEST_LEDGER_PATH": str(self.root / "ledger.db"),
            "PLANWATCH_INGEST_TOPIC": self.topic,
            "PLANWATCH_INGEST_BROKER_CHECK_S": "0.2",
            "PLANWATCH_INGEST_RETRY_MAX_S": "1",
            "PLANWATCH_KAFKA_BOOTSTRAP": self.bootstrap,
            "PLANWATCH_KEYS_DB_URL": keys_url,
            "PLANWATCH_DATA_DIR": str(self.root),
            **self.env,
        }
        log = (self.root / "ingest.log").open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "planwatch_ingest"], env=env, stdout=log, stderr=log
        )
        wait_for_port(self.port)
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def backlog(self) -> float:
        from support.metrics import sample

        return sample(self.url, "planwatch_ingest_outbox_backlog")

    def stop(self) -> None:
        import subprocess

        proc = self.proc
        if isinstance(proc, subprocess.Popen) and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def batch_rows(batch: int, size: int = 50) -> list[dict[str, object]]:
    """``size`` distinct figures; each later batch revises them with a new value.

    Monthly periods, so only indicators whose kind takes a year-to-date figure (a yearly flow,
    a growth rate); a level's is refused as ``year_to_date_refused``.
    """
    indicators = ["tcity-rd-spend", "tcity-growth"]
    periods = [f"{y}-{m:02d}" for y in range(2021, 2026) for m in range(1, 13)]
    pairs = [(i, p) for p in periods for i in indicators][:size]
    return [{"indicator_id": i, "period": p, "value": batch + 1.0} for i, p in pairs]


async def read_event_ids(
    bootstrap: str, topic: str, expected: int, timeout: float = 60
) -> list[str]:
    """Every event id on the topic, read to its end (the fetch high watermark)."""
    import asyncio

    import orjson
    from aiokafka import AIOKafkaConsumer

    # earliest: should the assignment be made again after the seek below (a metadata refresh
    # does that), the reset goes to the beginning, not to the end past every event
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, fetch_max_wait_ms=10, auto_offset_reset="earliest"
    )
    await consumer.start()
    ids: list[str] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        # without a group, a subscription is assigned every partition of the topic at once
        consumer.subscribe([topic])
        while not consumer.assignment():
            assert loop.time() < deadline, f"no topic {topic} on the broker"
            await consumer.getmany(timeout_ms=100)
        tps = sorted(consumer.assignment())
        await consumer.seek_to_beginning(*tps)
        while loop.time() < deadline:
            batch = await consumer.getmany(*tps, timeout_ms=200)
            for records in batch.values():
                ids.extend(orjson.loads(r.value)["event_id"] for r in records if r.value)
            at_end = True
            for tp in tps:
                high = consumer.highwater(tp)
                at_end = at_end and high is not None and await consumer.position(tp) >= high
            if at_end and len(ids) >= expected:
                break
    finally:
        await consumer.stop()
    return ids


def record_rows(
    ledger: Ledger,
    validator: Validator,
    rows: list[dict[str, object]],
    bureau: Principal = CITY_BUREAU,
    *,
    received_at: str = "t",
    **kw: Any,
) -> Decision:
    """``rows`` validated as ``bureau`` sends them, decided and kept by ``ledger`` (API key
    "k"), as the submission service does; ``kw`` goes to ``Ledger.record``."""
    figures = validator.check(rows, bureau).figures
    return ledger.record(
        bureau.owner,
        figures,
        lambda latest, named: decide(
            figures,
            latest,
            named,
            owner=bureau.owner,
            received_at=received_at,
            catalog_version="v",
        ),
        key_id="k",
        **kw,
    )
