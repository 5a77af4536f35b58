"""The publisher hands records to the producer as closed batches, per partition, in order."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from planwatch_evaluator.adapters.kafka import FaustPublisher


class FakeBatch:
    def __init__(self, capacity: int) -> None:
        self.records: list[tuple[bytes | None, bytes]] = []
        self.capacity, self.closed = capacity, False

    def append(self, *, key: bytes | None, value: bytes, timestamp: None) -> object | None:
        assert not self.closed
        if len(self.records) >= self.capacity:
            return None
        self.records.append((key, value))
        return object()

    def close(self) -> None:
        self.closed = True


class FakeProducer:
    """aiokafka's producer as the publisher uses it: batches, partitioner, metadata."""

    def __init__(self, capacity: int = 3) -> None:
        self.capacity = capacity
        self.submitted: list[tuple[str, int, list[tuple[bytes | None, bytes]]]] = []
        self.metadata_waits: list[str] = []
        self.client = SimpleNamespace(_wait_on_metadata=self._wait_on_metadata)
        self.flushes = 0

    async def _wait_on_metadata(self, topic: str) -> None:
        self.metadata_waits.append(topic)

    def _partition(self, topic: str, partition: Any, key: Any, value: Any, k: bytes, v: Any) -> int:
        return len(k) % 2  # stands in for murmur2

    def create_batch(self) -> FakeBatch:
        return FakeBatch(self.capacity)

    async def send_batch(self, batch: FakeBatch, topic: str, *, partition: int) -> Any:
        assert batch.closed  # a closed batch is sent without waiting for the linger time
        self.submitted.append((topic, partition, list(batch.records)))
        done = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    async def flush(self) -> None:
        self.flushes += 1


def publisher(producer: FakeProducer) -> FaustPublisher:
    app = SimpleNamespace(producer=SimpleNamespace(_ensure_producer=lambda: producer))
    app.producer.flush = producer.flush
    app.topic = lambda name, **kw: name
    return FaustPublisher(app, ["out"])  # type: ignore[arg-type]


async def test_records_go_in_closed_batches_per_partition_in_order() -> None:
    producer = FakeProducer(capacity=3)
    pub = publisher(producer)
    for i in range(5):
        await pub.send("out", b"k0", b"a%d" % i)  # partition 0 (even key length)
    await pub.send("out", b"k", b"b0")  # partition 1
    await pub.send("log", b"x", b"c0", 1)  # partition given
    assert producer.submitted == []  # queued until flushed
    await pub.flush()
    assert producer.flushes == 1
    assert producer.submitted == [
        ("out", 0, [(b"k0", b"a0"), (b"k0", b"a1"), (b"k0", b"a2")]),
        ("out", 0, [(b"k0", b"a3"), (b"k0", b"a4")]),  # the first batch was full
        ("out", 1, [(b"k", b"b0")]),
        ("log", 1, [(b"x", b"c0")]),
    ]
    assert producer.metadata_waits == ["out"]  # once per topic partitioned by key and round
    await pub.flush()
    assert len(producer.submitted) == 4  # nothing left over


async def test_a_record_sent_alone_follows_what_was_queued_for_its_partition() -> None:
    producer = FakeProducer()
    pub = publisher(producer)
    await pub.send("log", b"s1", b"state", 2)
    await pub.send("log", b"s2", b"other", 3)
    await pub.send_alone("log", 2, b"marker", b"1")
    assert producer.submitted == [
        ("log", 2, [(b"s1", b"state")]),
        ("log", 2, [(b"marker", b"1")]),
    ]
    await pub.flush()
    assert producer.submitted[-1] == ("log", 3, [(b"s2", b"other")])
