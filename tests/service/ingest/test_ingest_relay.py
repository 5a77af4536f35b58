"""The outbox relay and the ledger across restarts, with the publisher fake at its port.

The fake stands in for the broker so a lost broker and failed sends can be produced on demand;
tests/integration/ingest runs the same relay against the real broker.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from planwatch_ingest.adapters.sqlite_ledger import LedgerInUse, SqliteLedger
from planwatch_ingest.outcomes import decide
from planwatch_ingest.relay import Relay
from planwatch_ingest.rules import rules_for
from planwatch_ingest.validation import Validator
from support.ingest import CITY_BUREAU, MemoryPublisher, record_rows, test_catalog

KEY = CITY_BUREAU


def record(
    ledger: SqliteLedger, validator: Validator, values: list[float], period: str
) -> list[str]:
    rows: list[dict[str, object]] = [
        {"indicator_id": i, "period": period, "value": v}
        for i, v in zip(["tcity-rd-spend", "tcity-firms", "tcity-talent"], values, strict=False)
    ]
    decision = record_rows(ledger, validator, rows, received_at="2024-01-01T00:00:00Z")
    return [r["event_id"] for r in decision.results]


@pytest.fixture
def validator(tmp_path: Path) -> Validator:
    return Validator(rules_for(test_catalog(tmp_path / "catalog")))


async def _until(condition, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_publishes_in_order_retries_and_acknowledges_what_the_broker_took(
    tmp_path: Path, validator: Validator
) -> None:
    ledger = SqliteLedger(tmp_path / "ledger.db")
    publisher = MemoryPublisher()
    executor = ThreadPoolExecutor(1)
    relay = Relay(ledger, publisher, executor, batch_rows=2, check_s=0.02, retry_max_s=0.05)
    first = record(ledger, validator, [1, 2, 3], "2023")
    relay.start()
    try:
        await _until(lambda: len(publisher.events) == 3)
        await _until(lambda: relay.state.broker_up)
        publisher.fail_next = 2  # the broker refuses twice, then takes everything
        second = record(ledger, validator, [4, 5, 6], "2024")
        relay.notify()
        await _until(lambda: len(publisher.events) == 6)
        assert relay.state.failures == 0 and publisher.starts == 3  # a new producer per failure
        await asyncio.sleep(0.1)
        ids = [p.split(b'"event_id":"')[1][:32].decode() for p in publisher.events]
        assert ids == first + second  # in ledger order, each once
        assert ledger.backlog() == 0 and ledger.pending(10) == []
        publisher.up = False  # readiness follows the probe, not the last round
        await _until(lambda: not relay.state.broker_up)
        publisher.up = True
        await _until(lambda: relay.state.broker_up)
    finally:
        await relay.stop()
        executor.shutdown()
        ledger.close()


class HalfPublisher(MemoryPublisher):
    """Acknowledges only the first row of a round, once: the rest must be sent again."""

    async def publish(self, rows):  # type: ignore[no-untyped-def]
        if self.fail_next:
            self.fail_next -= 1
            self.events.append(rows[0].payload)
            return {rows[0].seq}
        return await super().publish(rows)


async def test_a_partly_acknowledged_round_resends_only_the_rest(
    tmp_path: Path, validator: Validator
) -> None:
    ledger = SqliteLedger(tmp_path / "ledger.db")
    publisher = HalfPublisher(fail_next=1)
    executor = ThreadPoolExecutor(1)
    relay = Relay(ledger, publisher, executor, batch_rows=10, check_s=0.02, retry_max_s=0.05)
    ids = record(ledger, validator, [1, 2, 3], "2023")
    relay.start()
    try:
        await _until(lambda: len(publisher.events) == 3)
        await asyncio.sleep(0.1)
        sent = [p.split(b'"event_id":"')[1][:32].decode() for p in publisher.events]
        assert sent == ids and ledger.backlog() == 0
    finally:
        await relay.stop()
        executor.shutdown()
        ledger.close()


def test_the_ledger_survives_a_restart(tmp_path: Path, validator: Validator) -> None:
    ledger = SqliteLedger(tmp_path / "ledger.db")
    (first,) = record(ledger, validator, [1.0], "2023")
    with pytest.raises(LedgerInUse):
        SqliteLedger(tmp_path / "ledger.db")  # one ingest process per ledger
    ledger.close()
    reopened = SqliteLedger(tmp_path / "ledger.db")
    try:
        figures = validator.check(
            [{"indicator_id": "tcity-rd-spend", "period": "2023", "value": 1.0}], KEY
        ).figures
        again = reopened.record(
            KEY.owner,
            figures,
            lambda latest, named: decide(
                figures, latest, named, owner=KEY.owner, received_at="x", catalog_version="v"
            ),
            key_id="k",
        )
        assert again.results[0]["status"] == "duplicate" and again.results[0]["event_id"] == first
        record(reopened, validator, [2.0], "2023")
        assert [r.seq for r in reopened.pending(10)] == [1, 2]
    finally:
        reopened.close()
