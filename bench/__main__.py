"""``make bench``: every figure of docs/performance.md, measured in one run on this machine.

Writes bench/results.json (after each part, so that a run cut short keeps what it measured)
and draws docs/img/latency.png and docs/img/throughput.png from it.
Each throughput figure is the median of 3 runs with min and max, measured in the same run as
its raw baseline (same broker, same machine).

    python -m bench                              # everything, in 10–12 minutes
    python -m bench --backfill 1000000 --only backfill   # the full backfill by hand
    python -m bench --plots                      # redraw the PNGs from bench/results.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).parent / "results.json"
FULL_BACKFILL = 1_000_000


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument(
        "--backfill",
        type=int,
        default=100_000,
        metavar="RECORDS",
        help="submissions of the backfill (default 100,000: 1,000,000 does not fit the "
        "10-minute budget at the evaluator's rate; the 1M figure is then extrapolated)",
    )
    p.add_argument("--evaluator-events", type=int, default=200_000, help="pre-loaded topic size")
    p.add_argument("--latency-runs", type=int, default=3)
    p.add_argument("--latency-seconds", type=int, default=60)
    p.add_argument("--alert-indicators", type=int, default=24, help="two samples each")
    p.add_argument(
        "--only",
        choices=["backfill"],
        help="run only this part; writes bench/backfill-<records>.json, not results.json",
    )
    p.add_argument("--plots", action="store_true", help="only redraw the PNGs")
    return p.parse_args(argv)


def _backfill_figures(measured: dict[str, object]) -> dict[str, object]:
    records, seconds = int(measured["records"]), float(measured["seconds"])  # type: ignore[arg-type]
    out: dict[str, object] = {"backfill_measured": measured}
    if measured["assessed"] != measured["events"]:
        out["backfill_1m_s"] = None
        out["backfill_note"] = (
            f"not a backfill figure: the evaluator assessed {measured['assessed']:,} of "
            f"{measured['events']:,} events of {records:,} distinct submissions "
            f"({measured['evaluator_duplicates']:,} dropped as "
            f"duplicates, {measured['dead_letters']:,} dead letters)"
        )
        return out
    if records >= FULL_BACKFILL:
        out["backfill_1m_s"] = round(seconds * FULL_BACKFILL / records, 1)
        return out
    out["backfill_1m_s"] = None
    out["backfill_1m_s_extrapolated"] = {
        "value": round(seconds * FULL_BACKFILL / records),
        "method": f"linear from the measured run of {records:,} records: "
        f"seconds × {FULL_BACKFILL:,} / {records:,}; not measured",
    }
    return out


def main(argv: list[str] | None = None) -> None:
    args = _args(argv)
    from bench.plots import plot_all

    if args.plots:
        print(plot_all(json.loads(RESULTS.read_text())))
        return
    from bench.bench_backfill import bench_backfill

    if args.only == "backfill":
        started = time.monotonic()
        result: dict[str, object] = {
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            **_backfill_figures(bench_backfill(args.backfill)),
            "elapsed_s": 0,
        }
        result["elapsed_s"] = round(time.monotonic() - started)
        out = RESULTS.with_name(f"backfill-{args.backfill}.json")
        out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return

    from bench.bench_assess import bench_assess
    from bench.bench_evaluator import bench_evaluator
    from bench.bench_stack import Stack, bench_alerts, bench_latency
    from bench.common import broker

    sys.path.insert(0, str(Path(__file__).parent))
    import bench_ingest  # the ingest benchmark is also a standalone script

    started = time.monotonic()
    results: dict[str, object] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
    }

    def step(name: str) -> None:
        """Each part's figures are written as soon as it ends: a run cut short keeps them."""
        print(f"{name} done at {time.monotonic() - started:.0f} s", flush=True)
        partial = {**results, "incomplete": f"written after the {name} part"}
        RESULTS.write_text(json.dumps(partial, ensure_ascii=False, indent=2) + "\n")

    results.update(bench_assess())
    step("assess")
    with broker() as address:
        results.update(bench_ingest.bench_ingest(address, records=100_000))
        results["raw_produce_records_per_s"] = bench_ingest.raw_produce(address, records=100_000)
    step("ingest")
    results.update(bench_evaluator(n=args.evaluator_events))
    if args.evaluator_events < 200_000:
        results["evaluator_note"] = (
            f"pre-loaded topic of {args.evaluator_events:,}, smaller than the spec's 200,000 "
            "(--evaluator-events)"
        )
    step("evaluator")
    with tempfile.TemporaryDirectory(prefix="bench-stack-") as tmp:
        stack = Stack(Path(tmp))
        try:
            # alerts first, on a quiet stack: the latency runs open alerts for every indicator
            results.update(bench_alerts(stack, args.alert_indicators))
            step("alert latency")
            results.update(bench_latency(stack, 1000, args.latency_seconds, args.latency_runs))
            step("latency")
        finally:
            stack.stop()
    # the spec's figure is the evaluator's memory after the backfill; the topic run's is kept
    results["evaluator_rss_mb_after_topic_run"] = results.pop("evaluator_rss_mb")
    try:
        backfill = _backfill_figures(bench_backfill(args.backfill))
    except (RuntimeError, TimeoutError) as exc:  # keep the other figures of the run
        results.update(backfill_1m_s=None, backfill_error=str(exc)[:2000], evaluator_rss_mb=None)
    else:
        results.update(backfill)
        results["evaluator_rss_mb"] = {
            "value": backfill["backfill_measured"]["evaluator_rss_mb"],  # type: ignore[index]
            "after": f"backfill of {args.backfill:,} records",
        }
    step("backfill")
    results["elapsed_s"] = round(time.monotonic() - started)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n")
    plot_all(results)
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
