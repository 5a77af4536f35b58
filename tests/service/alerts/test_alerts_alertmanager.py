"""An Alertmanager-format receiver: the alerts go to an on-call tool or an Alertmanager as
Alertmanager itself would send them (webhook version 4), to a real local HTTP receiver."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from planwatch.catalog import default_catalog
from planwatch.domain.events import Status
from planwatch.settings import CommonSettings
from planwatch_alerts.engine import AlertEngine
from planwatch_alerts.routing import RoutingError, load_routing
from planwatch_alerts.settings import Settings
from planwatch_alerts.store import make_engine, notifications
from support.alert_events import Clock, status_change, write_routes
from support.webhook import WebhookReceiver

ROOT = Path(__file__).resolve().parents[3]


def _engine(tmp_path: Path, clock: Clock, hook: str) -> AlertEngine:
    path = write_routes(
        tmp_path / "routes.yml",
        route={"receiver": "oncall", "group_by": ["agency"], "group_wait": "0s"},
        receivers=[
            {"name": "oncall", "alertmanager": [hook]},
            {"name": "supervisor", "email": ["duchaban@agencies.invalid"]},
        ],
    )
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'alerts.db'}",
        routes_file=path,
        smtp_port=1,
        consume=False,
        common=CommonSettings(data_dir=tmp_path, board_url="http://board.test"),
    )
    db = make_engine(settings.database_url())
    return AlertEngine(db, load_routing(path), default_catalog(), settings, clock)


def _outbox(engine: AlertEngine) -> list[Any]:
    with engine.db.connect() as c:
        return list(c.execute(notifications.select().order_by(notifications.c.id)).all())


def test_a_firing_then_resolved_alert_in_the_webhook_format(
    tmp_path: Path, webhook_receiver: WebhookReceiver
) -> None:
    clock = Clock()
    engine = _engine(tmp_path, clock, f"{webhook_receiver.http_url}/alerts")
    engine.handle(status_change(Status.LIMITED_PROGRESS))
    engine.tick()
    [firing] = webhook_receiver.wait_for(1)
    body = firing["body"]
    assert firing["path"] == "/alerts"
    assert firing["headers"]["Content-Type"] == "application/json"
    assert body["version"] == "4" and body["status"] == "firing"
    assert body["receiver"] == "oncall" and body["groupKey"]
    assert body["externalURL"] == "http://board.test"
    [alert] = body["alerts"]
    assert alert["status"] == "firing"
    assert alert["labels"]["alertname"] == "planwatch_offtrack"
    assert alert["labels"]["indicator"] == "gsbase-rd-expenditure"
    assert alert["labels"]["jurisdiction"] == "甘肃省"
    assert alert["labels"]["severity"] in {"warning", "minor", "major", "critical"}
    assert alert["startsAt"] == "2026-04-01T09:00:00Z"
    assert alert["endsAt"] == "0001-01-01T00:00:00Z"
    assert alert["generatorURL"] == "http://board.test/indicators/gsbase-rd-expenditure"
    assert "研究与试验发展" in alert["annotations"]["summary"]
    assert body["commonLabels"]["indicator"] == "gsbase-rd-expenditure"
    [row] = _outbox(engine)
    assert (row.channel, row.state) == ("alertmanager", "sent")

    clock.advance(hours=2)
    engine.handle(status_change(Status.ACHIEVED))
    clock.advance(minutes=10)
    engine.tick()
    _, resolved = webhook_receiver.wait_for(2)
    [gone] = resolved["body"]["alerts"]
    assert resolved["body"]["status"] == "resolved" and gone["status"] == "resolved"
    assert gone["endsAt"] != "0001-01-01T00:00:00Z"
    assert gone["fingerprint"] == alert["fingerprint"]  # the same alert, now resolved


def test_an_alertmanager_api_gets_the_alert_list(
    tmp_path: Path, webhook_receiver: WebhookReceiver
) -> None:
    engine = _engine(tmp_path, Clock(), f"{webhook_receiver.http_url}/api/v2/alerts")
    engine.handle(status_change(Status.LIMITED_PROGRESS))
    engine.tick()
    [posted] = webhook_receiver.wait_for(1)
    [alert] = posted["body"]
    assert set(alert) == {"labels", "annotations", "startsAt", "generatorURL"}
    assert alert["labels"]["alertname"] == "planwatch_offtrack"


def test_a_receiver_that_is_down_is_retried_then_served(
    tmp_path: Path, webhook_receiver: WebhookReceiver
) -> None:
    clock = Clock()
    engine = _engine(tmp_path, clock, f"{webhook_receiver.http_url}/alerts")
    webhook_receiver.fail_with = 503
    engine.handle(status_change(Status.LIMITED_PROGRESS))
    engine.tick()
    webhook_receiver.wait_for(1)
    [row] = _outbox(engine)
    assert row.state == "pending" and "HTTP 503" in row.last_error
    webhook_receiver.fail_with = None
    clock.advance(seconds=10)
    engine.tick()
    first, second = webhook_receiver.wait_for(2)
    assert first["body"] == second["body"]
    assert _outbox(engine)[0].state == "sent"


def test_a_refusal_is_not_retried(tmp_path: Path, webhook_receiver: WebhookReceiver) -> None:
    engine = _engine(tmp_path, Clock(), f"{webhook_receiver.http_url}/alerts")
    webhook_receiver.fail_with = 400
    engine.handle(status_change(Status.LIMITED_PROGRESS))
    engine.tick()
    [row] = _outbox(engine)
    assert row.state == "failed" and "HTTP 400" in row.last_error


def test_a_receiver_url_that_is_not_http_is_refused(tmp_path: Path) -> None:
    path = write_routes(
        tmp_path / "routes.yml",
        receivers=[{"name": "oncall", "alertmanager": ["ftp://example.invalid/"]}],
    )
    with pytest.raises(RoutingError, match="alertmanager"):
        load_routing(path)


def test_the_example_routes_show_the_receiver() -> None:
    routing = load_routing(ROOT / "deploy/alerts/routes.example.yml")
    assert any(r.alertmanager for r in routing.receivers.values())


def test_a_reminder_is_no_alert_for_an_on_call_tool(
    tmp_path: Path, webhook_receiver: WebhookReceiver
) -> None:
    """A reminder before a due date alone makes no Alertmanager delivery (the receiver here
    has no other destination); beside an alert of the same group, the webhook carries the
    alert alone."""
    clock = Clock()
    engine = _engine(tmp_path, clock, f"{webhook_receiver.http_url}/alerts")
    notice = dict(overdue_period="2025", due_date="2026-12-30", publisher="甘肃省统计局")
    engine.handle(status_change(Status.ON_TRACK, reason="reminder", assessment=None, **notice))
    engine.tick()
    # the receiver has no other destination: recorded as not delivered, nothing posted
    [row] = _outbox(engine)
    assert (row.channel, row.state, row.kind) == ("email", "failed", "reminder")
    assert "reminders skip Alertmanager" in row.last_error
    assert webhook_receiver.requests == []
    clock.advance(minutes=6)  # past the group's interval
    notice["overdue_period"] = "2026"
    engine.handle(status_change(Status.ON_TRACK, reason="reminder", assessment=None, **notice))
    engine.handle(status_change(Status.LIMITED_PROGRESS))
    engine.tick()
    [firing] = webhook_receiver.wait_for(1)
    assert [a["labels"]["alertname"] for a in firing["body"]["alerts"]] == ["planwatch_offtrack"]
