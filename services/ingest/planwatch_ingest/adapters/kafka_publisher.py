"""Publish outbox rows with aiokafka (acks=all, batches built per partition).

aiokafka has no idempotent producer against Tansu, so delivery is at least once and consumers
dedupe by ``event_id``. A marker topic that only this service creates tells whether the broker
still holds what was published: Tansu keeps nothing across a restart, and a metadata request
does not auto-create a topic that is merely listed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.partitioner import murmur2

from planwatch_ingest.ports import OutboxRow

__all__ = ["KafkaPublisher"]

log = logging.getLogger("planwatch_ingest.publisher")


class KafkaPublisher:
    def __init__(
        self,
        bootstrap: str,
        topic: str,
        *,
        partitions: int,
        marker_topic: str,
        linger_ms: int = 5,
        timeout_s: float = 10.0,
    ) -> None:
        self._bootstrap = bootstrap
        self._topic = topic
        self._partitions = partitions
        self._marker = marker_topic
        self._linger_ms = linger_ms
        self._timeout = timeout_s
        self._producer: AIOKafkaProducer | None = None
        self._partition_of: dict[bytes, int] = {}

    async def start(self) -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            acks="all",
            linger_ms=self._linger_ms,
            max_batch_size=1024 * 1024,
            request_timeout_ms=int(self._timeout * 1000),
            client_id="planwatch-ingest",
        )
        try:
            await asyncio.wait_for(producer.start(), self._timeout)
        except BaseException:
            await producer.stop()
            raise
        self._producer = producer

    async def stop(self) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            await producer.stop()

    def _require(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise RuntimeError("publisher not started")
        return self._producer

    async def intact(self) -> bool:
        client = self._require().client
        metadata = await asyncio.wait_for(client.fetch_all_metadata(), self._timeout)
        topics = metadata.topics()
        return self._marker in topics and self._topic in topics

    async def restore(self) -> set[str]:
        await self._create_topics()
        present = await self._event_ids_on_topic()
        await self._create_topic(NewTopic(self._marker, 1, 1))
        self._partition_of.clear()
        await self._require().client.force_metadata_update()
        return present

    async def _create_topics(self) -> None:
        await self._create_topic(NewTopic(self._topic, self._partitions, 1))

    async def _create_topic(self, topic: NewTopic) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap, request_timeout_ms=10_000)
        await asyncio.wait_for(admin.start(), self._timeout)
        try:
            response = await asyncio.wait_for(admin.create_topics([topic]), self._timeout)
            for entry in getattr(response, "topic_errors", ()):
                code = entry[1]
                if code not in (0, TopicAlreadyExistsError.errno):
                    raise RuntimeError(f"creating topic {topic.name} failed with error {code}")
        except TopicAlreadyExistsError:
            pass
        finally:
            await admin.close()

    async def _event_ids_on_topic(self) -> set[str]:
        """Event ids already on the (new) topic: produced after the restart, before we noticed."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            enable_auto_commit=False,
            fetch_max_wait_ms=10,
            client_id="planwatch-ingest-restore",
        )
        await asyncio.wait_for(consumer.start(), self._timeout)
        found: set[str] = set()
        try:
            parts = consumer.partitions_for_topic(self._topic) or set()
            if not parts:
                await consumer._client.force_metadata_update()
                parts = consumer.partitions_for_topic(self._topic) or set()
            tps = [TopicPartition(self._topic, p) for p in sorted(parts)]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self._timeout * 3
            while loop.time() < deadline:
                batch = await consumer.getmany(*tps, timeout_ms=200)
                for records in batch.values():
                    for record in records:
                        if record.value:
                            found.add(orjson.loads(record.value)["event_id"])
                # The high watermark of fetch responses is right on Tansu (end offsets are not).
                done = True
                for tp in tps:
                    high = consumer.highwater(tp)
                    if high is None or await consumer.position(tp) < high:
                        done = False
                if done:
                    return found
            raise TimeoutError("could not read the topic back to its end")
        finally:
            await consumer.stop()

    def _partition(self, key: bytes, count: int) -> int:
        part = self._partition_of.get(key)
        if part is None:
            # The Java client's murmur2 partitioner: the same key lands where other clients put it.
            part = (murmur2(key) & 0x7FFFFFFF) % count
            self._partition_of[key] = part
        return part

    async def publish(self, rows: Sequence[OutboxRow]) -> set[int]:
        producer = self._require()
        client = producer.client
        await asyncio.wait_for(client._wait_on_metadata(self._topic), self._timeout)
        count = len(client.cluster.partitions_for_topic(self._topic) or ())
        if count == 0:
            raise RuntimeError(f"topic {self._topic} has no partitions")
        by_partition: dict[int, list[OutboxRow]] = {}
        for row in rows:
            by_partition.setdefault(self._partition(row.key, count), []).append(row)
        futures: list[tuple[asyncio.Future[object], list[int]]] = []
        for part, part_rows in by_partition.items():
            batch = producer.create_batch()
            seqs: list[int] = []
            for row in part_rows:
                if batch.append(key=row.key, value=row.payload, timestamp=None) is None:
                    batch.close()
                    fut = await producer.send_batch(batch, self._topic, partition=part)
                    futures.append((fut, seqs))
                    batch, seqs = producer.create_batch(), []
                    batch.append(key=row.key, value=row.payload, timestamp=None)
                seqs.append(row.seq)
            batch.close()
            fut = await producer.send_batch(batch, self._topic, partition=part)
            futures.append((fut, seqs))
        results = await asyncio.gather(*(f for f, _ in futures), return_exceptions=True)
        done: set[int] = set()
        for (_, seqs), result in zip(futures, results, strict=True):
            if isinstance(result, BaseException):
                log.warning("publish failed: %r", result)
            else:
                done.update(seqs)
        return done
