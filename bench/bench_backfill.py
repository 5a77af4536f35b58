"""Backfill: seconds from ``planwatch push FILE`` to the last assessment stored.

The file holds figures of every statistic of the shipped catalog (a series several plans target
once), for every finished month of its plan (every finished year for an annual indicator that
takes no year-to-date figure), at most 10 years, oldest period first; when ``records`` is larger
than that set (about 1,100 statistic-periods), the file goes on with revisions of the same
figures (vintage 2, 3, …: new values), as a bureau re-sending corrected series would (``planwatch
push`` sends batches of 500, fewer than the set, so no batch names a period twice). The
evaluator loads the shipped catalog only (it has no catalog-directory setting), so a catalog of
more jurisdictions cannot be run through the stack: revisions stand in for the extra keys and
every record still takes the whole path (ingest, topic, assessment of the key's history, store).

The stack is a fresh ``planwatch run``; the run ends when the evaluator's count of assessed
events (incremented after a batch is stored) reaches the number of figures ingest accepted.
"""

from __future__ import annotations

import contextlib
import csv
import re
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import psutil

from bench.bench_stack import KEY, Stack
from bench.common import periods_taken
from planwatch.catalog import default_catalog

__all__ = ["bench_backfill", "write_backfill"]
OUTCOMES = ("assessed", "duplicate", "dead_letter")
SERVICES = ("planwatch_ingest", "planwatch_evaluator", "planwatch_alerts", "planwatch_board")


def write_backfill(path: Path, records: int) -> dict[str, int]:
    """Write ``records`` rows (indicator_id, period, value) to ``path``; return its shape."""
    from planwatch_ingest.rules import rules_for

    catalog = default_catalog()
    today = date.today()
    # one rule per statistic (a series several plans target is one), each period it takes
    statistics = {rule.id: rule for rule in rules_for(catalog).values()}
    pairs = [
        (rule.id, period)
        for rule in statistics.values()
        for period in periods_taken(rule.first_year, rule.last_year, today, rule.year_to_date)
    ]
    pairs.sort(key=lambda p: p[1])  # oldest period first, every indicator of a month together
    events = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["indicator_id", "period", "value"])
        for i in range(records):
            vintage, n = divmod(i, len(pairs))
            indicator_id, period = pairs[n]
            # a statistic several plans target: one row, an event per target (ingest fans out)
            events += len(statistics[indicator_id].targets)
            # within every rule's bounds (shares, counts, ranks); a revision changes the value
            value = 1 + (n * 7 + vintage * 13) % 89 + vintage / 1000
            out.writerow([indicator_id, period, f"{value:.3f}"])
    return {
        "indicators": len(catalog),
        "statistics": len(statistics),
        "indicator_months": len(pairs),
        "vintages": -(-records // len(pairs)),
        "events": events,
    }


def bench_backfill(records: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-backfill-") as tmp:
        data = Path(tmp)
        shape = write_backfill(data / "backfill.csv", records)
        stack = Stack(data)
        try:
            return _run(stack, data / "backfill.csv", records, shape)
        finally:
            stack.stop()


def _cpu(stack: Stack) -> dict[str, float]:
    """CPU seconds so far of each process of the stack, by service."""
    run = psutil.Process(stack.proc.pid)
    times = run.cpu_times()
    out = {"planwatch run (SMTP mailbox)": times.user + times.system}
    for proc in run.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            line = " ".join(proc.cmdline())
            name = next(
                (m for m in SERVICES if m in line), "broker" if "kafka.Kafka" in line else None
            )
            if name:
                times = proc.cpu_times()
                out[name] = out.get(name, 0.0) + times.user + times.system
    return out


def _run(stack: Stack, path: Path, records: int, shape: dict[str, int]) -> dict[str, Any]:
    exe = Path(sys.executable).with_name("planwatch")
    argv = [str(exe), "push", str(path), "--url", stack.url, "--key", KEY, "--lang", "en"]
    before = {o: stack.evaluator_metric(o) for o in OUTCOMES}
    started = time.time()
    cpu_before = _cpu(stack)
    push = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    push_cpu = 0.0
    expected, pushed_s, last_print = records, None, started
    deadline = time.monotonic() + max(600, records / 100)
    while True:
        # every event counts once it is handled: assessed, or dropped as a duplicate or a
        # dead letter (neither should happen here; they are reported below)
        handled = {o: stack.evaluator_metric(o) - before[o] for o in OUTCOMES}
        done = sum(handled.values())
        with contextlib.suppress(psutil.Error):
            times = psutil.Process(push.pid).cpu_times()
            push_cpu = times.user + times.system
        if pushed_s is None and push.poll() is not None:
            pushed_s = time.time() - started
            summary = push.stdout.read().decode() if push.stdout else ""
            counts = {k: int(v) for v, k in re.findall(r"(\d+) (accepted|revised)", summary)}
            counts |= {k: int(v) for k, v in re.findall(r"(accepted|revised) (\d+)", summary)}
            if push.returncode != 0 or not counts:
                raise RuntimeError(f"planwatch push failed ({push.returncode}): {summary}")
            if counts.get("accepted", 0) + counts.get("revised", 0) != records:
                raise RuntimeError(f"planwatch push did not take every row: {summary}")
            expected = shape["events"]
        if pushed_s is not None and done >= expected:
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"backfill: {done:.0f} of {expected} handled: {handled}")
        if time.time() - last_print >= 15:
            last_print = time.time()
            print(f"backfill: {done:.0f} of {records} handled", flush=True)
        time.sleep(0.2)  # the end is known to 0.2 s; polling more often takes CPU from the stack
    seconds = time.time() - started
    cpu = {k: round(v - cpu_before.get(k, 0.0), 1) for k, v in _cpu(stack).items()}
    cpu["planwatch push"] = round(push_cpu, 1)
    rss = psutil.Process(stack.service_pid("planwatch_evaluator")).memory_info().rss / 2**20
    return {
        "records": records,
        "assessed": int(handled["assessed"]),
        "evaluator_duplicates": int(handled["duplicate"]),
        "seconds": round(seconds, 1),
        "records_per_s": round(records / seconds),
        "push_s": round(pushed_s, 1),
        "evaluator_rss_mb": round(rss, 1),
        "dead_letters": int(handled["dead_letter"]),
        # where the time goes: CPU seconds of each process during the run (2 cores shared)
        "cpu_s": cpu,
        **shape,
    }
