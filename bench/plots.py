"""The two figures of docs/performance.md, drawn from bench/results.json.

.venv/bin/python -m bench.plots        # redraw docs/img/latency.png and throughput.png
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

__all__ = ["plot_all"]

ROOT = Path(__file__).resolve().parents[1]
IMG = ROOT / "docs" / "img"


def _latency(results: dict[str, Any], path: Path) -> None:
    lat = results["latency_ms"]
    alerts = results.get("alert_latency_ms") or {}
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for run, values in enumerate(lat.get("cdf_ms", [])):
        q = [i / (len(values) - 1) for i in range(len(values))]
        line = left.plot(values, q, label=f"run {run + 1}")[0]
        p50, p99 = lat["p50"]["values"][run], lat["p99"]["values"][run]
        left.plot([p50, p99], [0.5, 0.99], "o", color=line.get_color())
        left.annotate(f"p99 {p99:,.0f}", (p99, 0.99), textcoords="offset points",
                      xytext=(4, -12 - 9 * run), fontsize=8, color=line.get_color())  # fmt: skip
    left.axvline(250, color="grey", linestyle="--", linewidth=1)
    left.text(250, 0.02, " goal p99 ≤ 250 ms", color="grey", fontsize=8)
    left.set_xscale("log")
    left.set_xlabel("accepted (202) → readable in the store, ms (log)")
    left.set_ylabel("fraction of records")
    left.set_title(
        f"{lat['rate_per_s']:,} records/s for {lat['seconds']} s, {len(lat.get('cdf_ms', []))} runs"
    )
    left.legend(loc="upper left", fontsize=8)
    left.grid(alpha=0.3)
    for name, key in (("firing", "firing_ms"), ("resolved", "resolved_ms")):
        values = sorted(alerts.get(key) or [])
        if values:
            q = [(i + 1) / len(values) for i in range(len(values))]
            right.step(values, q, where="post", label=f"{name} ({len(values)})")
    if alerts.get("p99") is not None:
        right.axvline(alerts["p50"], color="C2", linewidth=1)
        right.axvline(alerts["p99"], color="C3", linewidth=1)
        right.text(alerts["p99"], 0.05, f" p99 {alerts['p99']:,.0f}", color="C3", fontsize=8)
        right.text(alerts["p50"], 0.15, f" p50 {alerts['p50']:,.0f}", color="C2", fontsize=8)
    right.axvline(1000, color="grey", linestyle="--", linewidth=1)
    right.text(1000, 0.5, " goal p99 ≤ 1,000 ms", color="grey", fontsize=8, rotation=90)
    right.set_xscale("log")
    right.set_xlabel("accepted → e-mail delivered to the local SMTP server, ms (log)")
    right.set_title(f"alert latency, group_wait 0 ({alerts.get('samples', 0)} samples)")
    right.legend(loc="upper left", fontsize=8)
    right.grid(alpha=0.3)
    fig.suptitle(f"planwatch latency — make bench of {results['measured_at']}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


ROWS = (  # label, key, baseline keys (same broker, same run), goal
    ("ingest (202 + on topic)", "ingest_records_per_s", ("raw_produce_records_per_s",), 50_000),
    (
        "evaluator, one worker",
        "evaluator_events_per_s",
        ("raw_consume_records_per_s", "faust_floor_events_per_s"),
        10_000,
    ),
    ("assessments, one core", "assess_per_s", (), 50_000),
)
RAW = {
    "raw_produce_records_per_s": "raw produce, aiokafka batched",
    "raw_consume_records_per_s": "raw consume, aiokafka",
    "faust_floor_events_per_s": "faust floor: read, send one record each",
}


def _throughput(results: dict[str, Any], path: Path) -> None:
    rows = list(ROWS)
    backfill = results.get("backfill_measured")
    if backfill and backfill.get("assessed") != backfill.get("records"):
        backfill = None  # not every submission was assessed: no backfill figure (see the note)
    fig, ax = plt.subplots(figsize=(10, 4.2))
    labels: list[str] = []
    ticks: list[float] = []
    y = 0.0
    for label, key, baselines, goal in rows:
        for raw in baselines:
            if raw not in results:  # a results file from before that baseline was measured
                continue
            values = results[raw].get("values") or [results[raw]["median"]]
            ax.barh(y, results[raw]["median"], color="lightgrey", height=0.8)
            ax.plot(values, [y] * len(values), "|", color="black", markersize=12)
            labels.append(RAW[raw])
            ticks.append(y)
            y += 1
        values = results[key].get("values") or [results[key]["median"]]
        ax.barh(y, results[key]["median"], color="C0", height=0.8)
        ax.plot(values, [y] * len(values), "|", color="black", markersize=12)
        ax.plot([goal], [y], "v", color="C3", markersize=9)
        labels.append(label)
        ticks.append(y)
        y += 1.5
    if backfill:
        ax.barh(y, backfill["records_per_s"], color="C1", height=0.8)
        ax.plot([1_000_000 / 150], [y], "v", color="C3", markersize=9)
        labels.append(f"backfill of {backfill['records']:,} (goal: 1M in 150 s)")
        ticks.append(y)
    ax.set_yticks(ticks, labels, fontsize=8)
    ax.set_xscale("log")
    ax.set_xlim(left=100)
    ax.set_xlabel("records (events, assessments) per second, log; | one run, ▼ goal")
    ax.invert_yaxis()
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(f"throughput — make bench of {results['measured_at']} (bar: median of runs)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_all(results: dict[str, Any]) -> list[Path]:
    IMG.mkdir(parents=True, exist_ok=True)
    paths = [IMG / "latency.png", IMG / "throughput.png"]
    _latency(results, paths[0])
    _throughput(results, paths[1])
    return paths


if __name__ == "__main__":
    print(plot_all(json.loads((ROOT / "bench" / "results.json").read_text())))
