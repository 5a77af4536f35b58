"""Answering an alert from its e-mail: the signed link, the page, the stored answer, refusals.

The alert's notification goes through a real SMTP server; the link is read from the e-mail as
the agency would click it. The clock is the test's, so expiry and escalation are exact.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from planwatch.domain.events import Status
from planwatch.security import KeyStore, Role
from planwatch.settings import CommonSettings
from planwatch_alerts.app import create_app
from planwatch_alerts.links import LinkSigner
from planwatch_alerts.settings import Settings
from support.alert_events import ROUTES, Clock, status_change, write_routes
from support.smtp import SmtpServer

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

LINK = re.compile(r"回复链接：(http://alerts\.test(/answer/(\d+)\?t=[\w.\-]+))")


@dataclass
class World:
    client: Any
    app: FastAPI
    clock: Clock
    smtp: SmtpServer
    key: str

    def alerts(self) -> list[dict[str, Any]]:
        got = self.client.get("/v1/alerts", headers={"Authorization": f"Bearer {self.key}"})
        assert got.status_code == 200
        return list(got.json())

    def tick(self, **advance: float) -> None:
        self.clock.advance(**advance)
        self.app.state.engine.tick()


@pytest.fixture
def world(tmp_path: Path, smtp_server: SmtpServer) -> Iterator[World]:
    keys_url = f"sqlite:///{tmp_path / 'keys.db'}"
    store = KeyStore(keys_url)
    key, _ = store.create("甘肃省督查室", ["甘肃省"], [Role.READ])
    store.close()
    escalation = {**ROUTES["escalation"], "severities": [], "unanswered_after": "5d"}
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'alerts.db'}",
        routes_file=write_routes(tmp_path / "routes.yml", escalation=escalation),
        consume=False,
        smtp_port=smtp_server.port,
        public_url="http://alerts.test",
        link_secret="test-secret-of-the-links",
        link_ttl_days=14,
        common=CommonSettings(data_dir=tmp_path, keys_db_url=keys_url, board_url="http://b.test"),
    )
    clock = Clock()
    app = create_app(settings, clock=clock, run_dispatcher=False)
    with TestClient(app) as client:
        w = World(client, app, clock, smtp_server, key)
        app.state.engine.handle(status_change(Status.LIMITED_PROGRESS))
        app.state.engine.handle(
            status_change(Status.NEEDS_ACCELERATION, indicator="gsbase-hitech-firms")
        )
        w.tick(seconds=31)
        yield w


def links(world: World, mail: int = 0) -> dict[int, str]:
    """alert id → path of its answer link, as the e-mail gives them."""
    body = world.smtp.wait_for(mail + 1)[mail].body
    return {int(m[3]): m[2] for m in LINK.finditer(body)}


def answer(world: World, path: str, **form: str) -> Any:
    alert_id = path.split("/")[2].split("?")[0]
    token = path.split("?t=")[1]
    return world.client.post(f"/answer/{alert_id}", data={"t": token, **form})


def test_the_mail_carries_one_link_per_alert_and_a_deadline(world: World) -> None:
    mail = world.smtp.wait_for(1)[0]
    found = links(world)
    assert len(found) == 2
    assert "请于 2026-04-08 前通过每项下方的回复链接作答" in mail.body
    html = mail.message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert all(path.replace("&", "&amp;") in html for path in found.values())


def test_an_agency_answers_and_the_answer_is_kept_with_the_alert(world: World) -> None:
    alert_id, path = sorted(links(world).items())[0]
    page = world.client.get(path)
    assert page.status_code == 200
    assert "回复预警" in page.text and "省科技厅" in page.text
    assert "甘肃省打造全国区域性科技创新及转化基地行动方案" in page.text
    done = answer(
        world,
        path,
        kind="acknowledge",
        text="追加省级研发投入后补助资金",
        expected_recovery="2026-12-31",
    )
    assert done.status_code == 200 and "回复已收到" in done.text
    [alert] = [a for a in world.alerts() if a["id"] == alert_id]
    assert alert["state"] == "acknowledged"
    assert alert["responses"] == [
        {
            "at": "2026-04-01T09:00:31Z",
            "agency": "省科技厅",
            "kind": "acknowledge",
            "text": "追加省级研发投入后补助资金",
            "expected_recovery": "2026-12-31",
        }
    ]
    # an acknowledged alert is not repeated; the other one is
    world.tick(hours=25)
    world.tick(seconds=31)
    repeat = world.smtp.wait_for(2)[1].body
    assert "追加省级研发投入后补助资金" not in repeat and len(LINK.findall(repeat)) == 1


def test_a_dispute_needs_a_reason_and_keeps_the_alert_open(world: World) -> None:
    alert_id, path = sorted(links(world).items())[1]
    missing = answer(world, path, kind="dispute", text="  ")
    assert missing.status_code == 422 and "请填写异议理由" in missing.text
    bad_date = answer(world, path, kind="acknowledge", text="措施", expected_recovery="明年")
    assert bad_date.status_code == 422 and "预计恢复日期格式应为" in bad_date.text
    ok = answer(world, path, kind="dispute", text="统计口径不同：2025年数据含外资企业")
    assert ok.status_code == 200
    [alert] = [a for a in world.alerts() if a["id"] == alert_id]
    assert alert["state"] == "open"
    assert [(r["kind"], r["expected_recovery"]) for r in alert["responses"]] == [("dispute", None)]
    # the next digest about this alert shows the answer, with a fresh link
    world.tick(hours=25)
    world.tick(seconds=31)
    repeat = world.smtp.wait_for(2)[1].body
    assert (
        "已回复：2026-04-01 省科技厅（对数据有异议）：统计口径不同：2025年数据含外资企业" in repeat
    )
    fresh = links(world, 1)[alert_id]
    assert fresh != path
    page = world.client.get(fresh)  # the new link's page shows the earlier answer
    assert page.status_code == 200 and "已有回复" in page.text
    assert "省科技厅（对数据有异议）：统计口径不同" in page.text


def test_a_used_link_is_refused(world: World) -> None:
    _, path = sorted(links(world).items())[0]
    assert answer(world, path, kind="dispute", text="口径不同").status_code == 200
    again = answer(world, path, kind="acknowledge", text="另一次", expected_recovery="2026-12-31")
    assert again.status_code == 409 and "链接已使用" in again.text
    assert world.client.get(path).status_code == 409
    assert len(world.alerts()[0]["responses"]) + len(world.alerts()[1]["responses"]) == 1


def test_a_forged_link_is_refused(world: World) -> None:
    alert_id, path = sorted(links(world).items())[0]
    token = path.split("?t=")[1]
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    got = world.client.get(f"/answer/{alert_id}?t={tampered}")
    assert got.status_code == 403 and "链接无效" in got.text
    other_key = LinkSigner("another-key", world.app.state.signer.ttl)
    made = other_key.token(alert_id, "省科技厅", world.clock())
    refused = world.client.post(f"/answer/{alert_id}", data={"t": made, "kind": "dispute"})
    assert refused.status_code == 403 and "签名无法验证" in refused.text
    assert all(a["responses"] == [] for a in world.alerts())
    for bare in (f"/answer/{alert_id}", f"/answer/{alert_id}?t="):
        missing = world.client.get(bare)
        assert missing.status_code == 403 and "链接无效" in missing.text


def test_a_link_for_another_alert_is_refused(world: World) -> None:
    (_, path), (second, _) = sorted(links(world).items())
    token = path.split("?t=")[1]
    got = world.client.get(f"/answer/{second}?t={token}")
    assert got.status_code == 403 and "此链接属于另一条预警" in got.text
    sent = world.client.post(f"/answer/{second}", data={"t": token, "kind": "dispute", "text": "x"})
    assert sent.status_code == 403
    assert all(a["responses"] == [] for a in world.alerts())


def test_an_expired_link_is_refused(world: World) -> None:
    _, path = sorted(links(world).items())[0]
    world.clock.advance(days=14)
    got = world.client.get(path)
    assert got.status_code == 410 and "链接已过期" in got.text
    assert answer(world, path, kind="dispute", text="迟到的回复").status_code == 410


def test_an_unanswered_alert_escalates_and_an_answered_one_does_not(world: World) -> None:
    (answered, path), (silent, _) = sorted(links(world).items())
    assert answer(world, path, kind="dispute", text="口径不同").status_code == 200
    world.tick(days=4)
    assert all(a["escalated_at"] is None for a in world.alerts())
    world.tick(days=1, seconds=1)
    escalated = {a["id"]: a["escalated_at"] for a in world.alerts()}
    assert escalated[answered] is None and escalated[silent] is not None
    mails = world.smtp.wait_for(3)
    to_supervisor = [m for m in mails if m.message["To"] == "duchaban@agencies.invalid"]
    assert len(to_supervisor) == 1 and "升级提醒" in to_supervisor[0].body
    assert "预警发出于 2026-04-01，已 5 天未回复" in to_supervisor[0].body
    assert "回复链接" not in to_supervisor[0].body  # the supervising body reads, not answers


# the evaluator's chase of 技术合同成交额 of 2025, due 2026-03-31, from 甘肃省统计局
CHASE = dict(
    indicator="gsbase-tech-contract-turnover",
    reason="overdue",
    overdue_period="2025",
    due_date="2026-03-31",
    reporting_jurisdiction="甘肃省",
    publisher="甘肃省统计局",
)


def test_a_bureau_answers_a_chase_with_the_reason_and_when_it_will_report(world: World) -> None:
    """A chase for overdue data is answered in its own words: the reason the figure is late and
    the date it will be reported (kept in the same fields as a target's measures and recovery)."""
    world.app.state.engine.handle(status_change(Status.OVERDUE, **CHASE))
    world.tick(seconds=31)
    mail = world.smtp.wait_for(2)[1]
    assert mail.message["To"] == "tjj@gansu.invalid"
    assert "数据逾期未报" in mail.subject and "说明未报原因和预计报送日期" in mail.body
    [(alert_id, path)] = links(world, mail=1).items()
    page = world.client.get(path)
    assert page.status_code == 200
    assert "回复催报" in page.text and "未报原因 / 异议理由" in page.text
    assert "预计报送日期（确认逾期时必填）" in page.text and "整改措施" not in page.text
    no_date = answer(world, path, kind="acknowledge", text="年报审核未完成")
    assert no_date.status_code == 422 and "确认逾期时请填写预计报送日期" in no_date.text
    done = answer(
        world, path, kind="acknowledge", text="年报审核未完成", expected_recovery="2026-04-20"
    )
    assert done.status_code == 200 and "甘肃省统计局对本条催报的回复（确认逾期）已记录" in done.text
    [alert] = [a for a in world.alerts() if a["id"] == alert_id]
    assert alert["responses"][0]["expected_recovery"] == "2026-04-20"


def test_the_escalation_of_a_long_overdue_figure_quotes_the_bureaus_answer(world: World) -> None:
    """The bureau answered the chase; the figure, still missing, becomes long overdue and the
    plan's supervising body is told: its mail quotes what the bureau said (why, and when it will
    report) instead of leaving it to ask, and does not call the figure unanswered."""
    engine = world.app.state.engine
    engine.handle(status_change(Status.OVERDUE, **CHASE))
    world.tick(seconds=31)
    [(_chase, path)] = links(world, mail=1).items()
    assert (
        answer(
            world, path, kind="acknowledge", text="年报审核未完成", expected_recovery="2026-04-20"
        ).status_code
        == 200
    )
    engine.handle(status_change(Status.OVERDUE, escalated_to=("省委科技委员会",), **CHASE))
    world.tick(seconds=31)
    mails = world.smtp.wait_for(3)
    [escalation] = [m for m in mails if m.message["To"] == "gs-kwh@agencies.invalid"]
    assert "请督促报送单位尽快报送" in escalation.body
    assert (
        "已回复：2026-04-01 甘肃省统计局（确认逾期）：年报审核未完成；预计报送：2026-04-20"
        in escalation.body
    )
    assert "未回复" not in escalation.body
    listed = {a["agencies"][0]: a["supervising"] for a in world.alerts() if a["type"] == "overdue"}
    assert listed == {"甘肃省统计局": False, "省委科技委员会": True}
    html = escalation.message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "年报审核未完成" in html
    [path] = [m[2] for m in LINK.finditer(escalation.body)]  # the supervisor's own link
    page = world.client.get(path)
    assert page.status_code == 200
    assert "甘肃省统计局（确认逾期）：年报审核未完成；预计报送：2026-04-20" in page.text
    # the supervising body is asked what it does to see the figure reported, not why it is late
    assert "回复督办" in page.text and "说明督办情况和预计报送日期" in page.text
    assert "督办情况 / 异议理由" in page.text and "未报原因" not in page.text
    done = answer(world, path, kind="acknowledge", text="已约谈", expected_recovery="2026-04-25")
    assert (
        done.status_code == 200 and "省委科技委员会对本条督办的回复（确认逾期）已记录" in done.text
    )
