"""Latency through the running stack (``planwatch run``): accepted (202) → stored, and
accepted → alert e-mail delivered to the local SMTP mailbox (group_wait 0).

The stack runs with the default routing (``deploy/alerts/routes.yml``) except two timers, set
through ``PLANWATCH_ALERTS_ROUTES_FILE``: ``group_wait: 0s`` (the default already) and
``group_interval: 0s``, so a second alert of the same agency is not held for the group's
interval and each sample measures the pipeline, not the grouping timers.
"""

from __future__ import annotations

import calendar
import contextlib
import email
import email.policy
import os
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections import namedtuple
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import psutil
import yaml

from bench.common import free_port, summary
from planwatch.catalog import default_catalog
from planwatch.domain.kinds import accepts_year_to_date
from planwatch.domain.periods import parse_period
from planwatch.domain.status import BEHIND

__all__ = ["Stack", "bench_alerts", "bench_latency", "cdf", "percentile"]
KEY = "bench-key"
ROUTES = Path(__file__).resolve().parents[1] / "deploy" / "alerts" / "routes.yml"
OFF_TRACK = {str(s.value) for s in BEHIND}  # what alerts the lead agency (a final miss too)
GOOD = {"on_track", "achieved"}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0–1)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(q * len(ordered) + 0.5) - 1))]


def cdf(values: list[float], steps: int = 200) -> list[float]:
    """The values at quantiles 0, 1/steps, …, 1: enough to draw the distribution."""
    ordered = sorted(values)
    last = len(ordered) - 1
    return [round(ordered[round(i * last / steps)], 1) for i in range(steps + 1)]


class Stack:
    """``planwatch run`` on free ports in ``data``; ``env`` is added to its environment."""

    def __init__(self, data: Path, env: dict[str, str] | None = None) -> None:
        self.data = data
        # every port on a free one: a `make run` on the same machine keeps its own
        parts = ("broker", "controller", "ingest", "alerts", "evaluator", "board", "portal", "smtp")
        self.ports = {n: free_port() for n in parts}
        routes = yaml.safe_load(ROUTES.read_text(encoding="utf-8"))
        routes["route"]["group_wait"] = "0s"
        routes["route"]["group_interval"] = "0s"
        (data / "routes.yml").write_text(yaml.safe_dump(routes, allow_unicode=True), "utf-8")
        exe = Path(sys.executable).with_name("planwatch")
        args = [str(exe), "run", "--data-dir", str(data)]
        args += [f"--{n}-port={p}" for n, p in self.ports.items()]
        self.out = (data / "run.out").open("wb")
        self.proc = subprocess.Popen(
            args,
            stdout=self.out,
            stderr=subprocess.STDOUT,
            env={
                **os.environ,
                "PLANWATCH_DEMO_KEY": KEY,
                "PLANWATCH_ALERTS_ROUTES_FILE": str(data / "routes.yml"),
                **(env or {}),
            },
        )
        deadline = time.monotonic() + 180
        while "planwatch is running" not in (data / "run.out").read_text():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError((data / "run.out").read_text())
            time.sleep(0.2)
        self.url = f"http://127.0.0.1:{self.ports['ingest']}"
        self.ingest = f"{self.url}/v1/submissions"

    def service_pid(self, module: str) -> int:
        for child in psutil.Process(self.proc.pid).children(recursive=True):
            if module in " ".join(child.cmdline()):
                return child.pid
        raise LookupError(module)

    def evaluator_metric(self, outcome: str) -> float:
        text = httpx.get(f"http://127.0.0.1:{self.ports['evaluator']}/metrics", timeout=5).text
        needle = f'planwatch_evaluator_events_total{{outcome="{outcome}"}} '
        for line in text.splitlines():
            if line.startswith(needle):
                return float(line.split()[-1])
        return 0.0

    def stop(self) -> None:
        # SIGTERM: `planwatch run` stops everything on it, also when started in the background
        # (where SIGINT is ignored)
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(60)
        self.out.close()


def _period_ns(period: str) -> int:
    end = parse_period(period).end_date
    return calendar.timegm(end.timetuple()) * 1_000_000_000


def _stored_watcher(db: Path, seen: dict[tuple[str, int, int], float], stop: threading.Event):
    """Poll the embedded store; note when each (indicator, period time, vintage) is readable.

    A later vintage read first stands for the earlier ones too: they were stored before it.
    """
    newest: dict[tuple[str, int], int] = {}
    # a series' tags are sorted [key, value] pairs: indicator_id comes first
    sql = (
        "select json_extract(s.tags, '$[0][1]'), p.time_ns, json_extract(p.fields, '$.vintage')"
        " from series s join point p on p.series_id = s.id where s.measurement = 'observation'"
    )
    conn = None
    while not stop.is_set():
        try:
            conn = conn or sqlite3.connect(db, timeout=5)
            rows = conn.execute(sql).fetchall()
        except sqlite3.Error:
            rows, conn = [], None
        now = time.time()
        for indicator, time_ns, vintage in rows:
            key = (indicator, time_ns)
            had = newest.get(key, 0)
            if vintage > had:
                for v in range(had + 1, vintage + 1):
                    seen[(indicator, time_ns, v)] = now
                newest[key] = vintage
        time.sleep(0.01)
    if conn is not None:
        conn.close()


def _latency_run(stack: Stack, rate: int, seconds: int, run: int) -> tuple[list[float], int]:
    """Send ``rate`` records/s for ``seconds`` (batches every 50 ms); latency per record and
    the number of records accepted."""
    catalog = default_catalog()
    # indicators whose monthly (year-to-date) figures are judged: an annual level or count takes
    # one figure a year, and ingest refuses its months
    entries = [e for e in catalog if e.last_year >= 2025 and accepts_year_to_date(e)]
    db = stack.data / "timeseries.db"
    sent: dict[tuple[str, int, int], float] = {}
    seen: dict[tuple[str, int, int], float] = {}
    stop = threading.Event()
    watcher = threading.Thread(target=_stored_watcher, args=(db, seen, stop), daemon=True)
    watcher.start()
    per_batch = rate // 20
    # no December: a December (year-to-date) figure is the same point of the store as the
    # annual figure of its year (same end date), whose vintages the alert probe numbered;
    # no year that has not begun (ingest refuses it)
    last = date.today().year
    months = {
        e.id: [
            f"{y}-{m:02d}"
            for y in range(e.start_year + 1, min(e.last_year, last) + 1)
            for m in range(1, 12)
        ]
        for e in entries
    }
    client = httpx.Client(timeout=30)
    i = 0
    start = time.monotonic()
    for tick in range(seconds * 20):
        rows = []
        for _ in range(per_batch):
            entry = entries[i % len(entries)]
            options = months[entry.id]
            period = options[(i // len(entries)) % len(options)]
            rows.append(
                {
                    "indicator_id": entry.id,
                    "period": period,
                    "value": 1.0 + (i + run) % 7 + run * 0.001,
                    "submission_id": f"lat-{run}-{i}",
                }
            )
            i += 1
        answer = client.post(stack.ingest, json=rows, headers={"Authorization": f"Bearer {KEY}"})
        accepted = time.time()
        assert answer.status_code == 202, answer.text
        for result in answer.json()["results"]:
            if result["status"] in ("accepted", "revised"):
                key = (result["indicator_id"], _period_ns(result["period"]), result["vintage"])
                sent[key] = accepted
        wait = start + (tick + 1) / 20 - time.monotonic()
        if wait > 0:
            time.sleep(wait)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(k in seen for k in sent):
        time.sleep(0.05)
    stop.set()
    watcher.join()
    client.close()
    return [(seen[k] - t) * 1000 for k, t in sent.items() if k in seen], len(sent)


Probe = namedtuple("Probe", "entry period low good")


def _alert_probes(count: int) -> list[Probe]:
    """Indicators whose figure for the owed year is off track at ``low`` and on track or
    achieved at ``good`` (checked with the evaluator's own assessment), spread over agencies."""
    from planwatch.domain.assessment import assess
    from planwatch_ingest.rules import rules_for

    obs = namedtuple("obs", "period value vintage")
    catalog = default_catalog()
    rules = rules_for(catalog)
    today = date.today()
    # the figure of the last year an annual figure is owed for: no overdue alert (which
    # would inhibit the off-track one) is raised for a key that has it
    year = today.year - 1 if today.month > 3 else today.year - 2
    by_agency: dict[str, list[Probe]] = {}
    for entry in catalog:
        rule = rules[entry.id]
        if not rule.first_year <= year <= rule.last_year or not entry.targets:
            continue
        if len(entry.lead_agencies) > 1:
            continue  # one e-mail per lead agency: keep one e-mail per sample
        target = next((t for t in entry.targets if t.year >= year), entry.targets[-1]).value
        for low in (target * 0.3, target * 3):
            if not (rule.low <= low <= rule.high and rule.low <= target <= rule.high):
                continue
            before = assess(entry, [obs(str(year), low, 1)], today).status.value
            after = assess(entry, [obs(str(year), target, 2)], today).status.value
            if before in OFF_TRACK and after in GOOD:
                lead = entry.lead_agencies[0] if entry.lead_agencies else entry.jurisdiction
                by_agency.setdefault(lead, []).append(Probe(entry, str(year), low, target))
                break
    probes: list[Probe] = []
    while len(probes) < count and any(by_agency.values()):
        for group in by_agency.values():
            if group and len(probes) < count:
                probes.append(group.pop(0))
    return probes


def _mail_for(path: Path, indicator_id: str) -> bool:
    """Whether the e-mail in ``path`` is about the indicator (its plain-text part links it; a
    digest also has an HTML part)."""
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    body = message.get_body(("plain",))  # type: ignore[attr-defined]
    link = re.compile(rf"/indicators/{re.escape(indicator_id)}(?![\w-])")  # not a longer id's
    return body is not None and link.search(body.get_content()) is not None


def _wait_mail(mailbox: Path, before: set[Path], indicator_id: str, accepted: float) -> float:
    """Milliseconds from ``accepted`` to the delivery of the first new e-mail naming the
    indicator (the file's modification time: when the SMTP server wrote it)."""
    deadline = time.monotonic() + 30
    checked: set[Path] = set()
    while time.monotonic() < deadline:
        for path in set(mailbox.iterdir()) - before - checked:
            checked.add(path)
            if _mail_for(path, indicator_id):
                return (path.stat().st_mtime - accepted) * 1000
        time.sleep(0.005)
    raise TimeoutError(f"no e-mail about {indicator_id} within 30 s")


def bench_alerts(stack: Stack, indicators: int) -> dict[str, Any]:
    """Per indicator: an off-track figure (firing e-mail), then a revision on track (resolved
    e-mail), one at a time on a quiet stack; two samples per indicator."""
    mailbox = stack.data / "mailbox" / "new"
    headers = {"Authorization": f"Bearer {KEY}"}
    firing: list[float] = []
    resolved: list[float] = []
    missed: list[str] = []
    probes = _alert_probes(indicators + 1)
    # the first alert of a fresh stack waits for the alerts consumer to join its group:
    # one probe warms the pipeline up and is reported apart
    warmup: float | None = None
    for n, probe in enumerate(probes):
        if n == 0:
            before = set(mailbox.iterdir())
            row = {"indicator_id": probe.entry.id, "period": probe.period, "value": probe.low}
            httpx.post(stack.ingest, json=[row], headers=headers, timeout=10).raise_for_status()
            with contextlib.suppress(TimeoutError):
                warmup = _wait_mail(mailbox, before, probe.entry.id, time.time())
            continue
        for value, out in ((probe.low, firing), (probe.good, resolved)):
            before = set(mailbox.iterdir())
            row = {"indicator_id": probe.entry.id, "period": probe.period, "value": value}
            httpx.post(stack.ingest, json=[row], headers=headers, timeout=10).raise_for_status()
            accepted = time.time()
            try:
                out.append(_wait_mail(mailbox, before, probe.entry.id, accepted))
            except TimeoutError as exc:
                missed.append(str(exc))
                break
    samples = firing + resolved
    return {
        "alert_latency_ms": {
            "p50": round(statistics.median(samples), 1) if samples else None,
            "p99": round(percentile(samples, 0.99), 1) if samples else None,
            "max": round(max(samples), 1) if samples else None,
            "samples": len(samples),
            "indicators": len(probes) - 1,
            "agencies": len(
                {(p.entry.lead_agencies or (p.entry.jurisdiction,))[0] for p in probes[1:]}
            ),
            "first_alert_of_the_stack_ms": round(warmup, 1) if warmup is not None else None,
            "firing_ms": [round(a, 1) for a in firing],
            "resolved_ms": [round(a, 1) for a in resolved],
            "missed": missed,
            "routing": "deploy/alerts/routes.yml with group_wait 0s, group_interval 0s",
        }
    }


def bench_latency(
    stack: Stack, rate: int = 1000, seconds: int = 60, runs: int = 3
) -> dict[str, Any]:
    p50, p99, counts, sent, cdfs = [], [], [], [], []
    for run in range(runs):
        lat, accepted = _latency_run(stack, rate, seconds, run)
        sent.append(accepted)
        counts.append(len(lat))
        if not lat:
            print(f"latency run {run + 1}: none of {accepted} records was stored", flush=True)
            continue
        p50.append(statistics.median(lat))
        p99.append(percentile(lat, 0.99))
        cdfs.append(cdf(lat))
        print(f"latency run {run + 1}: p50 {p50[-1]:.0f} ms, p99 {p99[-1]:.0f} ms", flush=True)
    return {
        "latency_ms": {
            "p50": summary(p50, 1) if p50 else None,
            "p99": summary(p99, 1) if p99 else None,
            "rate_per_s": rate,
            "seconds": seconds,
            "records_accepted": sent,
            "records_stored_in_time": counts,
            "cdf_ms": cdfs,
        }
    }
