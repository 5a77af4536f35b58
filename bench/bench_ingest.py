"""Ingest throughput: records/s accepted by ``POST /v1/submissions`` and on the topic.

``bench_ingest(bootstrap)`` starts ``python -m planwatch_ingest`` against the broker, with a
generated national-size catalog, and drives it from a separate load process with batches of
500 records over keep-alive connections. A run ends when the last record is on the topic (the
outbox backlog is 0). ``raw_produce`` is the baseline: the same event bytes produced straight to
the broker with aiokafka, batched.

    python bench/bench_ingest.py            # starts its own Kafka broker, prints JSON
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import yaml

__all__ = ["bench_ingest", "make_catalog", "raw_produce"]

JURISDICTIONS = 40
INDICATORS = 25  # per jurisdiction: 1,000 entries, monthly


def make_catalog(root: Path) -> list[str]:
    """A national-size catalog (1,000 monthly entries); returns the entry ids."""
    (root / "plans").mkdir(parents=True, exist_ok=True)
    (root / "agencies").mkdir(exist_ok=True)
    ids: list[str] = []
    for j in range(JURISDICTIONS):
        # each jurisdiction's registry: the lead (and publisher) of its entries
        registry = {
            "jurisdiction": f"地区{j}",
            "agencies": [
                {"id": f"b{j}-kjj", "name": "科技局", "name_en": "science bureau", "level": "city"},
                {
                    "id": f"b{j}-tjj",
                    "name": "统计局",
                    "name_en": "statistics bureau",
                    "level": "city",
                },
            ],
        }
        (root / "agencies" / f"bench{j:03d}.yaml").write_text(
            yaml.safe_dump(registry, allow_unicode=True), encoding="utf-8"
        )
        entries = []
        for i in range(INDICATORS):
            entry_id = f"bench{j}-ind{i}"
            ids.append(entry_id)
            entries.append(
                {
                    "id": entry_id,
                    "section": "bench",
                    "indicator": f"指标{i}",
                    "indicator_en": f"indicator {i}",
                    "unit": "亿元",
                    "kind": "level",
                    "direction": "higher",
                    "frequency": "monthly",
                    "targets": [{"year": 2030, "value": 100}],
                    "lead_agencies": ["科技局"],
                    "source_quote": "bench",
                }
            )
        plan = {
            "plan": {
                "code": f"bench{j}",
                "seed": "000_7ade8bec270da3d1.txt",
                "title": f"基准{j}",
                "title_en": f"bench {j}",
                "jurisdiction": f"地区{j}",
                "start_year": 2015,
                "end_year": 2030,
            },
            "entries": entries,
        }
        (root / "plans" / f"bench{j:03d}.yaml").write_text(
            yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8"
        )
    return ids


def _bodies(ids: list[str], records: int, batch: int, salt: int) -> list[bytes]:
    # years already begun (ingest refuses later ones): 11 years × 11 months × 1,000 entries,
    # more distinct figures than a run sends
    periods = [f"{y}-{m:02d}" for y in range(2016, date.today().year + 1) for m in range(1, 12)]
    rows = []
    n = 0
    while len(rows) < records:
        for period in periods:
            for entry_id in ids:
                rows.append({"indicator_id": entry_id, "period": period, "value": salt + n * 1e-3})
                n += 1
                if len(rows) == records:
                    break
            if len(rows) == records:
                break
    return [orjson.dumps(rows[i : i + batch]) for i in range(0, len(rows), batch)]


def _load(port: int, key: str, bodies_path: str, connections: int) -> None:
    """The load process: post every body, fail loudly on anything but 202."""
    bodies = orjson.loads(Path(bodies_path).read_bytes())
    encoded = [b.encode() for b in bodies]
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    lock = threading.Lock()
    errors: list[str] = []

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if not encoded:
                    break
                body = encoded.pop()
            conn.request("POST", "/v1/submissions", body, headers)
            response = conn.getresponse()
            answer = response.read()
            if response.status != 202:
                errors.append(f"{response.status}: {answer[:300]!r}")
                break
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    started = time.time()  # wall clock: compared with the parent's, another process
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"load failed: {errors[0]}")
    print(json.dumps({"started": started, "finished": time.time()}))


def _backlog(port: int) -> float:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    conn.close()
    for line in text.splitlines():
        if line.startswith("planwatch_ingest_outbox_backlog "):
            return float(line.split()[1])
    raise RuntimeError("no backlog metric")


def _wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/readyz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"ingest on {port} not ready")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_ingest(
    bootstrap: str,
    *,
    records: int = 200_000,
    batch: int = 500,
    connections: int = 4,
    runs: int = 3,
) -> dict[str, Any]:
    """Median, min and max records/s over ``runs`` runs (each with a fresh ledger and topic)."""
    from planwatch.security import KeyStore, Role

    accepted: list[float] = []
    on_topic: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        root = Path(tmp)
        ids = make_catalog(root / "catalog")
        keys_url = f"sqlite:///{root / 'keys.db'}"
        store = KeyStore(keys_url)
        key, _ = store.create("bench", ["*"], [Role.SUBMIT])
        store.close()
        for run in range(runs):
            port = _free_port()
            topic = f"bench-submissions-{uuid.uuid4().hex[:8]}"
            env = {
                **os.environ,
                "PLANWATCH_INGEST_PORT": str(port),
                "PLANWATCH_INGEST_CATALOG_DIR": str(root / "catalog"),
                "PLANWATCH_INGEST_LEDGER_PATH": str(root / f"ledger-{run}.db"),
                "PLANWATCH_INGEST_TOPIC": topic,
                "PLANWATCH_INGEST_LOG_LEVEL": "WARNING",
                "PLANWATCH_KAFKA_BOOTSTRAP": bootstrap,
                "PLANWATCH_KEYS_DB_URL": keys_url,
                "PLANWATCH_DATA_DIR": str(root),
            }
            server = subprocess.Popen([sys.executable, "-m", "planwatch_ingest"], env=env)
            try:
                _wait_port(port)
                bodies_path = root / "bodies.json"
                bodies = _bodies(ids, records, batch, salt=run * 1000)
                bodies_path.write_bytes(orjson.dumps([b.decode() for b in bodies]))
                argv = [sys.executable, __file__, "--load", str(port), key, str(bodies_path)]
                argv.append(str(connections))
                load = subprocess.run(
                    argv,
                    check=True,
                    capture_output=True,
                )
                times = json.loads(load.stdout.decode().strip().splitlines()[-1])
                started, accepted_at = times["started"], times["finished"]
                while _backlog(port) > 0:
                    time.sleep(0.01)
                done_at = time.time()
            finally:
                server.terminate()
                server.wait(30)
            accepted.append(records / (accepted_at - started))
            on_topic.append(records / (done_at - started))
    return {
        "ingest_records_per_s": _summary(on_topic),
        "ingest_accepted_records_per_s": _summary(accepted),
        "records": records,
        "batch": batch,
        "connections": connections,
    }


def _summary(values: list[float]) -> dict[str, object]:
    return {
        "median": round(statistics.median(values)),
        "min": round(min(values)),
        "max": round(max(values)),
        "runs": len(values),
        "values": [round(v) for v in values],
    }


async def _raw_produce_once(bootstrap: str, payloads: list[tuple[bytes, bytes]]) -> float:
    from aiokafka import AIOKafkaProducer

    from bench.common import create_topics

    topic = f"bench-raw-{uuid.uuid4().hex[:8]}"
    # as many partitions as submissions (the broker creates no topic by itself)
    await asyncio.to_thread(create_topics, bootstrap, {topic: 4})
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=5, max_batch_size=1024 * 1024
    )
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"warm-up")
        started = time.perf_counter()
        futures = [await producer.send(topic, value, key=key) for key, value in payloads]
        await asyncio.gather(*futures)
        return len(payloads) / (time.perf_counter() - started)
    finally:
        await producer.stop()


def raw_produce(bootstrap: str, *, records: int = 200_000, runs: int = 3) -> dict[str, object]:
    """The same kind of event bytes produced straight to the broker: the ceiling."""
    payload = orjson.dumps(
        {
            "schema_version": 1,
            "event_id": uuid.uuid4().hex,
            "indicator_id": "bench0-ind0",
            "jurisdiction": "地区0",
            "period": "2024-05",
            "value": 1.5,
            "unit": "亿元",
        }
    )
    payloads = [(f"bench0-ind{i % 25}|地区{i % 40}".encode(), payload) for i in range(records)]
    rates = [asyncio.run(_raw_produce_once(bootstrap, payloads)) for _ in range(runs)]
    return _summary(rates)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--load":
        _load(int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]))
        raise SystemExit(0)
    from bench.common import broker

    with broker() as address:
        result = bench_ingest(address)
        result["raw_produce_records_per_s"] = raw_produce(address)
        print(json.dumps(result, indent=2))
