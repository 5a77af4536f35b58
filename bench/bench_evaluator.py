"""Evaluator throughput from a pre-loaded topic, against aiokafka reading the same topic and
against faust's own floor on it (``faust_floor.py``: read, send one record per event)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Any

import httpx
import psutil

from bench.common import broker, create_topics, free_port, produce_all, submissions, summary

__all__ = ["bench_evaluator"]


def _assessed(port: int) -> float:
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
    except httpx.HTTPError:
        return 0.0
    m = re.search(r'planwatch_evaluator_events_total\{outcome="assessed"\} ([\d.e+]+)', text)
    return float(m.group(1)) if m else 0.0


def _raw_consume(bootstrap: str, topic: str, n: int) -> float:
    from aiokafka import AIOKafkaConsumer

    async def run() -> float:
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            fetch_max_wait_ms=10,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=8 << 20,
        )
        await consumer.start()
        got, started = 0, None
        try:
            while got < n:
                batch = await consumer.getmany(timeout_ms=500, max_records=10_000)
                if started is None and batch:
                    started = time.perf_counter()
                got += sum(len(r) for r in batch.values())
            return n / (time.perf_counter() - (started or time.perf_counter()))
        finally:
            await consumer.stop()

    return asyncio.run(run())


def _cpu_s(proc: psutil.Process) -> float:
    times = proc.cpu_times()
    return float(times.user + times.system)


def _faust_floor(bootstrap: str, n: int, app_id: str, datadir: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.faust_floor", bootstrap, str(n), app_id, datadir],
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )
    # the worker's terminal codes may stand before the JSON on its line
    line = [line for line in out.stdout.splitlines() if "{" in line][-1]
    return dict(json.loads(line[line.index("{") :]))


def bench_evaluator(n: int = 200_000, runs: int = 3) -> dict[str, Any]:
    """Each run on a broker of its own, so the topic holds exactly ``n`` fresh submissions.

    ``evaluator_events_per_cpu_s`` divides the same events by the worker's own CPU seconds
    (all its threads) over the same window: steadier than the rate when other processes share
    the cores, and the rate the worker would reach with a core of its own and no waits.
    ``faust_floor_events_per_s`` is a faust worker reading the same topic and sending one
    record per event, nothing else: the most one faust worker does here with this shape.
    """
    rates: list[float] = []
    raw: list[float] = []
    rss: list[float] = []
    cpu: list[float] = []
    floor: list[dict[str, float]] = []
    for _ in range(runs):
        with broker() as bootstrap:
            _one_run(bootstrap, n, rates, raw, rss, cpu, floor)
    return {
        "evaluator_events_per_s": summary(rates),
        "evaluator_events_per_cpu_s": summary(cpu),
        "raw_consume_records_per_s": summary(raw),
        "faust_floor_events_per_s": summary([f["events_per_s"] for f in floor]),
        "faust_floor_events_per_cpu_s": summary([f["events_per_cpu_s"] for f in floor]),
        "evaluator_rss_mb": summary(rss, 1),
        "evaluator_events": n,
    }


def _one_run(
    bootstrap: str,
    n: int,
    rates: list[float],
    raw: list[float],
    rss: list[float],
    cpu: list[float] | None = None,
    floor: list[dict[str, float]] | None = None,
) -> None:
    messages = [(e.key, e.to_bytes()) for e in submissions(n)]
    topic_prefix = uuid.uuid4().hex[:6]
    # a fresh consumer group; the broker is new, so the topic holds exactly these n records
    create_topics(
        bootstrap,
        {"submissions": 4, "assessments": 4, "status-changes": 4, "submissions-dlq": 1},
    )
    with tempfile.TemporaryDirectory() as tmp:
        produce_all(bootstrap, "submissions", messages)
        raw.append(_raw_consume(bootstrap, "submissions", n))
        if floor is not None:
            floor.append(_faust_floor(bootstrap, n, f"floor-{topic_prefix}", f"{tmp}/floor"))
        port = free_port()
        env = {
            **os.environ,
            "PLANWATCH_KAFKA_BOOTSTRAP": bootstrap,
            "PLANWATCH_DATA_DIR": tmp,
            "PLANWATCH_EVALUATOR_WEB_PORT": str(port),
            "PLANWATCH_EVALUATOR_APP_ID": f"bench-{topic_prefix}",
            "PLANWATCH_EVALUATOR_SESSION_TIMEOUT_S": "6",
        }
        proc = subprocess.Popen(
            [sys.executable, "-m", "planwatch_evaluator"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        worker = psutil.Process(proc.pid)
        try:
            total = n
            first = None
            deadline = time.monotonic() + 900
            while time.monotonic() < deadline:
                done = _assessed(port)
                if done and first is None:
                    first = (time.perf_counter(), done, _cpu_s(worker))
                if done >= total:
                    break
                time.sleep(0.05)
            assert first is not None
            rates.append((done - first[1]) / (time.perf_counter() - first[0]))
            if cpu is not None:
                cpu.append((done - first[1]) / max(_cpu_s(worker) - first[2], 1e-9))
            rss.append(psutil.Process(proc.pid).memory_info().rss / 2**20)
        finally:
            proc.terminate()
            proc.wait(30)
