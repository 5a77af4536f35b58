"""An agency answers an alert as a person would: the link from the e-mail opened in headless
Chromium, the form filled in and sent, the answer then read on the indicator's board page; a
replayed, a forged and an expired link each refused with a page that says why.

The alerts service is served by uvicorn on loopback (its clock the test's), the board runs as
its own process reading the alerts API, the e-mail goes through a real SMTP server.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from planwatch.catalog import default_catalog
from planwatch.domain.events import Status, SubmissionEvent
from planwatch.settings import CommonSettings
from planwatch.tsstore import EmbeddedSeriesStore
from planwatch_alerts.app import create_app
from planwatch_alerts.settings import Settings
from planwatch_evaluator.core import evaluate, new_state
from support.alert_events import Clock, status_change, write_routes
from support.browser import chromium, go
from support.net import free_port
from support.services import ServiceProcess
from support.smtp import SmtpServer

pytestmark = pytest.mark.integration
CATALOG = default_catalog()
ENTRY = CATALOG.get("baiyin-tech-contract-turnover")  # a row of the plan's targets table
KEY = "answer-browser-key"
SHOTS = os.environ.get("PLANWATCH_SCREENSHOTS")  # set to a folder to keep the PNGs (docs/img)
LINK = re.compile(r"回复链接：(\S+)")


@dataclass
class Stack:
    alerts_url: str
    board_url: str
    clock: Clock
    app: Any
    smtp: SmtpServer

    def tick(self, **advance: float) -> None:
        self.clock.advance(**advance)
        self.app.state.engine.tick()


def load(data: Path) -> None:
    """The evaluator's points for two figures of the indicator (the board draws them)."""
    store = EmbeddedSeriesStore(data / "timeseries.db")
    state: dict = new_state()
    for period, value in (("2022", 7.5), ("2023", 7.6)):
        event = SubmissionEvent(
            catalog_version=CATALOG.version,
            submission_id=f"{ENTRY.id}-{period}",
            indicator_id=ENTRY.id,
            jurisdiction=ENTRY.jurisdiction,
            period=period,
            value=value,
            unit=ENTRY.unit,
            submitted_by="t",
            received_at=datetime(2026, 4, 1, tzinfo=UTC),
        )
        out = evaluate(ENTRY, state, event, CATALOG.version)
        state = out.state
        store.write(out.points)
    store.close()


@pytest.fixture
def stack(tmp_path: Path, smtp_server: SmtpServer) -> Iterator[Stack]:
    load(tmp_path)
    alerts_port, board_port = free_port(), free_port()
    alerts_url, board_url = f"http://127.0.0.1:{alerts_port}", f"http://127.0.0.1:{board_port}"
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'alerts.db'}",
        routes_file=write_routes(tmp_path / "routes.yml"),
        smtp_port=smtp_server.port,
        consume=False,
        public_url=alerts_url,
        link_secret="browser-test-link-key",
        common=CommonSettings(data_dir=tmp_path, demo_key=KEY, board_url=board_url),
    )
    clock = Clock(datetime.now(UTC).replace(microsecond=0))
    app = create_app(settings, clock=clock, run_dispatcher=False)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=alerts_port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    board = ServiceProcess(
        "board",
        {
            "PLANWATCH_DATA_DIR": str(tmp_path),
            "PLANWATCH_BOARD_PORT": str(board_port),
            "PLANWATCH_BOARD_ALERTS_URL": alerts_url,
            "PLANWATCH_DEMO_KEY": KEY,
        },
        health_url=f"{board_url}/healthz",
    ).start()
    try:
        yield Stack(alerts_url, board_url, clock, app, smtp_server)
    finally:
        board.stop()
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium(1000, 1400) as web:
        yield web


def shot(browser: Any, name: str) -> None:
    if SHOTS:
        browser.save_screenshot(str(Path(SHOTS) / f"{name}.png"))


def alert_mail(stack: Stack) -> tuple[str, Any]:
    """The answer link of the alert's first e-mail, and the e-mail."""
    stack.app.state.engine.handle(
        status_change(
            Status.LIMITED_PROGRESS,
            indicator=ENTRY.id,
            jurisdiction=ENTRY.jurisdiction,
            plan_code=ENTRY.plan_code,
            target=ENTRY.snapshot(),
            latest_period="2023",
            lead_agencies=ENTRY.lead_agencies,
            responsible_agencies=ENTRY.responsible_agencies,
            assessment={
                "status": "limited_progress",
                "tier": "binding",
                "target_year": 2025,
                "target_value": 10.0,
                "latest_period": "2023",
                "latest_value": 7.6,
                "planned": 8.68,
                "gap": -1.08,
                "gap_pct": -12.4,
                "projected": 7.8,
            },
        )
    )
    stack.tick(seconds=31)
    [mail] = stack.smtp.wait_for(1)
    [link] = LINK.findall(mail.body)
    assert link.startswith(stack.alerts_url + "/answer/")
    return link, mail


def test_an_agency_answers_from_the_mail_and_the_board_shows_it(stack: Stack, browser) -> None:
    from selenium.webdriver.common.by import By

    link, mail = alert_mail(stack)
    if SHOTS:  # the HTML part of the digest, as a mail client shows it
        page = Path(SHOTS) / "digest.html"
        page.write_text(mail.message.get_body(("html",)).get_content(), encoding="utf-8")
        browser.get(page.as_uri())
        shot(browser, "alerts-digest")
        page.unlink()
    browser.get(link)
    assert "回复预警：技术合同成交额（白银市）" in browser.title + browser.page_source
    assert browser.find_element(By.ID, "agency").text == "市科技局"
    assert "2025年约束值" in browser.page_source  # the table row with its headers
    browser.find_element(By.ID, "kind-acknowledge").click()
    browser.find_element(By.ID, "text").send_keys(
        "实施科技型企业研发投入倍增计划，季度调度重点企业"
    )
    # a date input takes the digits of the locale's order: set the ISO value directly
    browser.execute_script("document.getElementById('expected_recovery').value = '2026-12-31'")
    shot(browser, "alerts-answer-form")
    go(browser, browser.find_element(By.ID, "submit"))
    message = browser.find_element(By.ID, "message").text
    assert "回复已收到" in message and "市科技局" in message
    shot(browser, "alerts-answer-received")

    go(browser, browser.find_element(By.ID, "board-link"))
    assert browser.current_url == f"{stack.board_url}/indicators/{ENTRY.id}"
    answers = browser.find_element(By.ID, "alerts").text
    assert "市科技局（确认并整改）：实施科技型企业研发投入倍增计划，季度调度重点企业" in answers
    assert "预计恢复 2026-12-31" in answers and "已确认" in answers
    browser.execute_script("document.getElementById('alerts').scrollIntoView()")
    shot(browser, "board-indicator-answer")

    # the same link again: refused, and nothing more is stored
    browser.get(link)
    refused = browser.find_element(By.ID, "message").text
    assert "链接已使用" in refused and "每个链接只能回复一次" in refused
    shot(browser, "alerts-link-used")


def test_forged_and_expired_links_are_refused_in_the_browser(stack: Stack, browser) -> None:
    from selenium.webdriver.common.by import By

    link, _ = alert_mail(stack)
    base, token = link.split("?t=")
    browser.get(f"{base}?t={token[:-3]}xyz")
    assert "链接无效" in browser.find_element(By.ID, "message").text
    shot(browser, "alerts-link-forged")
    other = base.rsplit("/", 1)[0] + f"/{int(base.rsplit('/', 1)[1]) + 1}"
    browser.get(f"{other}?t={token}")
    assert "此链接属于另一条预警" in browser.find_element(By.ID, "message").text
    stack.clock.advance(days=15)
    browser.get(link)
    assert "链接已过期" in browser.find_element(By.ID, "message").text
    shot(browser, "alerts-link-expired")
