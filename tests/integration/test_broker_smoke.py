"""The test broker really speaks the Kafka protocol: what is produced is fetched back."""

from __future__ import annotations

import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from support.kafka import create_topics

pytestmark = pytest.mark.integration


async def test_produce_then_consume_round_trip(kafka_bootstrap: str) -> None:
    topic = f"smoke-{uuid.uuid4().hex[:8]}"
    create_topics(kafka_bootstrap, [topic], partitions=1)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for i in range(5):
            await producer.send_and_wait(topic, f"m{i}".encode(), key=b"k")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=kafka_bootstrap,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=10,
    )
    await consumer.start()
    try:
        got: list[bytes] = []
        while len(got) < 5:
            batch = await consumer.getmany(timeout_ms=2000)
            assert batch, "the broker returned nothing within 2 s"
            for records in batch.values():
                got.extend(r.value for r in records if r.value is not None)
    finally:
        await consumer.stop()
    assert got == [f"m{i}".encode() for i in range(5)]
