"""Latency through the running stack (``planwatch run``): accepted (202) → stored, and
accepted → alert e-mail delivered to the local SMTP mailbox (group_wait 0)."""

from __future__ import annotations

import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from bench.common import free_port, summary
from planwatch.catalog import default_catalog

__all__ = ["bench_latency"]
VINTAGES: dict[Any, int] = {}  # what ingest will number each revision of a period
KEY = "bench-key"


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Stack:
    def __init__(self, data: Path) -> None:
        self.data = data
        self.ports = {
            n: free_port() for n in ("broker", "ingest", "alerts", "evaluator", "board", "smtp")
        }
        exe = Path(sys.executable).with_name("planwatch")
        args = [str(exe), "run", "--data-dir", str(data)]
        args += [f"--{n}-port={p}" for n, p in self.ports.items()]
        self.out = (data / "run.out").open("wb")
        self.proc = subprocess.Popen(
            args,
            stdout=self.out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PLANWATCH_DEMO_KEY": KEY},
        )
        deadline = time.monotonic() + 180
        while "planwatch is running" not in (data / "run.out").read_text():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError((data / "run.out").read_text())
            time.sleep(0.2)
        self.ingest = f"http://127.0.0.1:{self.ports['ingest']}/v1/submissions"

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(60)
        self.out.close()


def _stored_watcher(
    db: Path, sent: dict[tuple[str, str], float], seen: dict, stop: threading.Event
):
    """Poll the embedded store; note when each sent (indicator, period) becomes readable."""
    while not stop.is_set():
        try:
            conn = sqlite3.connect(db, timeout=5)
            rows = conn.execute(
                "select series, time_ns, json_extract(fields, '$.vintage') from points "
                "where measurement='observation'"
            ).fetchall()
            conn.close()
        except sqlite3.Error:
            rows = []
        now = time.time()
        for series, time_ns, vintage in rows:
            key = (series, time_ns, vintage)
            if key not in seen:
                seen[key] = now
        time.sleep(0.005)


def _latency_run(stack: Stack, rate: int, seconds: int, run: int) -> list[float]:
    """Send ``rate`` records/s for ``seconds`` (batches every 50 ms); latency per record."""
    import json

    from planwatch.domain.periods import parse_period

    catalog = default_catalog()
    entries = [e for e in catalog if e.last_year >= 2025]
    db = stack.data / "timeseries.db"
    sent: dict[Any, float] = {}
    seen: dict[Any, float] = {}
    vintages = VINTAGES
    stop = threading.Event()
    watcher = threading.Thread(target=_stored_watcher, args=(db, sent, seen, stop), daemon=True)
    watcher.start()
    per_batch = rate // 20
    months = {
        e.id: [
            f"{y}-{m:02d}" for y in range(e.start_year + 1, e.last_year + 1) for m in range(1, 13)
        ]
        for e in entries
    }
    client = httpx.Client(timeout=10)
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
                    "value": 1.0 + i % 7,
                    "submission_id": f"lat-{run}-{i}",
                }
            )
            i += 1
        answer = client.post(stack.ingest, json=rows, headers={"Authorization": f"Bearer {KEY}"})
        accepted = time.time()
        assert answer.status_code == 202, answer.text
        for row in rows:
            entry = catalog.get(row["indicator_id"])
            tags = {
                "indicator_id": entry.id,
                "jurisdiction": entry.jurisdiction,
                "plan": entry.plan_code,
                "kind": entry.kind.value,
                "lead_agency": entry.lead_agencies[0] if entry.lead_agencies else "none",
            }
            end = parse_period(row["period"]).end_date
            time_ns = int(time.mktime(end.timetuple()) - time.timezone) * 1_000_000_000
            series = json.dumps(tuple(sorted(tags.items())), ensure_ascii=False)
            vintage = vintages[(series, time_ns)] = vintages.get((series, time_ns), 0) + 1
            sent[(series, time_ns, vintage)] = accepted
        wait = start + (tick + 1) / 20 - time.monotonic()
        if wait > 0:
            time.sleep(wait)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not all(k in seen for k in sent):
        time.sleep(0.05)
    stop.set()
    client.close()
    return [(seen[k] - t) * 1000 for k, t in sent.items() if k in seen]


def _alert_latency(stack: Stack, samples: int) -> list[float]:
    """Lagging figures for indicators of different lead agencies; time to the e-mail file."""
    catalog = default_catalog()
    chosen, agencies = [], set()
    for entry in catalog:
        lead = entry.lead_agencies[0] if entry.lead_agencies else None
        if entry.kind.value == "level" and entry.baseline is None and lead and lead not in agencies:
            chosen.append(entry)
            agencies.add(lead)
        if len(chosen) == samples:
            break
    mailbox = stack.data / "mailbox" / "new"
    out = []
    for entry in chosen:
        target = min(t.value for t in entry.targets)
        before = set(mailbox.iterdir())
        first_year = entry.start_year + 1
        rows = [
            {"indicator_id": entry.id, "period": str(first_year), "value": target * 0.5},
            {"indicator_id": entry.id, "period": str(first_year + 1), "value": target * 0.45},
        ]
        httpx.post(
            stack.ingest, json=rows, headers={"Authorization": f"Bearer {KEY}"}, timeout=10
        ).raise_for_status()
        accepted = time.time()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            mine = [
                p
                for p in set(mailbox.iterdir()) - before
                if f"/indicators/{entry.id}".encode() in p.read_bytes()
            ]
            if mine:
                out.append((min(p.stat().st_mtime for p in mine) - accepted) * 1000)
                break
            time.sleep(0.005)
    return out


def bench_latency(
    rate: int = 1000, seconds: int = 20, runs: int = 3, alert_samples: int = 5
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-stack-") as tmp:
        stack = Stack(Path(tmp))
        try:
            # alerts first, on a quiet stack: later digests of the same agency would wait
            # for its group_interval, which is not what this figure measures
            alerts = _alert_latency(stack, alert_samples)
            p50, p99, counts = [], [], []
            for run in range(runs):
                lat = _latency_run(stack, rate, seconds, run)
                counts.append(len(lat))
                p50.append(statistics.median(lat))
                p99.append(_percentile(lat, 0.99))
        finally:
            stack.stop()
    return {
        "latency_ms": {
            "p50": summary(p50, 1),
            "p99": summary(p99, 1),
            "rate_per_s": rate,
            "seconds": seconds,
            "records": counts,
        },
        "alert_latency_ms": {
            "p99": summary([max(alerts)], 1) if alerts else None,
            "samples": [round(a, 1) for a in alerts],
        },
    }
