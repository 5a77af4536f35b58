"""Alerts against a real SMTP server and a real webhook receiver, with an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from planwatch.catalog import default_catalog
from planwatch.domain.events import Status, StatusChange
from planwatch.settings import CommonSettings
from planwatch_alerts.engine import AlertEngine, severity_of
from planwatch_alerts.routing import load_routing
from planwatch_alerts.settings import Settings
from planwatch_alerts.store import alerts, make_engine, notifications
from support.smtp import SmtpServer

T0 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
ROUTES = {
    "route": {
        "receiver": "lead-agency",
        "group_by": ["agency"],
        "group_wait": "30s",
        "group_interval": "5m",
        "repeat_interval": "24h",
    },
    "default_email": "{agency_id}@agencies.invalid",
    "inhibit_rules": [
        {
            "source_match": {"type": "overdue"},
            "target_match": {"type": "offtrack"},
            "equal": ["indicator", "jurisdiction"],
        }
    ],
    "escalation": {"after": "72h", "severities": ["critical"], "receiver": "supervisor"},
    "receivers": [{"name": "supervisor", "email": ["duchaban@agencies.invalid"]}],
}


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


def change(
    to: Status,
    indicator: str = "gsbase-rd-expenditure",
    tier: str | None = "binding",
    reason: str = "assessment",
    **kw,
) -> StatusChange:
    values = dict(
        catalog_version="v",
        indicator_id=indicator,
        jurisdiction="甘肃省",
        plan_code="gsbase",
        from_status=None,
        to_status=to,
        tier=tier,
        reason=reason,
        assessment={
            "status": to.value,
            "target_year": 2025,
            "target_value": 180.0,
            "latest_period": "2025",
            "latest_value": 150.0,
            "planned": 180.0,
            "gap": -30.0,
            "projected": 150.0,
            "tier": tier,
        },
        target={
            "id": indicator,
            "indicator": "全社会研究与试验发展(R&D)经费投入",
            "indicator_en": "Gross domestic expenditure on R&D",
            "unit": "亿元",
            "source_quote": "全社会研究与试验发展(R&D)经费投入达到180亿元",
        },
        lead_agencies=("省科技厅",),
        responsible_agencies=("省科技厅", "省财政厅", "省统计局"),
    )
    values.update(kw)
    return StatusChange(**values)


@pytest.fixture
def setup(tmp_path: Path, smtp_server: SmtpServer):
    routes = tmp_path / "routes.yml"
    routes.write_text(yaml.safe_dump(ROUTES, allow_unicode=True), encoding="utf-8")
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'alerts.db'}",
        routes_file=routes,
        smtp_port=smtp_server.port,
        max_attempts=3,
        retry_base_s=10,
        consume=False,
        common=CommonSettings(data_dir=tmp_path, board_url="http://board.test"),
    )
    clock = Clock()

    def build() -> AlertEngine:
        return AlertEngine(
            make_engine(settings.database_url()),
            load_routing(routes),
            default_catalog(),
            settings,
            clock,
        )

    return build(), clock, smtp_server, build


def rows(engine: AlertEngine, table):
    with engine.db.connect() as c:
        return c.execute(table.select().order_by(table.c.id)).all()


def test_severity_is_higher_for_binding_targets_and_deterioration() -> None:
    assert severity_of("needs_acceleration", None) == "minor"
    assert severity_of("needs_acceleration", "binding") == "major"
    assert severity_of("deterioration", None) == "critical"
    assert severity_of("deterioration", "binding") == "critical"


def test_lead_agency_gets_one_digest_with_the_copied_agencies(setup) -> None:
    engine, clock, smtp, _ = setup
    engine.handle(change(Status.LIMITED_PROGRESS))
    engine.handle(
        change(
            Status.NEEDS_ACCELERATION,
            indicator="gsbase-other",
            target={"id": "gsbase-other", "indicator": "高新技术企业", "unit": "家"},
        )
    )
    engine.tick()
    assert smtp.messages == []  # group_wait: 30 s
    clock.advance(seconds=31)
    engine.tick()
    [mail] = smtp.wait_for(1)
    assert mail.message["To"] == "gs-kjt@agencies.invalid"
    assert "gs-czt@agencies.invalid" in mail.message["Cc"]
    assert "省科技厅" in mail.message["Subject"] and "2 项指标预警" in mail.message["Subject"]
    body = mail.body
    assert "全社会研究与试验发展(R&D)经费投入达到180亿元" in body
    assert "http://board.test/indicators/gsbase-rd-expenditure" in body
    assert "抄送：" in body and "省财政厅" in body
    [alert, _] = rows(engine, alerts)
    assert alert.agencies == ["省科技厅"] and alert.severity == "critical"


def test_redelivered_event_is_handled_once(setup) -> None:
    engine, clock, smtp, _ = setup
    event = change(Status.LIMITED_PROGRESS)
    engine.handle(event)
    engine.handle(event)
    clock.advance(seconds=31)
    engine.tick()
    clock.advance(minutes=10)
    engine.tick()
    assert len(smtp.wait_for(1)) == 1 and len(rows(engine, alerts)) == 1


def test_group_interval_and_repeat_interval(setup) -> None:
    engine, clock, smtp, _ = setup
    engine.handle(change(Status.NEEDS_ACCELERATION, tier=None))
    clock.advance(seconds=31)
    engine.tick()
    smtp.wait_for(1)
    engine.handle(change(Status.DETERIORATION, tier=None))  # worse: notify again …
    clock.advance(seconds=31)
    engine.tick()
    assert len(smtp.messages) == 1  # … but not within group_interval (5 min)
    clock.advance(minutes=5)
    engine.tick()
    assert len(smtp.wait_for(2)) == 2
    clock.advance(hours=23)
    engine.tick()
    assert len(smtp.messages) == 2
    clock.advance(hours=1, seconds=31)
    engine.tick()
    clock.advance(seconds=31)
    engine.tick()
    mails = smtp.wait_for(3)
    assert "仍未改善" in mails[2].body


def test_resolve_notice(setup) -> None:
    engine, clock, smtp, _ = setup
    engine.handle(change(Status.LIMITED_PROGRESS))
    clock.advance(seconds=31)
    engine.tick()
    engine.handle(change(Status.ON_TRACK))
    clock.advance(minutes=6)
    engine.tick()
    mails = smtp.wait_for(2)
    assert "已恢复" in mails[1].body and "1 项已恢复" in mails[1].message["Subject"]
    assert rows(engine, alerts)[0].state == "resolved"


def test_silence_suppresses_until_it_expires(setup) -> None:
    engine, clock, _smtp, _ = setup
    engine.handle(change(Status.LIMITED_PROGRESS))
    with engine.db.begin() as c:
        c.execute(alerts.update().values(state="silenced", silenced_until=T0 + timedelta(hours=1)))
    engine.handle(change(Status.DETERIORATION))
    clock.advance(seconds=31)
    engine.tick()
    # the item queued before the silence still goes; nothing new while silenced
    assert len(rows(engine, notifications)) == 1
    clock.advance(hours=2)
    engine.tick()
    assert rows(engine, alerts)[0].state == "open"


def test_overdue_data_inhibits_the_off_track_alert(setup) -> None:
    engine, clock, smtp, _ = setup
    engine.handle(
        change(
            Status.OVERDUE,
            reason="overdue",
            overdue_period="2025",
            due_date="2026-03-31",
            reporting_jurisdiction="甘肃省",
        )
    )
    # a revision of an earlier year: the overdue 2025 figure is still missing
    revision = change(Status.LIMITED_PROGRESS)
    revision = revision.model_copy(
        update={"assessment": {**revision.assessment, "latest_period": "2024"}}
    )
    engine.handle(revision)
    clock.advance(seconds=31)
    engine.tick()
    [mail] = smtp.wait_for(1)
    assert mail.message["To"].startswith("bureau-")  # the statistics bureau, no contact configured
    assert "数据逾期未报" in mail.body and "2026-03-31" in mail.body
    kinds = {r.type for r in rows(engine, alerts)}
    assert kinds == {"overdue", "offtrack"}
    assert len(rows(engine, notifications)) == 1  # the off-track alert was inhibited


def test_retries_then_recorded_failure(setup) -> None:
    engine, clock, smtp, _ = setup
    smtp.refuse_with = "451 4.3.0 try again later"
    engine.handle(change(Status.LIMITED_PROGRESS))
    clock.advance(seconds=31)
    engine.tick()
    [n] = rows(engine, notifications)
    assert (n.state, n.attempts) == ("pending", 1) and "451" in n.last_error
    clock.advance(seconds=10)
    engine.tick()
    clock.advance(seconds=20)
    engine.tick()
    [n] = rows(engine, notifications)
    assert (n.state, n.attempts) == ("failed", 3)
    assert smtp.refused == 3 and smtp.messages == []


def test_a_retry_succeeds_when_the_server_accepts_again(setup) -> None:
    engine, clock, smtp, _ = setup
    smtp.refuse_with = "451 busy"
    engine.handle(change(Status.LIMITED_PROGRESS))
    clock.advance(seconds=31)
    engine.tick()
    smtp.refuse_with = None
    clock.advance(seconds=10)
    engine.tick()
    assert len(smtp.wait_for(1)) == 1
    assert rows(engine, notifications)[0].state == "sent"


def test_a_restart_neither_loses_nor_duplicates_a_pending_notification(setup) -> None:
    engine, clock, smtp, build = setup
    smtp.refuse_with = "451 busy"
    engine.handle(change(Status.LIMITED_PROGRESS))
    clock.advance(seconds=31)
    engine.tick()  # stored, delivery failed once: pending
    engine.db.dispose()
    smtp.refuse_with = None
    restarted = build()  # a new process on the same database
    restarted.handle(change(Status.LIMITED_PROGRESS))  # a new event id: no worse, no new item
    clock.advance(seconds=10)
    restarted.tick()
    clock.advance(minutes=10)
    restarted.tick()
    assert len(smtp.wait_for(1)) == 1
    assert len(smtp.messages) == 1


def test_escalation_of_an_unacknowledged_critical_alert(setup) -> None:
    engine, clock, smtp, _ = setup
    engine.handle(change(Status.DETERIORATION))
    clock.advance(seconds=31)
    engine.tick()
    clock.advance(hours=72)
    engine.tick()
    clock.advance(seconds=31)
    engine.tick()
    mails = smtp.wait_for(2)
    assert any(
        m.message["To"] == "duchaban@agencies.invalid" and "升级提醒" in m.body for m in mails
    )


def test_webhook_receiver_through_apprise(setup, webhook_receiver, tmp_path: Path) -> None:
    engine, clock, _smtp, _ = setup
    config = dict(ROUTES)
    config["contacts"] = {"gs-kjt": {"apprise": [f"json://{webhook_receiver.url}/hook"]}}
    path = tmp_path / "routes2.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    engine.routing = load_routing(path)
    engine.handle(change(Status.LIMITED_PROGRESS))
    clock.advance(seconds=31)
    engine.tick()
    [request] = webhook_receiver.requests
    assert request["path"] == "/hook" and "省科技厅" in request["body"]["title"]
    assert "180亿元" in request["body"]["message"]
