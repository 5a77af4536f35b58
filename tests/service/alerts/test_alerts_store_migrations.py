"""The alert store's Alembic migrations, on SQLite and on a real PostgreSQL 15.

A fresh database is brought to the head revision; a database made by the release before
Alembic (``support/alerts_store_v3.py``, schema version 3) is adopted with its rows; an older one
is moved aside (SQLite) or refused (a DSN); two engines made at once migrate once; and the tables
the code declares are the tables the migrations make.
"""

from __future__ import annotations

import itertools
import logging
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import setuptools
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from planwatch_alerts import store
from support import alerts_store_v3 as v3

ROOT = Path(__file__).resolve().parents[3]
HEAD = "0003"
# what a database at 0001 (made by the first revision, or adopted) runs on its way to HEAD
UPGRADES = ["Running upgrade 0001 -> 0002", "Running upgrade 0002 -> 0003"]
FRESH = ["Running upgrade  -> 0001", *UPGRADES]
OPENED = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)],
)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'alerts.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def migration_log(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    """What the migration environment did, from its log lines (any thread)."""
    caplog.set_level(logging.INFO, logger="alembic.runtime.migration")
    caplog.set_level(logging.INFO, logger="planwatch.alerts.store")

    def lines() -> list[str]:
        return [
            r.getMessage().split(",")[0]
            for r in caplog.records
            if r.getMessage().startswith(("Running upgrade", "alerts database"))
        ]

    return lines


def _config(connection: sa.Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(store.MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _revision(engine: sa.Engine) -> list[str]:
    with engine.connect() as c:
        return list(c.execute(sa.text(f"SELECT version_num FROM {store.VERSION_TABLE}")).scalars())


def _differences(engine: sa.Engine) -> list[Any]:
    """Alembic's autogenerate comparison of the database with ``store.metadata``."""
    with engine.connect() as c:
        context = MigrationContext.configure(c, opts={"version_table": store.VERSION_TABLE})
        return list(compare_metadata(context, store.metadata))


def _shape(engine: sa.Engine) -> dict[str, Any]:
    """Every table as the database describes it: columns, keys, indexes, unique constraints."""
    inspector = sa.inspect(engine)
    shape = {}
    for table in sorted(inspector.get_table_names()):
        if table == store.VERSION_TABLE:
            continue
        shape[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], c.get("default"))
                for c in inspector.get_columns(table)
            ],
            "primary key": inspector.get_pk_constraint(table)["constrained_columns"],
            "foreign keys": sorted(
                (tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]))
                for f in inspector.get_foreign_keys(table)
            ),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in inspector.get_indexes(table)
            ),
            "unique": sorted(
                (u["name"] or "", tuple(u["column_names"]))
                for u in inspector.get_unique_constraints(table)
            ),
        }
    return shape


def _fill_v3(engine: sa.Engine) -> None:
    """One row in every table of the old release, as it wrote them."""
    with engine.begin() as c:
        c.execute(v3.seen.insert().values(event_id="ev-1"))
        c.execute(
            v3.alerts.insert().values(
                alert_key="gs-rd|甘肃省|offtrack",
                type="offtrack",
                indicator_id="gs-rd",
                jurisdiction="甘肃省",
                plan_code="GS14",
                status="limited_progress",
                severity="warning",
                state="open",
                agencies=["省科技厅"],
                copied=["省统计局"],
                snapshot={"status": "limited_progress", "value": 1.2},
                routes={"receivers": ["agency:省科技厅"]},
                opened_at=OPENED,
                updated_at=OPENED,
                next_repeat_at=datetime(2026, 3, 8, 8, 30, tzinfo=UTC),
            )
        )
        c.execute(
            v3.items.insert().values(
                alert_id=1,
                kind="firing",
                receiver="agency:省科技厅",
                group_key="省科技厅",
                group_wait_s=30.0,
                group_interval_s=300.0,
                created_at=OPENED,
                digest="d1",
            )
        )
        c.execute(
            v3.notifications.insert().values(
                dedup_key="k1",
                digest="d1",
                group_key="省科技厅",
                receiver="agency:省科技厅",
                channel="email",
                to=["kjt@agencies.invalid"],
                cc=[],
                subject="[预警] 研发投入",
                body="正文",
                html="<p>正文</p>",
                alert_ids=[1],
                kind="firing",
                state="sent",
                attempts=1,
                created_at=OPENED,
                next_attempt_at=OPENED,
                sent_at=OPENED,
                message_id="<m1@planwatch>",
            )
        )
        c.execute(
            v3.responses.insert().values(
                alert_id=1,
                at=OPENED,
                agency="省科技厅",
                kind="acknowledge",
                text="追加补助",
                expected_recovery=date(2026, 12, 31),
                link_nonce="n1",
            )
        )


def _check_rows(engine: sa.Engine) -> None:
    """The rows of ``_fill_v3`` read back through the current tables; new rows number on."""
    with engine.begin() as c:
        assert c.execute(sa.select(store.seen.c.event_id)).scalars().all() == ["ev-1"]
        [alert] = c.execute(sa.select(store.alerts)).all()
        assert (alert.id, alert.jurisdiction, alert.agencies) == (1, "甘肃省", ["省科技厅"])
        assert alert.snapshot == {"status": "limited_progress", "value": 1.2}
        assert alert.opened_at == OPENED and alert.resolved_at is None
        [item] = c.execute(sa.select(store.items)).all()
        assert (item.alert_id, item.group_wait_s, item.digest) == (1, 30.0, "d1")
        [sent] = c.execute(sa.select(store.notifications)).all()
        assert (sent.to, sent.state, sent.html, sent.sent_at) == (
            ["kjt@agencies.invalid"],
            "sent",
            "<p>正文</p>",
            OPENED,
        )
        [answer] = c.execute(sa.select(store.responses)).all()
        assert (answer.text, answer.expected_recovery) == ("追加补助", date(2026, 12, 31))
        row = {k: v for k, v in alert._mapping.items() if k != "id"}
        new_id = c.execute(store.alerts.insert().values(**row)).inserted_primary_key
        assert new_id is not None and new_id[0] == 2  # the id sequence carried on


def test_a_fresh_database_is_brought_to_the_head_revision(
    db_url: str, migration_log: Callable[[], list[str]]
) -> None:
    engine = store.make_engine(db_url)
    try:
        assert _revision(engine) == [HEAD]
        assert set(sa.inspect(engine).get_table_names()) >= {
            "alerts",
            "seen_events",
            "pending_items",
            "notifications",
            "responses",
        }
        assert "alerts_schema" not in sa.inspect(engine).get_table_names()
        assert _differences(engine) == []
    finally:
        engine.dispose()
    assert migration_log() == FRESH
    again = store.make_engine(db_url)  # at head: nothing to do
    again.dispose()
    assert len(migration_log()) == len(FRESH)


def test_a_database_of_the_release_before_alembic_is_adopted_with_its_rows(
    db_url: str, migration_log: Callable[[], list[str]]
) -> None:
    old = v3.make_engine(db_url)
    _fill_v3(old)
    old.dispose()
    engine = store.make_engine(db_url)
    try:
        assert _revision(engine) == [HEAD]
        assert "alerts_schema" not in sa.inspect(engine).get_table_names()
        assert _differences(engine) == []
        _check_rows(engine)
    finally:
        engine.dispose()
    assert migration_log() == [
        "alerts database of schema 3 adopted at 0001",
        *UPGRADES,
    ]


def test_the_migrations_make_the_tables_of_the_release_before_alembic(db_url: str) -> None:
    """Revision 0001 is exactly schema version 3: what the old ``create_all`` made."""
    old = v3.make_engine(db_url)
    made_by_old = _shape(old)
    v3.metadata.drop_all(old)
    old.dispose()
    engine = store.new_engine(db_url)
    try:
        with engine.connect() as c:
            command.upgrade(_config(c), "0001")
        assert _shape(engine) == made_by_old
        with engine.connect() as c:
            assert c.execute(sa.text("SELECT version FROM alerts_schema")).scalar() == 3
    finally:
        engine.dispose()


def test_downgrading_to_0001_gives_the_old_release_a_database_it_accepts(db_url: str) -> None:
    old = v3.make_engine(db_url)
    _fill_v3(old)
    old.dispose()
    store.make_engine(db_url).dispose()
    engine = store.new_engine(db_url)
    with engine.connect() as c:
        command.downgrade(_config(c), "0001")
    engine.dispose()
    old = v3.make_engine(db_url)  # would move a SQLite file aside, or refuse a DSN
    with old.connect() as c:
        assert c.execute(sa.select(v3.alerts.c.alert_key)).scalars().all() == [
            "gs-rd|甘肃省|offtrack"
        ]
    old.dispose()
    engine = store.new_engine(db_url)
    with engine.connect() as c:
        command.downgrade(_config(c), "base")
    assert set(sa.inspect(engine).get_table_names()) == {store.VERSION_TABLE}
    engine.dispose()
    store.make_engine(db_url).dispose()  # and up again from nothing


def _older(db_url: str, version: int) -> None:
    """A database of the release before Alembic, labelled with an older schema version."""
    old = v3.make_engine(db_url)
    _fill_v3(old)
    with old.begin() as c:
        if version:
            c.execute(v3.schema.update().values(version=version))
        else:  # the first release kept no version
            c.execute(sa.text("DROP TABLE alerts_schema"))
    old.dispose()


@pytest.mark.parametrize("version", [0, 2])
def test_an_older_sqlite_file_is_moved_aside(
    tmp_path: Path, version: int, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'alerts.db'}"
    _older(url, version)
    engine = store.make_engine(url)
    try:
        [moved] = tmp_path.glob(f"alerts.db.v{version}-*")
        assert f"alerts database of schema {version} moved aside to {moved}" in caplog.text
        assert _revision(engine) == [HEAD]
        with engine.connect() as c:
            assert c.execute(sa.select(sa.func.count()).select_from(store.alerts)).scalar() == 0
    finally:
        engine.dispose()
    kept = sa.create_engine(f"sqlite:///{moved}")  # the old alerts are still in the moved file
    with kept.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM alerts")).scalar() == 1
    kept.dispose()


@pytest.mark.integration
@pytest.mark.parametrize("version", [0, 2])
def test_an_older_server_database_is_refused_naming_its_version(
    postgres_url: str, version: int
) -> None:
    _older(postgres_url, version)
    with pytest.raises(RuntimeError, match=rf"db_url: .* schema version {version},") as refused:
        store.make_engine(postgres_url)
    assert "adopts version 3" in str(refused.value)
    check = sa.create_engine(postgres_url)
    with check.connect() as c:  # nothing was touched
        assert c.execute(sa.text("SELECT count(*) FROM alerts")).scalar() == 1
        assert not sa.inspect(c).has_table(store.VERSION_TABLE)
    check.dispose()


def test_a_database_migrated_by_a_newer_release_is_refused(db_url: str) -> None:
    store.make_engine(db_url).dispose()
    engine = store.new_engine(db_url)
    with engine.begin() as c:
        c.execute(sa.text(f"UPDATE {store.VERSION_TABLE} SET version_num = '0099'"))
    engine.dispose()
    with pytest.raises(RuntimeError, match=r"db_url: the alerts tables cannot be migrated.*0099"):
        store.make_engine(db_url)


# A replica process. It lingers a moment between looking at the database and migrating it, so
# that without the lock of the migration environment the replicas would all see an unmigrated
# database and all migrate (and fail on each other's tables).
_REPLICA = """
import logging, pathlib, sys, time
logging.basicConfig(level=logging.INFO, format="%(message)s")
from planwatch_alerts import store
looked = store.legacy_version
def lingering(connection):
    found = looked(connection)
    time.sleep(0.5)
    return found
store.legacy_version = lingering
pathlib.Path(sys.argv[3]).touch()
while not pathlib.Path(sys.argv[2]).exists():
    time.sleep(0.002)
store.make_engine(sys.argv[1]).dispose()
"""


@pytest.mark.parametrize("start", ["fresh", "version 3"])
def test_replicas_starting_at_once_migrate_once(db_url: str, start: str, tmp_path: Path) -> None:
    """Separate processes, released together once each has imported the store."""
    if start == "version 3":
        old = v3.make_engine(db_url)
        _fill_v3(old)
        old.dispose()
    go = tmp_path / "go"
    replicas = [
        subprocess.Popen(
            [sys.executable, "-c", _REPLICA, db_url, str(go), str(tmp_path / f"ready-{n}")],
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(3)
    ]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("ready-*"))) < len(replicas) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    logs = [replica.communicate(timeout=120)[1] for replica in replicas]
    last_lines = [log.strip().splitlines()[-1] if log.strip() else "" for log in logs]
    assert [r.returncode for r in replicas] == [0] * len(replicas), last_lines
    done = [
        line.split(",")[0]
        for log in logs
        for line in log.splitlines()
        if line.startswith(("Running upgrade", "alerts database"))
    ]
    if start == "fresh":
        assert done == FRESH
    else:
        assert done == [
            "alerts database of schema 3 adopted at 0001",
            *UPGRADES,
        ]
    engine = store.new_engine(db_url)
    try:
        assert _revision(engine) == [HEAD] and _differences(engine) == []
        if start == "version 3":
            _check_rows(engine)
    finally:
        engine.dispose()


def test_engines_made_at_once_in_one_process_migrate_once(
    db_url: str, migration_log: Callable[[], list[str]]
) -> None:
    ready = threading.Barrier(3)
    engines: list[sa.Engine] = []
    failures: list[BaseException] = []

    def replica() -> None:
        ready.wait()
        try:
            engines.append(store.make_engine(db_url))
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=replica) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    try:
        assert failures == [] and len(engines) == 3
        assert migration_log() == FRESH
    finally:
        for engine in engines:
            engine.dispose()


def test_the_revision_history_is_one_line() -> None:
    script = ScriptDirectory(str(store.MIGRATIONS))
    revisions = list(script.walk_revisions())  # head first
    assert [r.revision for r in revisions] == [HEAD, "0002", "0001"]
    assert script.get_heads() == [HEAD] and script.get_bases() == ["0001"]
    for newer, older in itertools.pairwise(revisions):
        assert newer.down_revision == older.revision
    assert not any(r.is_branch_point or r.is_merge_point for r in revisions)
    assert store.ADOPTED_REVISION in {r.revision for r in revisions}


def test_the_migrations_ship_with_the_package() -> None:
    """The migrations are packages that pyproject.toml's package search finds, so the wheel and
    the image (``pip install .``) hold them, with nothing that would need package data."""
    found: set[str] = set()
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for where in config["tool"]["setuptools"]["packages"]["find"]["where"]:
        found |= set(setuptools.find_packages(where=str(ROOT / where)))
    assert {"planwatch_alerts.migrations", "planwatch_alerts.migrations.versions"} <= found
    files = [p for p in store.MIGRATIONS.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    assert {p.suffix for p in files} == {".py"}
    assert len([p for p in files if p.parent.name == "versions"]) == 4  # __init__, 0001–0003
