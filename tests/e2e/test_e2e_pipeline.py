"""The whole pipeline as users drive it: `planwatch run`, a bureau pushes a file, an agency is told.

Everything is real and on loopback: Apache Kafka, ingest, the faust evaluator, alerts with
the local SMTP mailbox, the embedded time-series store and the board.
"""

from __future__ import annotations

import email
import email.policy
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from planwatch.tsstore import EmbeddedSeriesStore
from support.net import free_port
from support.waiting import wait_until

pytestmark = pytest.mark.e2e
KEY = "e2e-demo-key"
INDICATOR = "gsbase-rd-expenditure"  # 达到180亿元 by 2025


class Stack:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.ports = {
            name: free_port()
            for name in (
                "broker",
                "controller",
                "ingest",
                "alerts",
                "evaluator",
                "board",
                "portal",
                "smtp",
            )
        }
        exe = Path(sys.executable).with_name("planwatch")
        args = [str(exe), "run", "--data-dir", str(data_dir)]
        args += [f"--{name}-port={port}" for name, port in self.ports.items()]
        self.log = (data_dir / "run.out").open("wb")
        self.proc = subprocess.Popen(
            args,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PLANWATCH_DEMO_KEY": KEY, "COLUMNS": "200"},
        )

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError((self.data_dir / "run.out").read_text())
            if "planwatch is running" in (self.data_dir / "run.out").read_text():
                return
            time.sleep(0.3)
        raise TimeoutError((self.data_dir / "run.out").read_text())

    def mails(self) -> list[email.message.EmailMessage]:
        folder = self.data_dir / "mailbox" / "new"
        return [
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(folder.glob("*"))
        ]

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=60)
        finally:
            self.log.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    running = Stack(tmp_path_factory.mktemp("stack"))
    try:
        running.wait_ready()
        yield running
    finally:
        code = running.stop()
        assert code == 0, (running.data_dir / "run.out").read_text()[-3000:]


def push(stack: Stack, tmp_path: Path, rows: list[tuple[str, float]]) -> str:
    csv = tmp_path / "figures.csv"
    csv.write_text(
        "indicator_id,jurisdiction,period,value,unit\n"
        + "".join(f"{INDICATOR},甘肃省,{period},{value},亿元\n" for period, value in rows),
        encoding="utf-8",
    )
    exe = Path(sys.executable).with_name("planwatch")
    result = subprocess.run(
        [str(exe), "push", str(csv), "--url", stack.url("ingest"), "--key", KEY],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def alerts(stack: Stack) -> list[dict]:
    response = httpx.get(
        f"{stack.url('alerts')}/v1/alerts", headers={"Authorization": f"Bearer {KEY}"}, timeout=5
    )
    response.raise_for_status()
    return [a for a in response.json() if a["indicator_id"] == INDICATOR]


def test_behind_plan_then_back_on_track(stack: Stack, tmp_path: Path) -> None:
    # 150 in 2024, 155 in 2025: 180 亿元 by 2025 missed for good, and far behind the path to
    # 280 by 2030, the headline now
    out = push(stack, tmp_path, [("2024", 150), ("2025", 155)])
    assert "2" in out
    wait_until(
        lambda: any("180" in m.get_body(("plain",)).get_content() for m in stack.mails()),
        what="the alert e-mail",
    )
    mail = next(m for m in stack.mails() if INDICATOR in m.get_body(("plain",)).get_content())
    assert "预警" in mail["Subject"]
    assert "全社会研究与试验发展(R&D)经费投入达到180亿元" in mail.get_body(("plain",)).get_content()

    store = EmbeddedSeriesStore(stack.data_dir / "timeseries.db")
    observed = store.query("observation", {"indicator_id": INDICATOR})
    assert [r["value"] for r in observed] == [150.0, 155.0]
    assert store.latest("assessment", {"indicator_id": INDICATOR})["status"] == "limited_progress"

    # two alerts: 2025 missed (final, with its own figure), and behind on the way to 2030
    wait_until(lambda: len(alerts(stack)) == 2, what="an alert per target year")
    by_status = {a["status"]: a for a in alerts(stack)}
    assert set(by_status) == {"not_achieved", "limited_progress"}
    for alert in by_status.values():
        assert alert["state"] == "open"
    wait_until(
        lambda: all(a["notifications"] and a["notifications"][0]["state"] == "sent"
                    for a in alerts(stack)),
        what="both alerts mailed",
    )  # fmt: skip
    texts = [m.get_body(("plain",)).get_content() for m in stack.mails()]
    assert any("2025年实际：155亿元；差距 -25亿元" in t and "最终结论" in t for t in texts)

    # a revised 2025 figure of 181: 2025 achieved, on track for 2030; the agency is told both
    # are resolved
    push(stack, tmp_path, [("2025", 181)])
    wait_until(
        lambda: all(a["state"] == "resolved" for a in alerts(stack)), what="the alerts to resolve"
    )
    wait_until(
        lambda: any("已恢复" in m.get_body(("plain",)).get_content() for m in stack.mails()),
        timeout=90,
        what="the resolve notice",
    )
    assert store.query("observation", {"indicator_id": INDICATOR})[-1]["value"] == 181.0

    page = httpx.get(f"{stack.url('board')}/indicators/{INDICATOR}", timeout=5)
    assert page.status_code == 200 and "<svg" in page.text and "进度正常" in page.text
    portal = httpx.get(f"{stack.url('portal')}/login", timeout=5)  # the bureau portal is up too
    assert portal.status_code == 200 and "报送密钥" in portal.text


def test_a_shared_statistic_reported_once_updates_each_of_its_targets(
    stack: Stack, tmp_path: Path
) -> None:
    """兰白两区地区生产总值 is one series (the Lanbai outline's 1800亿元 by 2027 and gs4p's
    力争1500亿元 by 2025): the zones report it once, under the series id, and both targets are
    assessed, each against its own plan."""
    csv = tmp_path / "gdp.csv"
    csv.write_text(
        "indicator_id,jurisdiction,period,value,unit\n"
        "lanbai-gdp,兰白两区,2024,1300,亿元\n"
        "lanbai-gdp,兰白两区,2025,1400,亿元\n",
        encoding="utf-8",
    )
    exe = Path(sys.executable).with_name("planwatch")
    result = subprocess.run(
        [str(exe), "push", str(csv), "--url", stack.url("ingest"), "--key", KEY],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    store = EmbeddedSeriesStore(stack.data_dir / "timeseries.db")
    targets = ("lanbai-gdp", "gs4p-lanbai-gdp")

    def assessed() -> bool:
        return all(
            len(store.query("observation", {"indicator_id": t})) == 2
            and store.latest("assessment", {"indicator_id": t}) is not None
            for t in targets
        )

    wait_until(assessed, what="both targets of the series to be assessed")
    for target in targets:
        values = [r["value"] for r in store.query("observation", {"indicator_id": target})]
        assert values == [1300.0, 1400.0], target
    gs4p = store.latest("assessment", {"indicator_id": "gs4p-lanbai-gdp"})
    lanbai = store.latest("assessment", {"indicator_id": "lanbai-gdp"})
    assert gs4p["target"] == 1500 and lanbai["target"] == 1800
