"""The ingest ledger on a real PostgreSQL 15: migrations, decisions, the outbox, two replicas.

The ledger is selected by ``PLANWATCH_INGEST_LEDGER_URL``; two ingest processes on one database
revising the same figure at once must number its vintages 1..n, each once.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import httpx
import orjson
import pytest
import sqlalchemy as sa

from planwatch.catalog import default_catalog
from planwatch.security import Principal, Role
from planwatch_ingest.adapters.postgres_ledger import PostgresLedger, engine_url
from planwatch_ingest.outcomes import decide
from planwatch_ingest.ports import AlreadyAnswered
from planwatch_ingest.rules import rules_for
from planwatch_ingest.validation import Validator
from support.ingest import CITY_BUREAU, IngestProcess, record_rows, test_catalog
from support.ledger_reads import check_preview_and_history
from support.waiting import wait_until

pytestmark = pytest.mark.integration

KEY = CITY_BUREAU


def test_the_ledger_decides_stores_and_publishes_on_postgresql(
    postgres_url: str, tmp_path: Path
) -> None:
    validator = Validator(rules_for(test_catalog(tmp_path / "catalog")))
    ledger = PostgresLedger(postgres_url)
    row = {"indicator_id": "tcity-rd-spend", "period": "2024", "value": 1.0, "submission_id": "a"}
    try:
        first = record_rows(ledger, validator, [row])
        assert first.results[0]["status"] == "accepted" and first.results[0]["vintage"] == 1
        again = record_rows(ledger, validator, [row])  # same submission id, same figure
        assert again.results[0]["status"] == "duplicate" and not again.events
        clash = record_rows(ledger, validator, [{**row, "value": 2.0}])
        assert [e.reason for e in clash.errors] == ["submission_id_conflict"]
        revised = record_rows(
            ledger,
            validator,
            [{**row, "value": 2.0, "submission_id": "b"}],
            idempotency=("push-1", "sha"),
            render=lambda d: (202, b"answer"),
        )
        assert revised.results[0]["status"] == "revised" and revised.results[0]["vintage"] == 2
        stored = ledger.replay(KEY.owner, "push-1")
        assert stored is not None and (stored.request_sha256, stored.body) == ("sha", b"answer")
        with pytest.raises(AlreadyAnswered):
            record_rows(ledger, validator, [row], idempotency=("push-1", "sha"))
        pending = ledger.pending(10)
        assert [r.event_id for r in pending] == [
            first.events[0].event_id,
            revised.events[0].event_id,
        ]
        assert len(ledger.history(KEY.owner)) == 2 and ledger.history("someone else") == []
        figures = validator.check([{**row, "value": 3.0, "submission_id": "c"}], KEY).figures
        peeked = ledger.peek(
            KEY.owner,
            figures,
            lambda latest, named: decide(
                figures, latest, named, owner=KEY.owner, received_at="t", catalog_version="v"
            ),
        )
        assert peeked.results[0]["vintage"] == 3 and ledger.backlog() == 2  # nothing kept
        ledger.acknowledge(pending[:1])
        assert ledger.backlog() == 1 and ledger.pending(10) == pending[1:]
    finally:
        ledger.close()
    reopened = PostgresLedger(postgres_url)  # migrations are there: nothing to do
    try:
        assert reopened.backlog() == 1
        resent = record_rows(reopened, validator, [{**row, "value": 2.0, "submission_id": "b"}])
        assert resent.results[0]["status"] == "duplicate"
    finally:
        reopened.close()


def test_a_statistic_several_targets_share_is_one_figure_with_an_event_per_target(
    postgres_url: str,
) -> None:
    """lanbai-gdp feeds two targets (兰白两区 GDP in two plans): one figure, one submission id,
    one vintage, and an event keyed by each target, revised and repeated as one figure."""
    catalog = default_catalog()
    targets = sorted(e.id for e in catalog if e.series == "lanbai-gdp")
    assert len(targets) == 2
    bureau = Principal("k", "兰州市统计局", frozenset({"兰白两区"}), frozenset({Role.SUBMIT}))
    validator = Validator(rules_for(catalog))
    ledger = PostgresLedger(postgres_url)

    def record(value: float, submission_id: str):  # type: ignore[no-untyped-def]
        row = {"indicator_id": "lanbai-gdp", "period": "2024", "value": value}
        return record_rows(ledger, validator, [{**row, "submission_id": submission_id}], bureau)

    try:
        first = record(2000.0, "gdp-2024")
        assert [r["status"] for r in first.results] == ["accepted"]
        assert sorted(orjson.loads(e.payload)["indicator_id"] for e in first.events) == targets
        assert {e.vintage for e in first.events} == {1} and len({e.key for e in first.events}) == 2
        assert record(2000.0, "gdp-2024").results[0]["status"] == "duplicate"
        revised = record(2100.0, "gdp-2024-r")
        assert revised.results[0]["status"] == "revised"
        assert [e.vintage for e in revised.events] == [2, 2]
        assert len(ledger.pending(10)) == 4  # two figures, two targets each
    finally:
        ledger.close()


def test_the_ledger_previews_without_keeping_and_gives_each_owner_its_history_on_postgresql(
    postgres_url: str, tmp_path: Path
) -> None:
    validator = Validator(rules_for(test_catalog(tmp_path / "catalog")))
    ledger = PostgresLedger(postgres_url)
    try:
        check_preview_and_history(ledger, validator)
    finally:
        ledger.close()
    engine = sa.create_engine(engine_url(postgres_url))
    with engine.connect() as c:  # the history is read by the owner's index (migration 0002)
        c.execute(sa.text("SET enable_seqscan = off"))  # the table is small: ask for the index
        plan = c.execute(
            sa.text("EXPLAIN SELECT payload FROM ingest_outbox WHERE owner = 'x' ORDER BY seq")
        ).scalars()
        assert "ingest_outbox_owner" in "\n".join(plan)
    engine.dispose()


def test_one_replica_publishes_at_a_time(postgres_url: str, tmp_path: Path) -> None:
    validator = Validator(rules_for(test_catalog(tmp_path / "catalog")))
    one, two = PostgresLedger(postgres_url), PostgresLedger(postgres_url)
    try:
        record_rows(one, validator, [{"indicator_id": "tcity-firms", "period": "2024", "value": 5}])
        assert len(one.pending(10)) == 1
        assert two.pending(10) == []  # the other replica holds the publisher lock
        one.close()
        # ... until it goes away: the server frees a closed session's advisory lock when that
        # session's backend ends, a moment after the client has closed its connection
        wait_until(lambda: len(two.pending(10)) == 1, 10, "the other replica taking over")
    finally:
        two.close()


def test_two_ingest_processes_on_one_postgresql_number_revisions_once(
    postgres_url: str, tmp_path: Path
) -> None:
    env = {
        "PLANWATCH_INGEST_LEDGER_URL": postgres_url,
        "PLANWATCH_INGEST_PUBLISHER_ENABLED": "false",
    }
    first = IngestProcess("127.0.0.1:9", tmp_path, "unused", env=env).start()
    second = IngestProcess("127.0.0.1:9", tmp_path, "unused", key=first.key, env=env).start()
    vintages: list[int] = []
    failures: list[str] = []
    lock = threading.Lock()

    def push(service: IngestProcess, worker: int) -> None:
        with httpx.Client(base_url=service.url, timeout=30) as client:
            for n in range(25):
                value = 1000 + worker * 100 + n  # every request a new value: a revision
                response = client.post(
                    "/v1/submissions",
                    json={"indicator_id": "tcity-rd-spend", "period": "2024", "value": value},
                    headers={"Authorization": f"Bearer {service.key}"},
                )
                with lock:
                    if response.status_code != 202:
                        failures.append(response.text)
                    else:
                        vintages.append(response.json()["results"][0]["vintage"])

    try:
        threads = [
            threading.Thread(target=push, args=(service, worker))
            for worker, service in enumerate([first, second, first, second])
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        first.stop()
        second.stop()
    assert failures == []
    assert sorted(vintages) == list(range(1, 101))  # 4 workers x 25, each vintage once
    engine = sa.create_engine(engine_url(postgres_url))
    with engine.connect() as c:
        stored = c.execute(sa.text("SELECT vintage FROM ingest_outbox ORDER BY seq")).scalars()
        in_order = list(stored)
    engine.dispose()
    assert in_order == list(range(1, 101))  # the outbox holds them in publishing order
    assert Counter(in_order).most_common(1)[0][1] == 1


_REPLICA = """
import sys, time
import sqlalchemy as sa
from planwatch_ingest.adapters.postgres_ledger import migrate

commit = sa.Connection.commit


def slow_commit(self):
    time.sleep(0.3)
    commit(self)


# Every commit takes a while: a replica that let go of the migration lock before its
# migration had committed would let the next one migrate the same schema meanwhile.
sa.Connection.commit = slow_commit
migrate(sa.create_engine(sys.argv[1]))
"""


def test_replicas_starting_together_migrate_the_schema_once(postgres_url: str) -> None:
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text("CREATE DATABASE migration_race"))
    admin.dispose()
    url = postgres_url.rsplit("/", 1)[0] + "/migration_race"
    argv = [sys.executable, "-c", _REPLICA, url]
    replicas = [subprocess.Popen(argv, stderr=subprocess.PIPE) for _ in range(3)]
    for replica in replicas:
        _, err = replica.communicate(timeout=120)
        assert replica.returncode == 0, err.decode()[-2000:]
    engine = sa.create_engine(url)
    try:
        with engine.connect() as c:
            versions = c.execute(sa.text("SELECT version_num FROM ingest_alembic_version")).all()
            assert [v for (v,) in versions] == ["0003"]
            assert c.execute(sa.text("SELECT count(*) FROM ingest_outbox")).scalar() == 0
    finally:
        engine.dispose()
