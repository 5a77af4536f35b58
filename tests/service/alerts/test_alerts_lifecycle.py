"""The alert lifecycle against a real SMTP server (aiosmtpd), with an injected clock.

The engine is driven directly (no broker): ``handle`` is what the consumer calls for each
status change, ``tick`` what the dispatcher runs; the clock only moves when the test says so.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event as sa_event

from planwatch.catalog import default_catalog
from planwatch.domain.calendar import Action, duties
from planwatch.domain.events import Status, SubmissionEvent
from planwatch.settings import CommonSettings
from planwatch_alerts.engine import AlertEngine
from planwatch_alerts.routing import load_routing
from planwatch_alerts.settings import Settings
from planwatch_alerts.store import alerts, make_engine, notifications
from support.alert_events import Clock, status_change, write_routes
from support.smtp import SmtpServer

Build = Callable[..., AlertEngine]


@pytest.fixture
def build(tmp_path: Path, smtp_server: SmtpServer) -> Build:
    clock = Clock()

    def make(language: str = "zh", **routes: Any) -> AlertEngine:
        path = write_routes(tmp_path / "routes.yml", **routes)
        settings = Settings(
            db_url=f"sqlite:///{tmp_path / 'alerts.db'}",
            routes_file=path,
            smtp_port=smtp_server.port,
            max_attempts=3,
            retry_base_s=10,
            consume=False,
            language=language,
            common=CommonSettings(data_dir=tmp_path, board_url="http://board.test"),
        )
        engine = AlertEngine(
            make_engine(settings.database_url()), load_routing(path), default_catalog(),
            settings, clock,
        )  # fmt: skip
        engine.test_clock = clock  # type: ignore[attr-defined]
        return engine

    return make


def rows(engine: AlertEngine, table: Any) -> list[Any]:
    with engine.db.connect() as c:
        return list(c.execute(table.select().order_by(table.c.id)).all())


def test_the_lead_agency_gets_one_digest_with_the_copied_agencies(
    build: Build, smtp_server: SmtpServer
) -> None:
    engine = build()
    clock = engine.test_clock  # type: ignore[attr-defined]
    engine.handle(status_change(Status.LIMITED_PROGRESS))
    engine.handle(
        status_change(
            Status.NEEDS_ACCELERATION,
            indicator="gsbase-hitech-firms",
            target={"id": "gsbase-hitech-firms", "indicator": "高新技术企业", "unit": "家"},
        )
    )
    engine.tick()
    assert smtp_server.messages == []  # group_wait 30 s: collecting
    clock.advance(seconds=31)
    engine.tick()
    [mail] = smtp_server.wait_for(1)
    assert mail.message["To"] == "gs-kjt@agencies.invalid"
    assert mail.message["Cc"] == "gs-czt@agencies.invalid"
    assert sorted(mail.rcpt_tos) == ["gs-czt@agencies.invalid", "gs-kjt@agencies.invalid"]
    assert "省科技厅" in mail.subject and "2 项指标预警" in mail.subject
    body = mail.body
    for text in (
        "2025年约束值：180亿元",  # target
        "最新值（2025）：150亿元",  # latest value
        "规划路径应为 180亿元",  # planned value
        "差距 -30亿元 (-16.7%)",  # gap
        "2025 年预计：150亿元",  # projection
        "「全社会研究与试验发展(R&D)经费投入达到180亿元」",  # the plan's sentence
        "http://board.test/indicators/gsbase-rd-expenditure",  # the board panel
        "http://board.test/indicators/gsbase-hitech-firms",
        "抄送：省财政厅",
    ):
        assert text in body, text
    first, second = rows(engine, alerts)
    assert first.agencies == ["省科技厅"] and first.copied == ["省财政厅"]
    # limited progress on a binding target: critical; needs acceleration on one: major
    assert (first.severity, second.severity) == ("critical", "major")


@pytest.mark.parametrize(("tier", "severity"), [("binding", "critical"), ("expected", "major")])
def test_a_final_miss_opens_an_alert_like_limited_progress(
    build: Build, smtp_server: SmtpServer, tier: str, severity: str
) -> None:
    engine = build()
    engine.handle(status_change(Status.NOT_ACHIEVED, tier=tier))
    engine.test_clock.advance(seconds=31)  # type: ignore[attr-defined]
    engine.tick()
    [mail] = smtp_server.wait_for(1)
    assert "未达标" in mail.body and mail.message["To"] == "gs-kjt@agencies.invalid"
    [alert] = rows(engine, alerts)
    assert (alert.status, alert.severity, alert.state) == ("not_achieved", severity, "open")


def test_english_messages(build: Build, smtp_server: SmtpServer) -> None:
    engine = build(language="en")
    engine.handle(status_change(Status.DETERIORATION, tier="expected"))
    engine.test_clock.advance(seconds=31)  # type: ignore[attr-defined]
    engine.tick()
    [mail] = smtp_server.wait_for(1)
    assert mail.subject == "[planwatch] 省科技厅: 1 indicator(s) behind"
    assert "Gross domestic expenditure on R&D" in mail.body and "deterioration" in mail.body
    assert "expected for 2025: 180 亿元" in mail.body and "Copied: 省财政厅" in mail.body


def test_a_redelivered_event_is_handled_once(build: Build, smtp_server: SmtpServer) -> None:
    engine = build()
    event = status_change(Status.LIMITED_PROGRESS)
    assert engine.handle(event) is True
    assert engine.handle(event) is False
    engine.test_clock.advance(seconds=31)  # type: ignore[attr-defined]
    engine.tick()
    engine.test_clock.advance(minutes=10)  # type: ignore[attr-defined]
    engine.tick()
    assert len(smtp_server.wait_for(1)) == 1 and len(rows(engine, alerts)) == 1


def test_a_consumed_batch_is_stored_at_once_and_deduped(
    build: Build, smtp_server: SmtpServer
) -> None:
    engine = build()
    behind, worse = status_change(Status.LIMITED_PROGRESS), status_change(Status.DETERIORATION)
    assert engine.handle_many([behind, behind, worse]) == 2  # a copy inside the batch
    assert engine.handle_many([behind, worse]) == 0  # the batch redelivered
    [alert] = rows(engine, alerts)
    assert alert.status == "deterioration"
    engine.test_clock.advance(seconds=31)  # type: ignore[attr-defined]
    engine.tick()
    assert len(smtp_server.wait_for(1)) == 1


def test_group_interval_then_repeat_interval(build: Build, smtp_server: SmtpServer) -> None:
    engine = build()
    clock = engine.test_clock  # type: ignore[attr-defined]
    engine.handle(status_change(Status.NEEDS_ACCELERATION, tier=None))
    clock.advance(seconds=31)
    engine.tick()
    smtp_server.wait_for(1)
    engine.handle(status_change(Status.DETERIORATION, tier=None))  # worse: tell again …
    clock.advance(seconds=31)
    engine.tick()
    assert len(smtp_server.messages) == 1  # … but not within group_interval (5 min)
    clock.advance(minutes=5)
    engine.tick()
    assert "出现倒退" in smtp_server.wait_for(2)[1].body
    engine.handle(status_change(Status.DETERIORATION, tier=None))  # the same again: nothing new
    clock.advance(hours=23)
    engine.tick()
    assert len(smtp_server.messages) == 2
    clock.advance(hours=1, seconds=31)  # 24 h after the last digest: repeat
    engine.tick()
    clock.advance(seconds=31)
    engine.tick()
    mails = smtp_server.wait_for(3)
    assert len(mails) == 3 and "仍未改善" in mails[2].body


def test_an_acknowledged_alert_is_not_repeated(build: Build, smtp_server: SmtpServer) -> None:
    engine = build()
    clock = engine.test_clock  # type: ignore[attr-defined]
    engine.handle(status_change(Status.NEEDS_ACCELERATION, tier=None))
    clock.advance(seconds=31)
    engine.tick()
    with engine.db.begin() as c:
        c.execute(alerts.update().values(state="acknowledged", acked_at=clock(), acked_by="张三"))
    clock.advance(days=3)
    engine.tick()
    clock.advance(seconds=31)
    engine.tick()
    assert len(smtp_server.messages) == 1
    engine.handle(status_change(Status.DETERIORATION, tier=None))  # worse: open again, told
    clock.advance(minutes=6)
    engine.tick()
    assert len(smtp_server.wait_for(2)) == 2 and rows(engine, alerts)[0].state == "open"


def test_a_resolve_notice_goes_to_who_heard_the_alert(
    build: Build, smtp_server: SmtpServer
) -> None:
    engine = build()
    clock = engine.test_clock  # type: ignore[attr-defined]
    engine.handle(status_change(Status.LIMITED_PROGRESS))
    clock.advance(seconds=31)
    engine.tick()
    engine.handle(status_change(Status.ON_TRACK))
    clock.advance(minutes=6)
    engine.tick()
    mails = smtp_server.wait_for(2)
    assert "[已恢复]" in mails[1].body and mails[1].subject.endswith("1 项指标已恢复正常")
    assert "好消息" in mails[1].body and "0 项" not in mails[1].subject
    assert mails[1].message["To"] == "gs-kjt@agencies.invalid"
    [alert] = rows(engine, alerts)
    assert (alert.state, alert.status) == ("resolved", "on_track")


def test_an_alert_resolved_before_anyone_heard_of_it_stays_quiet(
    build: Build, smtp_server: SmtpServer
) -> None:
    engine = build()
    clock = engine.test_clock  # type: ignore[attr-defined]
    engine.handle(status_change(Status.LIMITED_PROGRESS))
    engine.handle(status_change(Status.ACHIEVED))
    clock.advance(minutes=10)
    engine.tick()
    assert smtp_server.messages == [] and rows(engine, notifications) == []


def test_a_silence_suppresses_until_it_expires(build: Build, smtp_server: SmtpServer) -> None:
    engine = build()
    clock = engine.test_clock  # type: ignore[attr-defined]
    engine.handle(status_change(Status.LIMITED_PROGRESS))
    with engine.db.begin() as c:
        c.execute(
            alerts.update().values(state="silenced", silenced_until=clock.now.replace(hour=12))
        )
    engine.handle(status_change(Status.DETERIORATION))
    for _ in range(3):
        clock.advance(minutes=30)
        engine.tick()
    assert smtp_server.messages == [] and rows(engine, notifications) == []
    clock.advance(hours=2)  # past 12:00: the silence expired, the alert is told
    engine.tick()
    clock.advance(seconds=31)
    engine.tick()
    [mail] = smtp_server.wait_for(1)
    assert "出现倒退" in mail.body and rows(engine, alerts)[0].state == "open"


def test_overdue_data_goes_to_the_bureau_and_inhibits_the_off_track_alert(
    build: Build, smtp_server: SmtpServer
) -> None:
    engine = build()
    clock = engine.test_clock  # type: ignore[attr-defined]
    overdue = dict(overdue_period="2025", due_date="2026-03-31", reporting_jurisdiction="甘肃省")
    engine.handle(status_change(Status.OVERDUE, reason="overdue", **overdue))
    # a revision of an earlier year: the 2025 figure is still missing
    engine.handle(status_change(Status.LIMITED_PROGRESS, latest_period="2024"))
    clock.advance(seconds=31)
    engine.tick()
    [mail] = smtp_server.wait_for(1)
    assert mail.message["To"] == "tjj@gansu.invalid"  # 甘肃省统计局, a contact by name
    assert mail.message["Cc"] == "gs-kjt@agencies.invalid"  # the lead 省科技厅, copied
    assert "数据逾期未报" in mail.body and "2026-03-31" in mail.body
    assert {r.type for r in rows(engine, alerts)} == {"overdue", "offtrack"}
    clock.advance(hours=1)
    engine.tick()
    assert len(rows(engine, notifications)) == 1  # the off-track alert stays inhibited
    # the 2025 figure arrives, still behind: the overdue alert resolves, the other one is told
    engine.handle(status_change(Status.LIMITED_PROGRESS, latest_period="2025"))
    for _ in range(2):  # the resolve notice; then the off-track alert after its group_wait
        clock.advance(seconds=31)
        engine.tick()
    mails = smtp_server.wait_for(3)
    told = {m.message["To"]: m for m in mails[1:]}
    assert "[已恢复]" in told["tjj@gansu.invalid"].body
    assert "[预警]" in told["gs-kjt@agencies.invalid"].body


def test_long_overdue_data_reaches_the_publisher_and_then_the_supervising_body(
    build: Build, smtp_server: SmtpServer
) -> None:
    """The reporting calendar names the publisher (a registry body) and, once the figure is
    long overdue, the plan's supervising body: each is addressed through the registry."""
    engine = build()
    clock = engine.test_clock  # type: ignore[attr-defined]
    overdue = dict(
        overdue_period="2025",
        due_date="2026-12-30",
        reporting_jurisdiction="甘肃省",
        publisher="省科技厅",
    )
    engine.handle(status_change(Status.OVERDUE, reason="overdue", **overdue))
    clock.advance(seconds=31)
    engine.tick()
    [chase] = smtp_server.wait_for(1)
    assert chase.message["To"] == "gs-kjt@agencies.invalid"  # the publisher, not 甘肃省统计局
    assert chase.message["Cc"] is None  # the publisher is the lead: not copied to itself
    engine.handle(
        status_change(Status.OVERDUE, reason="overdue", escalated_to=("省委科技委员会",), **overdue)
    )
    clock.advance(seconds=31)
    engine.tick()
    mails = smtp_server.wait_for(2)
    escalation = mails[-1]
    assert escalation.message["To"] == "gs-kwh@agencies.invalid"  # 省委科技委员会, a registry body
    assert escalation.message["Cc"] == "gs-kjt@agencies.invalid"
    assert {r.type for r in rows(engine, alerts)} == {"overdue"}
    # the figure arrives: both the chase and the escalation resolve
    engine.handle(status_change(Status.ON_TRACK, latest_period="2025"))
    assert {r.state for r in rows(engine, alerts)} == {"resolved"}


def test_escalation_of_an_unacknowledged_critical_alert(
    build: Build, smtp_server: SmtpServer
) -> None:
    engine = build()
    clock = engine.test_clock  # type: ignore[attr-defined]
    engine.handle(status_change(Status.DETERIORATION))  # binding + deterioration: critical
    clock.advance(seconds=31)
    engine.tick()

    def supervisor() -> list[Any]:
        return [m for m in smtp_server.messages if m.message["To"] == "duchaban@agencies.invalid"]

    for _ in range(71):
        clock.advance(hours=1)
        engine.tick()
    assert supervisor() == []  # the agency had its daily repeats, the supervisor nothing
    clock.advance(hours=1)
    engine.tick()
    [escalated] = supervisor()
    assert "升级提醒" in escalated.body and "全社会研究与试验发展" in escalated.body
    for _ in range(10):  # once only
        clock.advance(days=1)
        engine.tick()
    assert len(supervisor()) == 1


def test_continue_sends_to_a_second_receiver_with_its_own_timing(
    build: Build, smtp_server: SmtpServer
) -> None:
    routes = {
        "receiver": "lead-agency",
        "group_wait": "30s",
        "routes": [
            {"match": {"severity": "critical"}, "receiver": "leadership",
             "group_wait": "0s", "continue": True},
            {"match": {"plan": "gsbase"}, "receiver": "lead-agency"},
        ],
    }  # fmt: skip
    receivers = [
        {"name": "leadership", "email": ["lingdao@agencies.invalid"]},
        {"name": "supervisor", "email": ["duchaban@agencies.invalid"]},
    ]
    engine = build(route=routes, receivers=receivers)
    engine.handle(status_change(Status.DETERIORATION))
    engine.tick()
    [first] = smtp_server.wait_for(1)
    assert first.message["To"] == "lingdao@agencies.invalid"
    engine.test_clock.advance(seconds=31)  # type: ignore[attr-defined]
    engine.tick()
    assert smtp_server.wait_for(2)[1].message["To"] == "gs-kjt@agencies.invalid"


REMINDER = dict(
    reason="reminder",
    assessment=None,
    overdue_period="2025",
    due_date="2026-12-30",
    reporting_jurisdiction="甘肃省",
    publisher="甘肃省统计局",
)


def test_a_reminder_is_mailed_once_to_the_publisher_and_opens_no_alert(
    build: Build, smtp_server: SmtpServer
) -> None:
    """A figure soon due: the publisher is told which figure, by when and how to report it,
    once; nothing is opened, repeated or escalated, and the figure's arrival resolves nothing."""
    # an escalation rule that would take any open alert of severity warning within the hour,
    # and any alert nobody answered within a day
    rule = {"after": "1h", "severities": ["warning"], "unanswered_after": "1d"}
    engine = build(escalation={**rule, "receiver": "supervisor"})
    clock = engine.test_clock  # type: ignore[attr-defined]
    reminder = status_change(Status.ON_TRACK, from_status=Status.ON_TRACK, **REMINDER)
    assert engine.handle(reminder) is True
    assert engine.handle(reminder) is False  # the same event id: handled once
    # another id for the same period (an event made twice): recorded once, told once
    assert engine.handle(reminder.model_copy(update={"event_id": "another-id"})) is True
    clock.advance(seconds=31)
    engine.tick()
    [mail] = smtp_server.wait_for(1)
    assert mail.message["To"] == "tjj@gansu.invalid"  # 甘肃省统计局, the publisher
    assert mail.message["Cc"] == "gs-kjt@agencies.invalid"  # 省科技厅, the lead, copied
    assert "即将到期" in mail.message["Subject"] and "请按期报送" in mail.message["Subject"]
    body = mail.body
    assert "[报送提醒] 全社会研究与试验发展(R&D)经费投入（甘肃省） — 数据即将到期" in body
    assert "2025 期数据应于 2026-12-30 前报送" in body
    assert "数据报送门户" in body and "“待报送”" in body and "POST /v1/submissions" in body
    assert "回复链接" not in body and "进度滞后" not in body  # nothing to answer
    [row] = rows(engine, alerts)
    assert (row.type, row.state, row.agencies) == ("reminder", "notice", ["甘肃省统计局"])
    assert row.copied == ["省科技厅"]
    assert row.last_notified_at is not None and row.next_repeat_at is None
    assert row.escalate_at is None
    [sent] = rows(engine, notifications)
    assert (sent.kind, sent.state, sent.alert_ids) == ("reminder", "sent", [row.id])
    for _ in range(3):  # no repeat, no escalation, no catch-up
        clock.advance(days=1)
        engine.tick()
    assert len(smtp_server.messages) == 1 and len(rows(engine, notifications)) == 1
    # the figure arrives: the reminder is not an alert to resolve, nothing more is sent
    engine.handle(status_change(Status.ON_TRACK, latest_period="2025"))
    clock.advance(seconds=31)
    engine.tick()
    assert [(r.type, r.state) for r in rows(engine, alerts)] == [("reminder", "notice")]
    assert len(smtp_server.messages) == 1


def test_a_reminder_and_a_chase_to_one_bureau_are_one_digest(
    build: Build, smtp_server: SmtpServer
) -> None:
    engine = build()
    clock = engine.test_clock  # type: ignore[attr-defined]
    chase = dict(overdue_period="2024", due_date="2025-12-30", reporting_jurisdiction="甘肃省")
    engine.handle(
        status_change(Status.OVERDUE, reason="overdue", publisher="甘肃省统计局", **chase)
    )
    engine.handle(status_change(Status.OVERDUE, from_status=Status.OVERDUE, **REMINDER))
    clock.advance(seconds=31)
    engine.tick()
    [mail] = smtp_server.wait_for(1)
    assert mail.message["To"] == "tjj@gansu.invalid"
    body = mail.body
    # the chase first, as an alert with its answer link; the reminder after it, without one
    assert "另有 1 项数据即将到期" in body
    assert body.index("[预警]") < body.index("[报送提醒]")
    assert "2024 期数据应于 2025-12-30 前报送，至今未收到" in body
    assert "2025 期数据应于 2026-12-30 前报送" in body
    assert body.count("  回复链接：") == 1  # the link under the chase alone
    assert sorted((r.type, r.state) for r in rows(engine, alerts)) == [
        ("overdue", "open"),
        ("reminder", "notice"),
    ]


def test_a_missed_year_stays_alerted_when_the_headline_moves_on(
    build: Build, smtp_server: SmtpServer
) -> None:
    """The evaluator's own changes for R&D (180亿元 by 2025, 280亿元 by 2030): behind on 2025,
    then 2025's 170 misses it for good while the headline moves on to 2030. The 2025 alert
    becomes 未达标 (final) and stays open; it is not "恢复" because 2030 is judged now. A revised
    2025 figure that meets the target resolves it."""
    from planwatch_evaluator.core import evaluate, new_state

    catalog = default_catalog()
    rd = catalog.get("gsbase-rd-expenditure")
    engine = build()
    clock = engine.test_clock  # type: ignore[attr-defined]
    state = new_state()

    def figure(period: str, value: float, vintage: int = 1) -> list[Any]:
        nonlocal state
        event = SubmissionEvent(
            catalog_version=catalog.version, submission_id=f"{period}-{vintage}",
            indicator_id=rd.id, jurisdiction=rd.jurisdiction, period=period, value=value,
            unit=rd.unit, vintage=vintage, submitted_by="甘肃省统计局",
            received_at=clock.now,
        )  # fmt: skip
        outcome = evaluate(rd, state, event, catalog.version)
        state = outcome.state
        changes = [c for c in (*outcome.finals, outcome.change) if c is not None]
        for change in changes:  # the catalog names no agency for goals: one is given here
            engine.handle(change.model_copy(update={"lead_agencies": ("省科技厅",)}))
        return changes

    figure("2023", 140)
    [behind] = figure("2024", 145)
    assert behind.to_status in (Status.LIMITED_PROGRESS, Status.NEEDS_ACCELERATION)
    clock.advance(seconds=31)
    engine.tick()
    smtp_server.wait_for(1)

    final, headline = figure("2025", 170)
    assert (final.reason, final.target_year, final.to_status) == (
        "final",
        2025,
        Status.NOT_ACHIEVED,
    )
    assert headline.assessment is not None and headline.assessment["target_year"] == 2030
    clock.advance(minutes=6)
    engine.tick()
    mails = smtp_server.wait_for(2)
    body = mails[1].body
    assert "未达标" in body and "2025年实际：170亿元；差距 -10亿元" in body
    assert "此为最终结论" in body and "当前进展：" in body
    assert "[已恢复]" not in body
    missed = [a for a in rows(engine, alerts) if a.alert_key.endswith("|offtrack|2025")]
    assert [(a.status, a.state, a.severity) for a in missed] == [("not_achieved", "open", "major")]

    mended = figure("2025", 185, vintage=2)[0]
    assert mended.to_status is Status.ACHIEVED and mended.from_status is Status.NOT_ACHIEVED
    clock.advance(minutes=6)
    engine.tick()
    [again] = [a for a in rows(engine, alerts) if a.alert_key.endswith("|offtrack|2025")]
    assert again.state == "resolved"


def test_an_alert_opened_before_keys_carried_the_year_is_the_years_alert(build: Build) -> None:
    """A release before this one keyed an indicator's off-track alert without the target year:
    a change for the year of its snapshot updates that alert, it does not open a second."""
    engine = build()
    engine.handle(status_change(Status.LIMITED_PROGRESS))
    with engine.db.begin() as c:  # as the older release wrote it
        c.execute(alerts.update().values(alert_key="gsbase-rd-expenditure|甘肃省|offtrack"))
    engine.handle(status_change(Status.NOT_ACHIEVED, tier=None))
    [alert] = rows(engine, alerts)
    assert (alert.alert_key, alert.status) == (
        "gsbase-rd-expenditure|甘肃省|offtrack",
        "not_achieved",
    )


def test_a_status_change_reads_the_alerts_through_narrow_indexes(build: Build) -> None:
    """Each query a status change runs on the alerts table, as SQLite plans it, searches an
    index by the alert's key or by its (indicator, jurisdiction): never a scan of every alert,
    nor every alert of a province (the jurisdiction's index alone), which grew with the table."""
    engine = build()
    catalog = default_catalog()
    entries = [e for e in catalog if e.jurisdiction == "甘肃省"][:6]
    for entry in entries:  # other alerts of the same province
        engine.handle(status_change(Status.LIMITED_PROGRESS, indicator=entry.id))
    statements: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and " alerts" in statement:
            statements.append((statement, parameters))

    sa_event.listen(engine.db, "before_cursor_execute", record)
    try:
        engine.handle(status_change(Status.DETERIORATION, indicator=entries[0].id))
        engine.handle(status_change(Status.ON_TRACK, indicator=entries[0].id))
    finally:
        sa_event.remove(engine.db, "before_cursor_execute", record)
    assert len(statements) >= 6
    with engine.db.connect() as c:
        for statement, parameters in statements:
            plan = " | ".join(
                row[-1] for row in c.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            )
            searches = [part for part in plan.split(" | ") if "alerts" in part.split(" USING")[0]]
            assert searches, plan
            for step in searches:
                assert step.startswith("SEARCH"), (statement, plan)
                assert "ix_alerts_jurisdiction " not in step, (statement, plan)


# the addresses the test routing and the registry give these bodies
ADDRESS = {
    "甘肃省统计局": "tjj@gansu.invalid",
    "省科技厅": "gs-kjt@agencies.invalid",
    "省委科技委员会": "gs-kwh@agencies.invalid",
}


@pytest.mark.parametrize(
    ("day", "action", "alert_type"),
    [
        (date(2026, 12, 16), Action.REMIND, "reminder"),
        (date(2026, 12, 31), Action.CHASE, "overdue"),
        (date(2027, 3, 1), Action.ESCALATE, "overdue"),
    ],
)
def test_reminders_chases_and_escalations_go_where_the_calendar_says(
    build: Build, smtp_server: SmtpServer, day: date, action: Action, alert_type: str
) -> None:
    """科技进步贡献率 of 2025, never reported: what ``planwatch calendar`` prints for the day (sent
    to, copied) is whom the alerts service records and mails for the evaluator's own change of
    that day — the bureau with the lead 省科技厅 copied, and on escalation the plan's supervisor
    with both copied."""
    from planwatch_evaluator.core import new_state, overdue_change, reminder_change

    catalog = default_catalog()
    entry = catalog.get("gsbase-tech-progress-contribution")
    assert entry is not None
    [duty] = duties([entry], {}, day)
    assert duty.action is action and duty.copied  # somebody is copied on each of the three
    state, chase, _point = overdue_change(entry, new_state(), day, catalog.version)
    _state, reminder = reminder_change(entry, state, day, catalog.version)
    engine = build()
    for change in (chase, reminder):
        if change is not None:
            engine.handle(change)
    key = "|overdue-escalated" if action is Action.ESCALATE else f"|{alert_type}"
    [alert] = [a for a in rows(engine, alerts) if a.alert_key.removesuffix("|2025").endswith(key)]
    assert (alert.type, tuple(alert.agencies), tuple(alert.copied)) == (
        alert_type,
        duty.to,
        duty.copied,
    )
    engine.test_clock.advance(seconds=31)  # type: ignore[attr-defined]
    engine.tick()
    mails = smtp_server.wait_for(2 if action is Action.ESCALATE else 1)
    [mail] = [m for m in mails if m.message["To"] == ADDRESS[duty.to[0]]]
    assert set(mail.message["Cc"].split(", ")) == {ADDRESS[name] for name in duty.copied}
    assert f"抄送：{'、'.join(sorted(duty.copied))}" in mail.body
