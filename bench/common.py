"""Shared pieces of the benchmarks: a broker, free ports, summaries, synthetic submissions."""

from __future__ import annotations

import asyncio
import socket
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from itertools import count
from pathlib import Path

from planwatch.catalog import default_catalog
from planwatch.domain.events import SubmissionEvent
from planwatch.stack.broker import KafkaNode
from planwatch.stack.broker import create_topics as _create_topics

__all__ = [
    "broker",
    "create_topics",
    "free_port",
    "periods_taken",
    "produce_all",
    "submissions",
    "summary",
]


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


def periods_taken(first_year: int, last_year: int, today: date, monthly: bool) -> list[str]:
    """Every finished month (or, for an annual indicator that takes no year-to-date figure,
    every finished year) of the plan, 10 years at most: the periods ingest accepts."""
    first_year = max(first_year, last_year - 9)
    if not monthly:
        return [str(year) for year in range(first_year, min(last_year, today.year - 1) + 1)]
    out = []
    for year in range(first_year, last_year + 1):
        for month in range(1, 13):
            if (year, month) < (today.year, today.month):
                out.append(f"{year}-{month:02d}")
    return out


def submissions(n: int) -> list[SubmissionEvent]:
    """``n`` valid submissions spread over every catalog indicator, each for a period ingest
    accepts for it (``periods_taken``: months for the indicators that take year-to-date
    figures, years for the others); past each indicator's last period, revisions from its
    first again."""
    from planwatch_ingest.rules import rules_for

    catalog = default_catalog()
    rules = rules_for(catalog)
    today = date.today()
    entries = list(catalog)
    options = {}
    for entry in entries:
        rule = rules[entry.id]
        options[entry.id] = periods_taken(rule.first_year, rule.last_year, today, rule.year_to_date)
    out = []
    for i in range(n):
        entry = entries[i % len(entries)]
        periods = options[entry.id]
        out.append(
            SubmissionEvent(
                catalog_version=catalog.version,
                submission_id=f"b{next(_serial)}",
                indicator_id=entry.id,
                jurisdiction=entry.jurisdiction,
                period=periods[(i // len(entries)) % len(periods)],
                value=float(1 + i % 89),  # within every rule's bounds (shares, ranks)
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
