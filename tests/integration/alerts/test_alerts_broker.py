"""The alerts service as a real process on the real broker, with a real SMTP server.

StatusChange events are produced to Apache Kafka; ``python -m planwatch_alerts`` consumes them
(consumer group, 6 s session timeout), stores the alerts and mails the digests to aiosmtpd.
The process is killed with SIGKILL while notifications are pending and while one is in flight.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from planwatch.domain.events import Status, StatusChange, partition_key
from support.alert_events import status_change, write_routes
from support.kafka import create_topics
from support.kafka_io import produce
from support.net import free_port
from support.services import ServiceProcess
from support.smtp import SmtpServer
from support.waiting import wait_until

pytestmark = pytest.mark.integration
KEY = "alerts-integration-key"
# five indicators led by five agencies: five digests
LEADS = {
    "gsbase-a": "省科技厅",
    "gsbase-b": "省工信厅",
    "gsbase-c": "省财政厅",
    "gsbase-d": "省教育厅",
    "gsbase-e": "省发展改革委",
}


def lagging(indicator: str, to: Status = Status.LIMITED_PROGRESS) -> StatusChange:
    return status_change(
        to,
        indicator=indicator,
        lead_agencies=(LEADS[indicator],),
        responsible_agencies=(LEADS[indicator],),
    )


class Alerts:
    """One alerts process on its own topic, group, database and SMTP server."""

    def __init__(self, bootstrap: str, smtp: SmtpServer, tmp_path: Path) -> None:
        self.bootstrap, self.smtp = bootstrap, smtp
        self.topic = f"status-changes-{uuid.uuid4().hex[:8]}"
        create_topics(bootstrap, [self.topic], partitions=2)
        self.port = free_port()
        routes = write_routes(
            tmp_path / "routes.yml",
            route={"receiver": "lead-agency", "group_wait": "0s", "group_interval": "1s"},
        )
        self.process = ServiceProcess(
            "alerts",
            {
                "PLANWATCH_KAFKA_BOOTSTRAP": bootstrap,
                "PLANWATCH_DATA_DIR": str(tmp_path),
                "PLANWATCH_DEMO_KEY": KEY,
                "PLANWATCH_BOARD_URL": "http://board.test",
                "PLANWATCH_ALERTS_HOST": "127.0.0.1",
                "PLANWATCH_ALERTS_PORT": str(self.port),
                "PLANWATCH_ALERTS_SMTP_HOST": "127.0.0.1",
                "PLANWATCH_ALERTS_SMTP_PORT": str(smtp.port),
                "PLANWATCH_ALERTS_ROUTES_FILE": str(routes),
                "PLANWATCH_ALERTS_TOPIC": self.topic,
                "PLANWATCH_ALERTS_GROUP_ID": f"alerts-{uuid.uuid4().hex[:8]}",
                "PLANWATCH_ALERTS_SESSION_TIMEOUT_S": "6",
                "PLANWATCH_ALERTS_RETRY_BASE_S": "0.2",
                "PLANWATCH_ALERTS_RETRY_MAX_S": "0.5",
                "PLANWATCH_ALERTS_MAX_ATTEMPTS": "1000",
            },
            health_url=f"http://127.0.0.1:{self.port}/healthz",
        )

    def send(self, *changes: StatusChange) -> None:
        produce(
            self.bootstrap,
            self.topic,
            [(partition_key(c.indicator_id, c.jurisdiction), c.to_bytes()) for c in changes],
        )

    def alerts(self) -> list[dict[str, Any]]:
        response = httpx.get(
            f"http://127.0.0.1:{self.port}/v1/alerts",
            headers={"Authorization": f"Bearer {KEY}"},
            timeout=5,
        )
        response.raise_for_status()
        return list(response.json())

    def notifications(self) -> list[dict[str, Any]]:
        return [n for a in self.alerts() for n in a["notifications"]]


@pytest.fixture
def service(kafka_bootstrap: str, smtp_server: SmtpServer, tmp_path: Path) -> Iterator[Alerts]:
    alerts = Alerts(kafka_bootstrap, smtp_server, tmp_path)
    alerts.process.start()
    try:
        yield alerts
    finally:
        alerts.process.stop()


def test_status_changes_from_the_broker_become_mail_once_and_resolve(
    service: Alerts, smtp_server: SmtpServer
) -> None:
    event = lagging("gsbase-a")
    service.send(event)
    [mail] = smtp_server.wait_for(1, timeout=60)  # includes the consumer group join
    assert mail.message["To"] == "gs-kjt@agencies.invalid" and "[预警]" in mail.body
    assert "http://board.test/indicators/gsbase-a" in mail.body
    service.send(event)  # redelivered: the same event id
    [alert] = wait_until(service.alerts, what="the alert in the API")
    assert (alert["state"], alert["status"], alert["agencies"]) == (
        "open",
        "limited_progress",
        ["省科技厅"],
    )
    service.send(lagging("gsbase-a", Status.ON_TRACK))
    resolved = smtp_server.wait_for(2, timeout=30)[1]
    assert "[已恢复]" in resolved.body
    time.sleep(1.5)  # anything extra would have arrived by now
    assert len(smtp_server.messages) == 2
    assert wait_until(lambda: service.alerts()[0]["state"] == "resolved", what="resolved")


def test_a_reminder_from_the_broker_is_mailed_once_and_lists_as_no_alert(
    service: Alerts, smtp_server: SmtpServer
) -> None:
    """The evaluator's reminder before a due date, as it travels (the status changes topic):
    one mail to the publisher, sent once though delivered twice; no alert in the listing."""
    reminder = status_change(
        Status.ON_TRACK,
        reason="reminder",
        from_status=Status.ON_TRACK,
        assessment=None,
        overdue_period="2025",
        due_date="2026-12-30",
        reporting_jurisdiction="甘肃省",
        publisher="甘肃省统计局",
    )
    service.send(reminder, reminder)
    [mail] = smtp_server.wait_for(1, timeout=60)  # includes the consumer group join
    assert mail.message["To"] == "tjj@gansu.invalid"
    assert "[报送提醒]" in mail.body and "2025 期数据应于 2026-12-30 前报送" in mail.body
    time.sleep(1.5)  # a second mail would have arrived by now
    assert len(smtp_server.messages) == 1
    assert service.alerts() == []
    response = httpx.get(
        f"http://127.0.0.1:{service.port}/v1/alerts?type=reminder",
        headers={"Authorization": f"Bearer {KEY}"},
        timeout=5,
    )
    [notice] = response.json()
    assert notice["state"] == "notice" and [n["kind"] for n in notice["notifications"]] == [
        "reminder"
    ]


def test_a_sigkill_with_pending_notifications_loses_nothing_and_doubles_nothing(
    service: Alerts, smtp_server: SmtpServer
) -> None:
    smtp_server.refuse_with = "451 4.3.0 try again later"
    service.send(*(lagging(i) for i in LEADS))
    wait_until(
        lambda: len([n for n in service.notifications() if n["attempts"] >= 1]) == len(LEADS),
        what="every digest tried once",
    )
    service.process.kill()
    smtp_server.refuse_with = None
    service.process.start()
    mails = smtp_server.wait_for(len(LEADS), timeout=30)
    time.sleep(2)
    assert len(smtp_server.messages) == len(LEADS) and smtp_server.duplicates() == []
    assert sorted(m.message["To"] for m in mails) == sorted(
        f"{a}@agencies.invalid" for a in ("gs-kjt", "gs-gxt", "gs-czt", "gs-jyt", "gs-fgw")
    )
    assert {n["state"] for n in service.notifications()} == {"sent"}


def test_a_sigkill_during_a_delivery_resends_it_once(
    service: Alerts, smtp_server: SmtpServer
) -> None:
    smtp_server.delay_s = 3.0  # the server holds its reply: the delivery is in flight
    service.send(*(lagging(i) for i in LEADS))
    wait_until(lambda: smtp_server.attempts >= 1, what="a delivery in flight")
    service.process.kill()  # before the server's reply
    smtp_server.delay_s = 0.0
    service.process.start()
    wait_until(lambda: len(smtp_server.unique()) == len(LEADS), timeout=30, what="every digest")
    time.sleep(2)
    notifications = service.notifications()
    assert len(notifications) == len(LEADS) and {n["state"] for n in notifications} == {"sent"}
    # the interrupted delivery was taken back at the restart and sent again (its second try);
    # the server had dropped it with the connection, so it arrived once, like the others
    assert sorted(n["attempts"] for n in notifications) == [1] * (len(LEADS) - 1) + [2]
    assert len(smtp_server.messages) == len(LEADS) and smtp_server.duplicates() == []
