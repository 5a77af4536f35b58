"""A bureau reports through the portal in a real headless Chromium, against a real ingest.

Signs in with the key, downloads the template, fills it with openpyxl, uploads it, fixes the
row the preview refused, submits, reads the receipt with the new status, revises a figure in
the form, and finds every vintage in the history. Each page is checked with axe-core 4 (WCAG 2.1
A/AA: labels, contrast, keyboard) and saved as a screenshot (``PLANWATCH_SCREENSHOTS=docs/img``).
Ingest runs without a broker: its ledger (outbox) holds the figures until one appears.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from planwatch.security import KeyStore, Role
from support.browser import chromium, go
from support.net import free_port
from support.services import ServiceProcess

pytestmark = pytest.mark.integration
SHOTS = os.environ.get("PLANWATCH_SCREENSHOTS")  # a folder to keep the PNGs (docs/img)


@dataclass
class Portal:
    url: str
    key: str
    downloads: Path


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    root = tmp_path_factory.mktemp("portal")
    keys_url = f"sqlite:///{root / 'keys.db'}"
    store = KeyStore(keys_url)
    key, _ = store.create("白银市统计局", ["白银市"], [Role.SUBMIT])
    store.close()
    ingest_port, portal_port = free_port(), free_port()
    ingest = ServiceProcess(
        "ingest",
        {
            "PLANWATCH_INGEST_PORT": str(ingest_port),
            "PLANWATCH_INGEST_LEDGER_PATH": str(root / "ledger.db"),
            "PLANWATCH_INGEST_PUBLISHER_ENABLED": "false",
            "PLANWATCH_KEYS_DB_URL": keys_url,
            "PLANWATCH_DATA_DIR": str(root),
        },
        health_url=f"http://127.0.0.1:{ingest_port}/healthz",
    ).start()
    web = ServiceProcess(
        "portal",
        {
            "PLANWATCH_PORTAL_PORT": str(portal_port),
            "PLANWATCH_PORTAL_INGEST_URL": f"http://127.0.0.1:{ingest_port}",
            "PLANWATCH_DATA_DIR": str(root),
        },
        health_url=f"http://127.0.0.1:{portal_port}/healthz",
    ).start()
    downloads = root / "downloads"
    downloads.mkdir()
    try:
        yield Portal(f"http://127.0.0.1:{portal_port}", key, downloads)
    finally:
        web.stop()
        ingest.stop()


@pytest.fixture(scope="module")
def browser(portal: Portal) -> Iterator[Any]:
    prefs = {
        "download.default_directory": str(portal.downloads),
        "download.prompt_for_download": False,
    }
    with chromium(1280, 1400, prefs) as web:
        yield web


def _axe_script() -> str | None:
    """axe-core (Deque) as installed by scripts/install-test-servers.sh (npm -g)."""
    npm = shutil.which("npm")
    if not npm:
        return None
    root = subprocess.run([npm, "root", "-g"], capture_output=True, text=True, check=False)
    path = Path(root.stdout.strip()) / "axe-core" / "axe.min.js"
    return path.read_text(encoding="utf-8") if path.is_file() else None


AXE = _axe_script()
# WCAG 2.x A and AA: labels and names, contrast, keyboard (focus order, no traps), structure
AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa']}})
   .then(r => done({violations: r.violations, passes: r.passes.length}))
   .catch(e => done({error: String(e)}));
"""


def check_page(browser: Any, name: str, tmp: Path) -> None:
    """axe-core on the page as it stands: no violation at all; then a screenshot."""
    if AXE is not None:  # without it the flow is still tested; see test_axe_core_is_installed
        _no_violations(browser, name)
    folder = Path(SHOTS) if SHOTS else tmp
    folder.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(folder / f"portal-{name}.png"))


def _no_violations(browser: Any, name: str) -> None:
    browser.execute_script(AXE)
    browser.set_script_timeout(60)
    results = browser.execute_async_script(AXE_RUN)
    assert "error" not in results, results
    violations = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in results["violations"]
    ]
    assert violations == [], f"{name}: {violations}"
    assert results["passes"] > 10, "axe ran no checks"


def test_axe_core_is_installed() -> None:
    if AXE is None:
        pytest.skip("axe-core is not installed (make servers installs it with npm)")
    assert AXE.startswith("/*! axe v4."), AXE[:40]  # the 4.x line: WCAG 2.1 rules


def wait_for_file(folder: Path, suffix: str, timeout: float = 20) -> Path:
    """The downloaded file, once Chrome has finished it: Chrome may put an empty file of the
    final name in place while it still writes the content into a ``.crdownload`` beside it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = list(folder.iterdir())
        writing = any(p.name.endswith(".crdownload") for p in files)
        done = [p for p in files if p.name.endswith(suffix) and p.stat().st_size > 0]
        if done and not writing:
            return done[0]
        time.sleep(0.1)
    raise AssertionError(f"no {suffix} downloaded into {folder}: {list(folder.iterdir())}")


def by(kind: str) -> Any:
    from selenium.webdriver.common.by import By

    return getattr(By, kind)


def heading(browser: Any) -> str:
    """The page's h1, or the page's text when it has none (the failure then says why)."""
    found = browser.find_elements(by("TAG_NAME"), "h1")
    assert found, browser.find_element(by("TAG_NAME"), "body").text[:2000]
    return str(found[0].text)


def test_a_bureau_reports_through_the_portal(portal: Portal, browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.keys import Keys

    # Sign in with the keyboard alone: the skip link first, then the key field, then Enter.
    browser.get(portal.url + "/")
    assert browser.current_url.endswith("/login")
    check_page(browser, "login", tmp_path)
    body = browser.find_element(by("TAG_NAME"), "body")
    body.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.text == "跳到正文"
    browser.switch_to.active_element.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("id") == "key"
    go(browser, browser.switch_to.active_element, "wrong-key", Keys.ENTER)
    assert "密钥无效" in browser.find_element(by("ID"), "login-error").text
    field = browser.find_element(by("ID"), "key")
    go(browser, field, portal.key, Keys.ENTER)
    assert "待报送" in heading(browser)
    cookie = browser.get_cookie("planwatch_portal")
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Lax"
    assert portal.key not in browser.page_source
    page = browser.page_source
    assert "科技进步贡献率" in page and "本年度值（年末水平）" in page
    assert "约束性58%，预期性65%" in page and "已逾期" in page
    check_page(browser, "due", tmp_path)

    # The template, downloaded from the portal and filled in with openpyxl.
    browser.find_element(by("LINK_TEXT"), "下载 Excel 模板").click()
    template = wait_for_file(portal.downloads, ".xlsx")
    book = load_workbook(template)
    sheet = book["数据填报"]
    figures = {
        ("baiyin-tech-progress-contribution", "2022"): 55.0,
        ("baiyin-tech-progress-contribution", "2023"): 56.0,
        ("baiyin-tech-progress-contribution", "2024"): 57.0,
        ("baiyin-enterprise-rd-share", "2024"): 140.0,  # a share over 100: the preview refuses
    }
    filled_lines = {}
    for line in sheet.iter_rows(min_row=2):
        wanted = (line[0].value, line[2].value)
        if wanted in figures:
            line[3].value = figures[wanted]
            line[5].value = "白银市统计年鉴"
            filled_lines[wanted] = line[0].row
    assert len(filled_lines) == 4
    filled = tmp_path / "白银市-填报.xlsx"
    book.save(filled)

    # Upload: the preview shows every row, refuses the share of 140 and keeps nothing.
    go(browser, browser.find_element(by("LINK_TEXT"), "上传模板"))
    check_page(browser, "upload", tmp_path)
    browser.find_element(by("ID"), "file").send_keys(str(filled))
    go(browser, browser.find_element(by("CSS_SELECTOR"), "form.card button[type=submit]"))
    assert "预览" in heading(browser)
    summary = browser.find_element(by("ID"), "summary").text
    assert "共4行" in summary and "有误 1" in summary and "尚未保存" in summary
    bad = browser.find_element(by("CSS_SELECTOR"), "tr.invalid")
    line = filled_lines[("baiyin-enterprise-rd-share", "2024")]
    assert f"文件第{line}行" in bad.text
    assert "“数值”：比重应在0到100之间" in bad.text and "修改方法" in bad.text
    submit = browser.find_element(by("CSS_SELECTOR"), "button[value=submit]")
    assert not submit.is_enabled()
    check_page(browser, "preview-refused", tmp_path)

    # Fix the row in place, check again, submit.
    value = bad.find_element(by("CSS_SELECTOR"), "input[id$='-value']")
    value.clear()
    value.send_keys("72.5")
    go(browser, browser.find_element(by("CSS_SELECTOR"), "button[value=check]"))
    summary = browser.find_element(by("ID"), "summary").text
    assert "有误 0" in summary and "校验通过" in summary
    assert browser.find_elements(by("CSS_SELECTOR"), "tr.invalid") == []
    check_page(browser, "preview-ok", tmp_path)
    go(browser, browser.find_element(by("CSS_SELECTOR"), "button[value=submit]"))

    # The receipt: what was accepted and the status of each indicator.
    assert "报送回执" in heading(browser)
    receipt = browser.page_source
    assert "已接收并保存" in receipt and "新数据 4 条" in receipt
    statuses = [e.text for e in browser.find_elements(by("CSS_SELECTOR"), "strong.status")]
    assert len(statuses) == 4 and "待评估" not in statuses
    verdicts = {"进度正常", "需加快进度", "进展有限", "出现倒退", "已达标", "未达标"}
    assert all(s in verdicts for s in statuses), statuses
    check_page(browser, "receipt", tmp_path)
    browser.find_element(by("LINK_TEXT"), "下载回执（CSV）").click()
    saved = wait_for_file(portal.downloads, ".csv")
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    assert rows[0][:2] == ["报送单位", "白银市统计局"]
    assert {(r[0], r[3], r[4], r[6]) for r in rows[2:]} == {
        ("baiyin-tech-progress-contribution", "2022", "55", "新数据"),
        ("baiyin-tech-progress-contribution", "2023", "56", "新数据"),
        ("baiyin-tech-progress-contribution", "2024", "57", "新数据"),
        ("baiyin-enterprise-rd-share", "2024", "72.5", "新数据"),
    }

    # A revision through the form of 待报送: 2025 is new, 2024 replaces 57.
    go(browser, browser.find_element(by("LINK_TEXT"), "返回待报送"))
    inputs = {
        e.get_attribute("name"): e for e in browser.find_elements(by("CSS_SELECTOR"), "input.num")
    }
    inputs["v|baiyin-tech-progress-contribution|白银市|2025"].send_keys("58.5")
    go(
        browser,
        browser.find_element(by("CSS_SELECTOR"), "form[action='/fill'] button[type=submit]"),
    )
    summary = browser.find_element(by("ID"), "summary").text
    assert "新数据 1" in summary
    row = browser.find_element(by("ID"), "r1-value")
    row.clear()
    row.send_keys("57.4")
    period = browser.find_element(by("ID"), "r1-period")
    period.clear()
    period.send_keys("2024")
    go(browser, browser.find_element(by("CSS_SELECTOR"), "button[value=check]"))
    assert "修订第1版（原值57%），成为第2版" in browser.page_source
    check_page(browser, "preview-revision", tmp_path)
    go(browser, browser.find_element(by("CSS_SELECTOR"), "button[value=submit]"))
    assert "修订 1 条" in browser.page_source
    assert "第2版，替换第1版的 57%" in browser.page_source
    check_page(browser, "receipt-revision", tmp_path)

    # The history keeps every vintage.
    go(browser, browser.find_element(by("LINK_TEXT"), "报送记录"))
    history = browser.find_element(by("TAG_NAME"), "table").text
    assert "全部报送（5条）" in history and "第2版（修订）" in history
    check_page(browser, "history", tmp_path)

    # Back to 57 for 2024: the same rows as a submission before, yet a new revision (vintage 3).
    go(browser, browser.find_element(by("LINK_TEXT"), "待报送"))
    browser.find_element(by("NAME"), "v|baiyin-tech-progress-contribution|白银市|2025").send_keys(
        "58.5"
    )
    go(
        browser,
        browser.find_element(by("CSS_SELECTOR"), "form[action='/fill'] button[type=submit]"),
    )
    for name, text in (("r1-period", "2024"), ("r1-value", "57")):
        cell = browser.find_element(by("ID"), name)
        cell.clear()
        cell.send_keys(text)
    go(browser, browser.find_element(by("CSS_SELECTOR"), "button[value=check]"))
    go(browser, browser.find_element(by("CSS_SELECTOR"), "button[value=submit]"))
    assert "第3版，替换第2版的 57.4%" in browser.page_source

    # Signing out ends the session: the pages ask for the key again.
    go(browser, browser.find_element(by("CSS_SELECTOR"), "header form button"))
    browser.get(portal.url + "/history")
    assert browser.current_url.endswith("/login")
