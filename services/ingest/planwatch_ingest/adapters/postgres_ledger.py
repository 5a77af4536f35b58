"""The ledger on PostgreSQL, shared by every ingest replica; revision numbers come from it.

A request is decided and stored in one transaction. It first locks the rows of its series in
``ingest_series`` (inserting an empty row for a series seen the first time, in sorted order so
that two requests never wait on each other in a circle), reads the latest vintage of each under
that lock, decides, and appends; a second replica revising the same series waits for the commit
and then numbers from it. ``UNIQUE (series, vintage)`` on the outbox makes a duplicate revision
number impossible even for a bug. A transaction that lost a race on a submission id is retried;
an Idempotency-Key being written by another replica answers 409, one already answered replays.

The outbox is published by one replica at a time (the holder of a session advisory lock); rows
are marked published as Kafka acknowledges them. The schema is created by the Alembic
migrations next to this package (``planwatch_ingest/migrations``) at start.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from planwatch_ingest.outcomes import Decision, Known
from planwatch_ingest.ports import (
    AlreadyAnswered,
    Decide,
    KeyInFlight,
    LedgerBroken,
    OutboxRow,
    Render,
    StoredResponse,
)
from planwatch_ingest.validation import Figure

__all__ = ["PostgresLedger", "migrate"]

log = logging.getLogger("planwatch_ingest.ledger")
PUBLISHER_LOCK = 0x706C616E_70756231  # "planpub1": the replica that publishes the outbox
_RETRIES = 8

meta = sa.MetaData()
outbox = sa.Table(
    "ingest_outbox",
    meta,
    sa.Column("seq", sa.BigInteger, primary_key=True),
    sa.Column("event_id", sa.Text),
    sa.Column("key", sa.LargeBinary),
    sa.Column("payload", sa.LargeBinary),
    sa.Column("series", sa.Text),
    sa.Column("vintage", sa.Integer),
    sa.Column("value", sa.Float),
    sa.Column("owner", sa.Text),
    sa.Column("client_id", sa.Text),
    sa.Column("key_id", sa.Text),
    sa.Column("received_at", sa.DateTime(timezone=True)),
    sa.Column("published", sa.Boolean),
)
series_t = sa.Table(
    "ingest_series",
    meta,
    sa.Column("series", sa.Text, primary_key=True),
    sa.Column("vintage", sa.Integer),
    sa.Column("value", sa.Float),
    sa.Column("event_id", sa.Text),
)
client_ids = sa.Table(
    "ingest_client_ids",
    meta,
    sa.Column("owner", sa.Text, primary_key=True),
    sa.Column("client_id", sa.Text, primary_key=True),
    sa.Column("series", sa.Text),
    sa.Column("vintage", sa.Integer),
    sa.Column("value", sa.Float),
    sa.Column("event_id", sa.Text),
)
idempotency_t = sa.Table(
    "ingest_idempotency",
    meta,
    sa.Column("owner", sa.Text, primary_key=True),
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("request_sha256", sa.Text),
    sa.Column("status", sa.Integer),
    sa.Column("body", sa.LargeBinary),
    sa.Column("created_at", sa.DateTime(timezone=True)),
)


def engine_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` as SQLAlchemy's psycopg (3) URL."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    raise ValueError(f"not a PostgreSQL URL: {url.split(':', 1)[0]}")


def migrate(engine: sa.Engine) -> None:
    """Bring the schema to the latest migration (Alembic ``upgrade head``)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent.parent / "migrations"))
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class _Refused(Exception):
    def __init__(self, decision: Decision) -> None:
        super().__init__("decision with errors")
        self.decision = decision


def _known(row: Any) -> Known:
    return Known(row.series, row.vintage, row.value, row.event_id)


class PostgresLedger:
    def __init__(self, url: str, *, canonical: Callable[[str], str] | None = None) -> None:
        # ``canonical`` files legacy period labels of the SQLite ledger; rows here are canonical.
        self._engine = sa.create_engine(engine_url(url), pool_pre_ping=True, pool_size=2)
        migrate(self._engine)
        self._publisher: sa.Connection | None = None  # holds the publisher lock
        self._lock = threading.Lock()

    def record(
        self,
        owner: str,
        figures: Sequence[Figure],
        decide: Decide,
        *,
        key_id: str,
        idempotency: tuple[str, str] | None = None,
        render: Render | None = None,
    ) -> Decision:
        for attempt in range(_RETRIES):
            try:
                with self._engine.begin() as c:
                    return self._record(c, owner, figures, decide, key_id, idempotency, render)
            except _Refused as refused:
                return refused.decision
            except sa.exc.IntegrityError as exc:
                if idempotency is not None and "ingest_idempotency" in str(exc.orig):
                    raise AlreadyAnswered(idempotency[0]) from None
                # another replica took a submission id meanwhile: decide again on what it wrote
                log.info("ledger write raced (attempt %d): %s", attempt + 1, exc.orig)
            except sa.exc.OperationalError as exc:
                code = getattr(exc.orig, "sqlstate", None)
                if code not in ("40001", "40P01"):  # serialization failure, deadlock
                    raise LedgerBroken(repr(exc.orig)) from exc
                log.info("ledger write retried (attempt %d): %s", attempt + 1, code)
            except sa.exc.SQLAlchemyError as exc:
                raise LedgerBroken(repr(exc)) from exc
        raise LedgerBroken(f"gave up after {_RETRIES} attempts")

    def _record(
        self,
        c: sa.Connection,
        owner: str,
        figures: Sequence[Figure],
        decide: Decide,
        key_id: str,
        idempotency: tuple[str, str] | None,
        render: Render | None,
    ) -> Decision:
        if idempotency is not None:
            slot = sa.func.hashtextextended(owner + "\n" + idempotency[0], 0)
            if not c.execute(sa.select(sa.func.pg_try_advisory_xact_lock(slot))).scalar():
                raise KeyInFlight(idempotency[0])
            if self._stored(c, owner, idempotency[0]) is not None:
                raise AlreadyAnswered(idempotency[0])
        wanted = sorted({f.series for f in figures})
        if wanted:
            c.execute(
                pg_insert(series_t).on_conflict_do_nothing(),
                [{"series": s, "vintage": 0} for s in wanted],
            )
            rows = c.execute(
                sa.select(series_t)
                .where(series_t.c.series.in_(wanted))
                .order_by(series_t.c.series)
                .with_for_update()
            )
            latest = {r.series: _known(r) for r in rows if r.vintage > 0}
        else:
            latest = {}
        ids = sorted({f.submission_id for f in figures if f.submission_id is not None})
        named: dict[str, Known] = {}
        if ids:
            found = c.execute(
                sa.select(client_ids).where(
                    client_ids.c.owner == owner, client_ids.c.client_id.in_(ids)
                )
            )
            named = {r.client_id: _known(r) for r in found}
        decision = decide(latest, named)
        if decision.errors:
            raise _Refused(decision)
        answer = render(decision) if render is not None else None
        now = datetime.now(UTC)
        if decision.events:
            c.execute(
                outbox.insert(),
                [
                    {
                        "event_id": e.event_id,
                        "key": e.key,
                        "payload": e.payload,
                        "series": e.series,
                        "vintage": e.vintage,
                        "value": e.value,
                        "owner": owner,
                        "client_id": e.client_submission_id,
                        "key_id": key_id,
                        "received_at": now,
                        "published": False,
                    }
                    for e in decision.events
                ],
            )
            for k in decision.known.values():
                c.execute(
                    series_t.update()
                    .where(series_t.c.series == k.series)
                    .values(vintage=k.vintage, value=k.value, event_id=k.event_id)
                )
        # a figure that feeds several targets has an event per target and one submission id
        names = list(
            {
                e.client_submission_id: decision.known[e.series]
                for e in decision.events
                if e.client_submission_id is not None
            }.items()
        ) + list(decision.aliases)
        if names:
            c.execute(
                client_ids.insert(),
                [
                    {
                        "owner": owner,
                        "client_id": cid,
                        "series": k.series,
                        "vintage": k.vintage,
                        "value": k.value,
                        "event_id": k.event_id,
                    }
                    for cid, k in names
                ],
            )
        if idempotency is not None and answer is not None:
            c.execute(
                idempotency_t.insert().values(
                    owner=owner,
                    key=idempotency[0],
                    request_sha256=idempotency[1],
                    status=answer[0],
                    body=answer[1],
                    created_at=now,
                )
            )
        return decision

    def peek(self, owner: str, figures: Sequence[Figure], decide: Decide) -> Decision:
        """What ``record`` would decide now, keeping nothing (a preview; no locks taken)."""
        wanted = sorted({f.series for f in figures})
        ids = sorted({f.submission_id for f in figures if f.submission_id is not None})
        try:
            with self._engine.connect() as c:
                latest: dict[str, Known] = {}
                if wanted:
                    rows = c.execute(sa.select(series_t).where(series_t.c.series.in_(wanted)))
                    latest = {r.series: _known(r) for r in rows if r.vintage > 0}
                named: dict[str, Known] = {}
                if ids:
                    found = c.execute(
                        sa.select(client_ids).where(
                            client_ids.c.owner == owner, client_ids.c.client_id.in_(ids)
                        )
                    )
                    named = {r.client_id: _known(r) for r in found}
        except sa.exc.SQLAlchemyError as exc:
            raise LedgerBroken(repr(exc)) from exc
        return decide(latest, named)

    def history(self, owner: str) -> list[bytes]:
        try:
            with self._engine.connect() as c:
                rows = c.execute(
                    sa.select(outbox.c.payload)
                    .where(outbox.c.owner == owner)
                    .order_by(outbox.c.seq)
                ).scalars()
                return [bytes(p) for p in rows]
        except sa.exc.SQLAlchemyError as exc:
            raise LedgerBroken(repr(exc)) from exc

    @staticmethod
    def _stored(c: sa.Connection, owner: str, key: str) -> StoredResponse | None:
        row = c.execute(
            sa.select(
                idempotency_t.c.request_sha256, idempotency_t.c.status, idempotency_t.c.body
            ).where(idempotency_t.c.owner == owner, idempotency_t.c.key == key)
        ).first()
        return StoredResponse(row[0], row[1], bytes(row[2])) if row else None

    def replay(self, owner: str, idempotency_key: str) -> StoredResponse | None:
        try:
            with self._engine.connect() as c:
                return self._stored(c, owner, idempotency_key)
        except sa.exc.SQLAlchemyError as exc:
            raise LedgerBroken(repr(exc)) from exc

    def _publishing(self) -> bool:
        """Whether this replica holds the publisher lock (taken when free)."""
        if self._publisher is not None:
            try:
                self._publisher.execute(sa.select(1))
                self._publisher.commit()
                return True
            except sa.exc.SQLAlchemyError:  # the session (and with it the lock) is gone
                self._publisher.invalidate()
                self._publisher.close()
                self._publisher = None
        conn = self._engine.connect()
        held = conn.execute(sa.select(sa.func.pg_try_advisory_lock(PUBLISHER_LOCK))).scalar()
        conn.commit()
        if held:
            self._publisher = conn
            return True
        conn.close()
        return False

    def pending(self, limit: int) -> list[OutboxRow]:
        with self._lock:
            if not self._publishing():
                return []  # another replica publishes
            with self._engine.connect() as c:
                rows = c.execute(
                    sa.select(outbox.c.seq, outbox.c.event_id, outbox.c.key, outbox.c.payload)
                    .where(sa.not_(outbox.c.published))
                    .order_by(outbox.c.seq)
                    .limit(limit)
                ).all()
        return [OutboxRow(r[0], r[1], bytes(r[2]), bytes(r[3])) for r in rows]

    def acknowledge(self, rows: Sequence[OutboxRow]) -> None:
        if not rows:
            return
        with self._engine.begin() as c:
            c.execute(
                outbox.update()
                .where(outbox.c.seq.in_([r.seq for r in rows]))
                .values(published=True)
            )

    def backlog(self) -> int:
        with self._engine.connect() as c:
            count = c.execute(
                sa.select(sa.func.count()).select_from(outbox).where(sa.not_(outbox.c.published))
            ).scalar()
        return int(count or 0)

    def close(self) -> None:
        with self._lock:
            if self._publisher is not None:
                self._publisher.close()
                self._publisher = None
        self._engine.dispose()
