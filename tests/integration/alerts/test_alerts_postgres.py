"""The alert store on a real PostgreSQL 15 (the production choice, selected by DSN).

PostgreSQL runs from Debian's binaries (the ``postgres_url`` fixture of
``tests/support/fixtures_postgres.py``, shared with the ingest ledger's tests).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from planwatch.catalog import default_catalog
from planwatch.domain.events import Status
from planwatch.settings import CommonSettings
from planwatch_alerts.engine import AlertEngine
from planwatch_alerts.routing import load_routing
from planwatch_alerts.settings import Settings
from planwatch_alerts.store import alerts, make_engine, notifications
from support.alert_events import Clock, status_change, write_routes
from support.smtp import SmtpServer

pytestmark = pytest.mark.integration


def test_the_lifecycle_and_the_outbox_on_postgresql(
    postgres_url: str, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    routes = write_routes(tmp_path / "routes.yml")
    settings = Settings(
        db_url=postgres_url,
        routes_file=routes,
        smtp_port=smtp_server.port,
        consume=False,
        common=CommonSettings(data_dir=tmp_path),
    )
    clock = Clock()

    def build() -> AlertEngine:
        db = make_engine(settings.database_url())
        return AlertEngine(db, load_routing(routes), default_catalog(), settings, clock)

    engine = build()
    event = status_change(Status.LIMITED_PROGRESS)
    assert engine.handle(event) and not engine.handle(event)
    clock.advance(seconds=31)
    engine.tick()
    [mail] = smtp_server.wait_for(1)
    assert mail.message["To"] == "gs-kjt@agencies.invalid"
    engine.db.dispose()
    restarted = build()  # the tables are there; the event is still known
    assert not restarted.handle(event)
    restarted.handle(status_change(Status.ON_TRACK))
    clock.advance(minutes=6)
    restarted.tick()
    assert "[已恢复]" in smtp_server.wait_for(2)[1].body
    with restarted.db.connect() as c:
        [alert] = c.execute(sa.select(alerts)).all()
        states = c.execute(sa.select(notifications.c.state)).scalars().all()
    assert alert.state == "resolved" and alert.opened_at.tzinfo is not None
    assert states == ["sent", "sent"]
    time.sleep(0.2)
    assert len(smtp_server.messages) == 2


def test_answers_on_postgresql(postgres_url: str, smtp_server: SmtpServer, tmp_path: Path) -> None:
    """An answer through the e-mail's link is stored once, read back with its date, and keeps
    the alert from escalating (the escalation query runs on PostgreSQL)."""
    import re
    from datetime import date

    from planwatch_alerts.answers import AnswerKind, record_answer, responses_of
    from planwatch_alerts.links import LinkError, Refusal

    escalation = {
        "after": "72h",
        "severities": [],
        "unanswered_after": "2d",
        "receiver": "supervisor",
    }
    routes = write_routes(tmp_path / "routes.yml", escalation=escalation)
    settings = Settings(
        db_url=postgres_url,
        routes_file=routes,
        smtp_port=smtp_server.port,
        consume=False,
        public_url="http://alerts.test",
        link_secret="pg-test-key",
        common=CommonSettings(data_dir=tmp_path),
    )
    clock = Clock()
    engine = AlertEngine(
        make_engine(settings.database_url()), load_routing(routes), default_catalog(),
        settings, clock,
    )  # fmt: skip
    engine.handle(status_change(Status.LIMITED_PROGRESS))
    engine.handle(status_change(Status.NEEDS_ACCELERATION, indicator="gsbase-hitech-firms"))
    clock.advance(seconds=31)
    engine.tick()
    body = smtp_server.wait_for(1)[0].body
    found = dict((int(m[1]), m[2]) for m in re.finditer(r"/answer/(\d+)\?t=([\w.\-]+)", body))
    answered, token = sorted(found.items())[0]
    grant = engine.grouper.signer.read(token, answered, clock())  # type: ignore[union-attr]
    with engine.db.begin() as c:
        record_answer(c, grant, AnswerKind.ACKNOWLEDGE, "追加补助", date(2026, 12, 31), clock())
    with pytest.raises(LinkError) as refused, engine.db.begin() as c:
        record_answer(c, grant, AnswerKind.DISPUTE, "再答一次", None, clock())
    assert refused.value.refusal is Refusal.USED
    with engine.db.connect() as c:
        [answer] = responses_of(c, [answered])[answered]
    assert answer["expected_recovery"] == date(2026, 12, 31) and answer["agency"] == "省科技厅"
    clock.advance(days=2, seconds=1)
    engine.tick()
    with engine.db.connect() as c:
        escalated = dict(c.execute(sa.select(alerts.c.id, alerts.c.escalated_at)).all())
    assert escalated[answered] is None
    assert all(v is not None for k, v in escalated.items() if k != answered)
