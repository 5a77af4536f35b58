"""Publish outbox rows with aiokafka's producer as it is meant to be used.

Idempotent (``enable_idempotence=True``, hence ``acks=all``): the producer retries a batch the
broker did not acknowledge under the same producer id and sequence numbers, and Apache Kafka
keeps it once. The producer is kept across broker outages (it reconnects by itself), so a
retry after a broker restart does not write a record twice. The topic is created at start when
it is absent (``auto.create.topics.enable=false`` on our brokers); where an operator creates it
beforehand, that call finds it there.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

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
        """Send in ledger order; the seqs the broker acknowledged (fewer when some failed)."""
        if self._producer is None:
            raise RuntimeError("publisher not started")
        producer = self._producer
        futures = [await producer.send(self._topic, value=row.payload, key=row.key) for row in rows]
        results = await asyncio.gather(*futures, return_exceptions=True)
        done: set[int] = set()
        failed: BaseException | None = None
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, BaseException):
                failed = result
            else:
                done.add(row.seq)
        if failed is not None:
            missing = len(rows) - len(done)
            log.warning("%d of %d events not acknowledged: %r", missing, len(rows), failed)
        return done
