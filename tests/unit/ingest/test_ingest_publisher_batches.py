"""The publisher's record batches, with a fake producer at aiokafka's public batch API.

Each row goes to the partition ``send`` picks for its key, in ledger order within a partition;
a batch the broker refuses leaves its rows unacknowledged, and a batch that cannot be queued
stops its partition (a later batch must not overtake it). tests/integration/ingest runs the
publisher against the real broker.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka.errors import KafkaTimeoutError, NotLeaderForPartitionError
from aiokafka.partitioner import DefaultPartitioner

from planwatch_ingest.adapters.kafka_publisher import KafkaPublisher, KeyPartitioner
from planwatch_ingest.ports import OutboxRow


class FakeBatch:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.records: list[tuple[bytes, bytes]] = []
        self.closed = False

    def append(self, *, key: bytes, value: bytes, timestamp: float | None) -> object | None:
        assert timestamp is None  # the broker's clock, as with send
        if self.closed or len(self.records) == self.capacity:
            return None
        self.records.append((key, value))
        return object()

    def close(self) -> None:
        self.closed = True


class FakeProducer:
    """Takes batches as aiokafka's producer does; ``refuse`` and ``unqueued`` make failures."""

    def __init__(self, partitions: int, capacity: int = 3) -> None:
        self.partitions = set(range(partitions))
        self.capacity = capacity
        self.sent: list[tuple[int, list[tuple[bytes, bytes]]]] = []
        self.refuse: set[tuple[int, int]] = set()  # (partition, nth batch) the broker refuses
        self.unqueued: set[tuple[int, int]] = set()  # (partition, nth batch) send_batch raises
        self._count: dict[int, int] = {}

    async def partitions_for(self, topic: str) -> set[int]:
        return self.partitions

    def create_batch(self) -> FakeBatch:
        return FakeBatch(self.capacity)

    async def send_batch(self, batch: FakeBatch, topic: str, *, partition: int) -> Any:
        assert batch.closed, "a batch is closed before it is queued (no linger)"
        nth = self._count[partition] = self._count.get(partition, 0) + 1
        if (partition, nth) in self.unqueued:
            raise KafkaTimeoutError()
        self.sent.append((partition, batch.records))
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        if (partition, nth) in self.refuse:
            future.set_exception(NotLeaderForPartitionError())
        else:
            future.set_result(object())
        return future


def rows(n: int, keys: int = 7) -> list[OutboxRow]:
    return [
        OutboxRow(seq, f"e{seq}", f"ind{seq % keys}|city".encode(), f"v{seq}".encode())
        for seq in range(1, n + 1)
    ]


def partition_of(key: bytes, partitions: int) -> int:
    every = list(range(partitions))
    return int(DefaultPartitioner()(key, every, every))


def publisher(producer: FakeProducer) -> KafkaPublisher:
    publisher = KafkaPublisher("unused:9092", "submissions", partitions=4)
    publisher._producer = producer  # type: ignore[assignment]
    return publisher


async def test_every_row_is_sent_once_on_its_keys_partition_in_ledger_order() -> None:
    producer = FakeProducer(4)
    sent = rows(40)
    done = await publisher(producer).publish(sent)
    assert done == {row.seq for row in sent}
    by_partition: dict[int, list[bytes]] = {}
    for partition, records in producer.sent:
        assert 0 < len(records) <= producer.capacity
        for key, value in records:
            assert partition == partition_of(key, 4)
            by_partition.setdefault(partition, []).append(value)
    assert sorted(v for values in by_partition.values() for v in values) == sorted(
        row.payload for row in sent
    )
    for partition, values in by_partition.items():
        expected = [row.payload for row in sent if partition_of(row.key, 4) == partition]
        assert values == expected  # ledger order within the partition
    assert len(by_partition) > 1


async def test_a_refused_batch_leaves_only_its_rows_unacknowledged() -> None:
    producer = FakeProducer(4)
    sent = rows(40)
    partition = partition_of(sent[0].key, 4)
    producer.refuse.add((partition, 2))
    done = await publisher(producer).publish(sent)
    refused = [batch for p, batch in producer.sent if p == partition][1]
    missing = {row.seq for row in sent if (row.key, row.payload) in refused}
    assert len(missing) == producer.capacity
    assert done == {row.seq for row in sent} - missing


async def test_a_batch_that_cannot_be_queued_stops_its_partition() -> None:
    producer = FakeProducer(4)
    sent = rows(80)
    partition = partition_of(sent[0].key, 4)
    producer.unqueued.add((partition, 2))
    done = await publisher(producer).publish(sent)
    on_partition = [row for row in sent if partition_of(row.key, 4) == partition]
    first = {row.seq for row in on_partition[: producer.capacity]}
    assert len(on_partition) > 2 * producer.capacity  # there were batches after the refused one
    # the first batch is on the broker; nothing after the one that could not be queued went out
    assert [p for p, _ in producer.sent].count(partition) == 1
    others = {row.seq for row in sent if partition_of(row.key, 4) != partition}
    assert done == first | others


async def test_a_row_too_big_for_an_empty_batch_is_an_error() -> None:
    producer = FakeProducer(4, capacity=0)
    with pytest.raises(ValueError, match="does not fit"):
        await publisher(producer).publish(rows(1))


@pytest.mark.parametrize("partitions", [1, 3, 4, 12, 50])
def test_the_key_partitioner_picks_what_the_default_partitioner_picks(partitions: int) -> None:
    lookup = KeyPartitioner(limit=100).lookup(set(range(partitions)))
    keys = [f"ind{i}|地区{i % 40}".encode() for i in range(1000)] + [b"", b"x"]
    for _ in range(2):  # computed, then remembered (past the limit: computed again)
        assert [lookup(k) for k in keys] == [partition_of(k, partitions) for k in keys]


def test_another_partition_count_moves_keys_as_send_would() -> None:
    partitioner = KeyPartitioner()
    keys = [f"ind{i}|city".encode() for i in range(200)]
    four = partitioner.lookup({0, 1, 2, 3})
    assert [four(k) for k in keys] == [partition_of(k, 4) for k in keys]
    six = partitioner.lookup({0, 1, 2, 3, 4, 5})
    assert [six(k) for k in keys] == [partition_of(k, 6) for k in keys]
    assert [six(k) for k in keys] != [partition_of(k, 4) for k in keys]
