"""Publish outbox rows with aiokafka's producer as it is meant to be used.

Idempotent (``enable_idempotence=True``, hence ``acks=all``): the producer retries a batch the
broker did not acknowledge under the same producer id and sequence numbers, and Apache Kafka
keeps it once. Within a round the producer rides out a broker outage shorter than
``delivery_timeout_s`` (it reconnects by itself and resends under the same sequence numbers), so
such a restart writes no record twice. A round that fails past that is given up: the relay stops
the producer and the next round starts a new one (a new producer id), so a batch the broker had
written without acknowledging it is written again, and consumers drop the repeat by
``event_id``. The topic is created at start when
it is absent (``auto.create.topics.enable=false`` on our brokers); where an operator creates it
beforehand, that call finds it there.

Rows go out through the producer's batch API (``create_batch`` / ``send_batch``), a record
batch per partition at a time, each row on the partition ``send`` would pick for its key; the
batches take the idempotent producer's sequence numbers as ``send``'s do.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.producer.message_accumulator import BatchBuilder

from planwatch_ingest.ports import OutboxRow

__all__ = ["KafkaPublisher", "KeyPartitioner"]

log = logging.getLogger("planwatch_ingest.publisher")


class KafkaPublisher:
    def __init__(
        self,
        bootstrap: str,
        topic: str,
        *,
        partitions: int,
        replication: int = 1,
        linger_ms: int = 5,
        delivery_timeout_s: float = 60.0,
        probe_timeout_s: float = 3.0,
        metadata_max_age_ms: int = 5000,
    ) -> None:
        self._bootstrap = bootstrap
        self._topic = topic
        self._partitions = partitions
        self._replication = replication
        self._linger_ms = linger_ms
        self._delivery_timeout = delivery_timeout_s
        self._metadata_max_age_ms = metadata_max_age_ms
        self._probe_timeout = probe_timeout_s
        self._producer: AIOKafkaProducer | None = None
        self._admin: AIOKafkaAdminClient | None = None
        self._partitioner = KeyPartitioner()

    async def start(self) -> None:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self._bootstrap,
            request_timeout_ms=int(self._probe_timeout * 1000),
            client_id="planwatch-ingest-admin",
        )
        producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            enable_idempotence=True,
            acks="all",
            linger_ms=self._linger_ms,
            max_batch_size=1024 * 1024,
            # A batch is retried (same sequence numbers) for this long before it fails.
            request_timeout_ms=int(self._delivery_timeout * 1000),
            client_id="planwatch-ingest",
            metadata_max_age_ms=self._metadata_max_age_ms,
        )
        try:
            await asyncio.wait_for(admin.start(), self._probe_timeout * 3)
            await self._ensure_topic(admin)
            await asyncio.wait_for(producer.start(), self._probe_timeout * 3)
        except BaseException:
            await producer.stop()
            await admin.close()
            raise
        self._admin, self._producer = admin, producer

    async def _ensure_topic(self, admin: AIOKafkaAdminClient) -> None:
        topic = NewTopic(self._topic, self._partitions, self._replication)
        try:
            response = await asyncio.wait_for(admin.create_topics([topic]), self._probe_timeout)
        except TopicAlreadyExistsError:
            return
        for entry in getattr(response, "topic_errors", ()):
            code = entry[1]
            if code not in (0, TopicAlreadyExistsError.errno):
                raise RuntimeError(f"creating topic {self._topic} failed with error {code}")

    async def stop(self) -> None:
        producer, self._producer = self._producer, None
        admin, self._admin = self._admin, None
        if producer is not None:
            await producer.stop()
        if admin is not None:
            await admin.close()

    async def reachable(self) -> bool:
        """Whether the broker answers a metadata request now."""
        if self._admin is None:
            return False
        try:
            await asyncio.wait_for(self._admin.describe_cluster(), self._probe_timeout)
        except Exception:
            return False
        return True

    async def publish(self, rows: Sequence[OutboxRow]) -> set[int]:
        """Send in ledger order; the seqs the broker acknowledged (fewer when some failed).

        The rows go out as whole record batches, one run of batches per partition, each row in
        the partition ``send`` would have picked for its key. ``send`` costs a future, a
        metadata wait and a murmur2 hash per record, more than the rest of the relay's work.
        """
        if self._producer is None:
            raise RuntimeError("publisher not started")
        producer = self._producer
        partitions = await producer.partitions_for(self._topic)
        partition_of = self._partitioner.lookup(partitions)
        runs: dict[int, list[_Batch]] = {}
        for row in rows:
            partition = partition_of(row.key)
            batches = runs.get(partition)
            if batches is None:
                batches = runs[partition] = [_Batch(producer.create_batch())]
            batch = batches[-1]
            if batch.builder.append(key=row.key, value=row.payload, timestamp=None) is None:
                # full: the next batch of this partition takes the row
                batch = _Batch(producer.create_batch())
                batches.append(batch)
                if batch.builder.append(key=row.key, value=row.payload, timestamp=None) is None:
                    raise ValueError(f"event {row.seq} does not fit in a record batch")
            batch.seqs.append(row.seq)
        results = await asyncio.gather(
            *(self._send_run(partition, batches) for partition, batches in runs.items())
        )
        done: set[int] = set()
        failed: BaseException | None = None
        for acknowledged, error in results:
            done.update(acknowledged)
            failed = error or failed
        if failed is not None:
            missing = len(rows) - len(done)
            log.warning("%d of %d events not acknowledged: %r", missing, len(rows), failed)
        return done

    async def _send_run(
        self, partition: int, batches: list[_Batch]
    ) -> tuple[list[int], BaseException | None]:
        """Queue a partition's batches in order, then wait for the broker's answers.

        The seqs of the batches the broker acknowledged, and the first error. A batch that
        cannot be queued stops the run: a later batch must not overtake it on the partition.
        """
        assert self._producer is not None
        producer, topic = self._producer, self._topic
        queued: list[tuple[_Batch, asyncio.Future[Any]]] = []
        failed: BaseException | None = None
        for batch in batches:
            batch.builder.close()  # complete: sent without lingering for more records
            try:
                future = await producer.send_batch(batch.builder, topic, partition=partition)
            except Exception as exc:
                failed = exc
                break
            queued.append((batch, future))
        acknowledged: list[int] = []
        for batch, future in queued:
            try:
                await future
            except Exception as exc:
                failed = failed or exc
            else:
                acknowledged.extend(batch.seqs)
        return acknowledged, failed


class _Batch:
    """A record batch being filled and the outbox seqs it carries."""

    __slots__ = ("builder", "seqs")

    def __init__(self, builder: BatchBuilder) -> None:
        self.builder = builder
        self.seqs: list[int] = []


class KeyPartitioner:
    """The partition ``AIOKafkaProducer.send`` picks for a key, remembered per key.

    ``send`` calls its partitioner (``DefaultPartitioner``: murmur2 of the key, as the Java
    client) with the topic's partitions as a list; keys repeat (one per indicator and
    jurisdiction), so the pure-Python hash is computed once per key and partition set.
    """

    def __init__(self, limit: int = 100_000) -> None:
        self._partitioner = DefaultPartitioner()
        self._limit = limit
        self._all: list[int] = []
        self._known: dict[bytes, int] = {}

    def lookup(self, partitions: Iterable[int]) -> Callable[[bytes], int]:
        """The partition of a key among ``partitions`` (as the producer's metadata has them)."""
        listed = list(partitions)  # as send lists them: the partitioner indexes this list
        if listed != self._all:  # another partition count: keys move, as they do with send
            self._all, self._known = listed, {}
        known, pick, limit = self._known, self._partitioner, self._limit

        def of(key: bytes) -> int:
            partition = known.get(key)
            if partition is None:
                if len(known) >= limit:
                    known.clear()
                partition = known[key] = pick(key, listed, listed)
            return partition

        return of
