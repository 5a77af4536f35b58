"""Delivery: retries with backoff, recorded failures, restarts, e-mail and webhook channels.

Real aiosmtpd server and real HTTP receiver; the clock is injected, so backoff is exact.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from planwatch.catalog import default_catalog
from planwatch.domain.events import Status
from planwatch.settings import CommonSettings
from planwatch_alerts.engine import AlertEngine
from planwatch_alerts.routing import load_routing
from planwatch_alerts.settings import Settings
from planwatch_alerts.store import make_engine, notifications
from support.alert_events import Clock, status_change, write_routes
from support.smtp import SmtpServer
from support.webhook import WebhookReceiver

Build = Callable[..., AlertEngine]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def build(tmp_path: Path, smtp_server: SmtpServer, clock: Clock) -> Build:
    def make(**routes: Any) -> AlertEngine:
        """An engine on the test's database: a second call is a restarted process."""
        path = write_routes(tmp_path / "routes.yml", **routes)
        settings = Settings(
            db_url=f"sqlite:///{tmp_path / 'alerts.db'}",
            routes_file=path,
            smtp_port=smtp_server.port,
            max_attempts=3,
            retry_base_s=10,
            consume=False,
            common=CommonSettings(data_dir=tmp_path, board_url="http://board.test"),
        )
        db = make_engine(settings.database_url())
        return AlertEngine(db, load_routing(path), default_catalog(), settings, clock)

    return make


def outbox(engine: AlertEngine) -> list[Any]:
    with engine.db.connect() as c:
        return list(c.execute(notifications.select().order_by(notifications.c.id)).all())


def test_retries_with_backoff_then_a_recorded_failure(
    build: Build, clock: Clock, smtp_server: SmtpServer
) -> None:
    engine = build()
    smtp_server.refuse_with = "451 4.3.0 try again later"
    engine.handle(status_change(Status.LIMITED_PROGRESS))
    clock.advance(seconds=31)
    engine.tick()
    [n] = outbox(engine)
    assert (n.state, n.attempts) == ("pending", 1) and "451" in n.last_error
    clock.advance(seconds=9)  # backoff 10 s: not yet
    engine.tick()
    assert outbox(engine)[0].attempts == 1
    clock.advance(seconds=1)
    engine.tick()
    assert outbox(engine)[0].attempts == 2
    clock.advance(seconds=20)  # then 20 s; the third try is the last
    engine.tick()
    [n] = outbox(engine)
    assert (n.state, n.attempts) == ("failed", 3) and "try again later" in n.last_error
    clock.advance(hours=1)
    engine.tick()
    assert smtp_server.refused == 3 and smtp_server.messages == []


def test_a_permanent_refusal_is_not_retried(
    build: Build, clock: Clock, smtp_server: SmtpServer
) -> None:
    engine = build()
    smtp_server.refuse_with = "550 5.1.1 mailbox unavailable"
    engine.handle(status_change(Status.LIMITED_PROGRESS))
    clock.advance(seconds=31)
    engine.tick()
    [n] = outbox(engine)
    assert (n.state, n.attempts) == ("failed", 1) and "550" in n.last_error


def test_a_retry_delivers_once_the_server_accepts_again(
    build: Build, clock: Clock, smtp_server: SmtpServer
) -> None:
    engine = build()
    smtp_server.refuse_next(2)
    engine.handle(status_change(Status.LIMITED_PROGRESS))
    for step in (31, 10, 20):
        clock.advance(seconds=step)
        engine.tick()
    [mail] = smtp_server.wait_for(1)
    [n] = outbox(engine)
    assert (n.state, n.attempts, n.last_error) == ("sent", 3, None)
    assert mail.message_id == n.message_id


def test_a_restart_with_a_pending_retry_delivers_it_once(
    build: Build, clock: Clock, smtp_server: SmtpServer
) -> None:
    engine = build()
    smtp_server.refuse_with = "451 busy"
    engine.handle(status_change(Status.LIMITED_PROGRESS))
    clock.advance(seconds=31)
    engine.tick()  # stored; the first try failed: pending
    engine.db.dispose()
    smtp_server.refuse_with = None
    restarted = build()  # a new process on the same database
    restarted.handle(status_change(Status.LIMITED_PROGRESS))  # the same state again: no news
    for _ in range(5):
        clock.advance(minutes=10)
        restarted.tick()
    assert len(smtp_server.wait_for(1)) == 1
    assert len(smtp_server.messages) == 1 and outbox(restarted)[0].state == "sent"


def test_a_delivery_interrupted_by_a_crash_is_sent_again_with_the_same_message_id(
    build: Build, clock: Clock, smtp_server: SmtpServer
) -> None:
    engine = build()
    engine.handle(status_change(Status.LIMITED_PROGRESS))
    clock.advance(seconds=31)
    with engine.db.begin() as c:  # what tick() commits before it sends …
        engine.grouper.group(c, clock())
    [n] = outbox(engine)
    assert engine.deliverer._claim(n.id) is not None  # … and the claim; then the process dies
    engine.db.dispose()
    assert outbox(build())[0].state == "pending"  # the restart takes it back
    restarted = build()
    restarted.tick()
    [mail] = smtp_server.wait_for(1)
    [n] = outbox(restarted)
    assert (n.state, n.attempts) == ("sent", 2) and mail.message_id == n.message_id
    clock.advance(hours=1)
    restarted.tick()
    assert len(smtp_server.messages) == 1


def test_e_mail_and_webhook_are_separate_deliveries(
    build: Build, clock: Clock, smtp_server: SmtpServer, webhook_receiver: WebhookReceiver
) -> None:
    hook = f"json://{webhook_receiver.url}/hook"
    engine = build(contacts={"gs-kjt": {"email": ["kjt@gansu.invalid"], "apprise": [hook]}})
    webhook_receiver.fail_with = 503
    engine.handle(status_change(Status.LIMITED_PROGRESS))
    clock.advance(seconds=31)
    engine.tick()
    [mail] = smtp_server.wait_for(1)
    assert mail.message["To"] == "kjt@gansu.invalid"
    email_row, hook_row = outbox(engine)
    assert (email_row.channel, email_row.state) == ("email", "sent")
    assert (hook_row.channel, hook_row.state, hook_row.to) == ("apprise", "pending", [hook])
    webhook_receiver.fail_with = None
    clock.advance(seconds=10)
    engine.tick()
    assert outbox(engine)[1].state == "sent"
    assert len(smtp_server.messages) == 1  # the webhook's retry did not resend the e-mail
    first, second = webhook_receiver.wait_for(2)
    assert second["path"] == "/hook" and "省科技厅" in second["body"]["title"]
    assert "180亿元" in second["body"]["message"] and second["body"] == first["body"]


def test_a_receiver_without_any_contact_is_recorded_as_failed(
    build: Build, clock: Clock, smtp_server: SmtpServer
) -> None:
    engine = build(default_email=None)
    engine.handle(status_change(Status.LIMITED_PROGRESS))
    clock.advance(seconds=31)
    engine.tick()
    [n] = outbox(engine)
    assert n.state == "failed" and "no contact" in n.last_error
    assert smtp_server.attempts == 0


def test_the_e_mails_of_one_tick_share_one_smtp_session(
    build: Build, clock: Clock, smtp_server: SmtpServer
) -> None:
    """A burst of notifications (here, an indicator of each plan falling behind at once)
    reaches the relay through one SMTP session, not a connection per message."""
    engine = build()
    firsts: dict[str, Any] = {}
    for entry in default_catalog():
        firsts.setdefault(entry.plan_code, entry)
    assert len(firsts) >= 3
    for entry in firsts.values():
        engine.handle(
            status_change(
                Status.LIMITED_PROGRESS,
                indicator=entry.id,
                jurisdiction=entry.jurisdiction,
                plan_code=entry.plan_code,
            )
        )
    clock.advance(seconds=31)
    sessions_before = smtp_server.sessions
    sent = engine.tick()
    assert sent >= 3 and len(smtp_server.wait_for(sent)) == sent
    assert smtp_server.sessions - sessions_before == 1
    assert {row.state for row in outbox(engine)} == {"sent"}
