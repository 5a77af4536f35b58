"""Shared pieces of the benchmarks: a broker, free ports, summaries, synthetic submissions."""

from __future__ import annotations

import asyncio
import socket
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from pathlib import Path

from planwatch.catalog import default_catalog
from planwatch.domain.events import SubmissionEvent
from planwatch.stack.broker import KafkaNode
from planwatch.stack.broker import create_topics as _create_topics

__all__ = ["broker", "create_topics", "free_port", "produce_all", "submissions", "summary"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def summary(values: list[float], digits: int = 0) -> dict[str, object]:
    """Median, min and max of the runs, and each run's value (for the plots)."""
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "runs": len(values),
        "values": [round(v, digits) for v in values],
    }


@contextmanager
def broker() -> Iterator[str]:
    """An Apache Kafka broker of its own on free ports (the one ``planwatch run`` starts)."""
    with tempfile.TemporaryDirectory(prefix="bench-broker-") as tmp:
        running = KafkaNode(Path(tmp), heap="1g").start()
        try:
            yield running.bootstrap
        finally:
            running.stop()


def create_topics(bootstrap: str, topics: dict[str, int]) -> None:
    _create_topics(bootstrap, topics.items())


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
