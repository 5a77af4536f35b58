"""Against the real broker: the publisher's record batches land where ``send`` puts a record.

A key's partition must not depend on how the relay produces it (consumers keep a series on
one partition), so each published row is compared with the partition the producer's own
``send`` gives the same key; within a partition the rows are in ledger order, also when a
round takes several batches.
"""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from planwatch_ingest.adapters.kafka_publisher import KafkaPublisher, KeyPartitioner
from planwatch_ingest.ports import OutboxRow

pytestmark = pytest.mark.integration

PARTITIONS = 6


async def read_all(bootstrap: str, topic: str, expected: int) -> list[tuple[int, bytes, bytes]]:
    """(partition, key, value) of every record, in offset order within each partition."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", fetch_max_wait_ms=10
    )
    await consumer.start()
    got: list[tuple[int, bytes, bytes]] = []
    try:
        for _ in range(300):
            batch = await consumer.getmany(timeout_ms=200)
            for records in batch.values():
                got.extend((r.partition, r.key or b"", r.value or b"") for r in records)
            if len(got) >= expected:
                break
    finally:
        await consumer.stop()
    return got


async def test_each_key_goes_to_the_partition_send_picks(kafka_bootstrap: str) -> None:
    topic = f"partitions-{uuid.uuid4().hex[:8]}"
    keys = [f"ind{i}|地区{i % 40}".encode() for i in range(400)]
    publisher = KafkaPublisher(kafka_bootstrap, topic, partitions=PARTITIONS)
    await publisher.start()  # creates the topic
    try:
        sent = [OutboxRow(n + 1, f"e{n}", key, b"%d" % n) for n, key in enumerate(keys)]
        assert await publisher.publish(sent) == {row.seq for row in sent}
    finally:
        await publisher.stop()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        chosen = {}
        for key in keys:
            meta = await producer.send_and_wait(topic, b"probe", key=key)
            chosen[key] = meta.partition
        lookup = KeyPartitioner().lookup(await producer.partitions_for(topic))
    finally:
        await producer.stop()
    assert len(set(chosen.values())) == PARTITIONS
    assert {key: lookup(key) for key in keys} == chosen
    records = await read_all(kafka_bootstrap, topic, 2 * len(keys))
    published = [(p, k) for p, k, v in records if v != b"probe"]
    assert sorted(published) == sorted((chosen[k], k) for k in keys)


async def test_a_round_of_several_batches_keeps_ledger_order(kafka_bootstrap: str) -> None:
    topic = f"batches-{uuid.uuid4().hex[:8]}"
    publisher = KafkaPublisher(kafka_bootstrap, topic, partitions=2)
    await publisher.start()
    payload = b"x" * 20_000  # 3 MB a round: several 1 MB batches per partition
    sent = [
        OutboxRow(n, f"e{n}", f"ind{n % 5}|city".encode(), b"%06d" % n + payload)
        for n in range(1, 151)
    ]
    try:
        assert await publisher.publish(sent) == {row.seq for row in sent}
    finally:
        await publisher.stop()
    records = await read_all(kafka_bootstrap, topic, len(sent))
    assert len(records) == len(sent)
    for partition in {p for p, _, _ in records}:
        seqs = [int(v[:6]) for p, _, v in records if p == partition]
        assert seqs == sorted(seqs)
