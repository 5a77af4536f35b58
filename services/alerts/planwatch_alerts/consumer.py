"""Consume status changes; commit an offset only after its events are stored."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from pydantic import ValidationError

from planwatch.domain.events import StatusChange

__all__ = ["consume"]

log = logging.getLogger("planwatch.alerts.consumer")


async def consume(
    bootstrap: str,
    topic: str,
    group_id: str,
    session_timeout_s: float,
    handle: Callable[[Sequence[StatusChange]], object],
    stopping: asyncio.Event,
) -> None:
    """Run until ``stopping`` is set; reconnect with a pause when the broker is away.

    ``handle`` stores each fetched batch at once (one transaction). Redelivery after a crash
    or a rebalance is expected (offsets are committed after the batch is stored): ``handle``
    ignores an event id it has seen.
    """
    while not stopping.is_set():
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=10,  # Tansu answers a fetch only when this wait expires
            session_timeout_ms=int(session_timeout_s * 1000),
            heartbeat_interval_ms=int(session_timeout_s * 250),
        )
        try:
            await consumer.start()
            while not stopping.is_set():
                batch = await consumer.getmany(timeout_ms=200, max_records=500)
                changes: list[StatusChange] = []
                for records in batch.values():
                    for record in records:
                        try:
                            change = StatusChange.from_bytes(record.value or b"")
                        except ValidationError as exc:
                            log.warning(
                                "skipping a malformed status change at %s/%s: %s",
                                record.partition, record.offset, exc,
                            )  # fmt: skip
                            continue
                        changes.append(change)
                if changes:
                    await asyncio.to_thread(handle, changes)
                if batch:
                    await consumer.commit()
        except KafkaError as exc:
            log.warning("broker unavailable (%s); retrying in 2 s", exc)
            await asyncio.sleep(2)
        except Exception:  # e.g. the database away: the batch is not committed, so it comes back
            log.exception("handling status changes failed; resuming from the last commit in 2 s")
            await asyncio.sleep(2)
        finally:
            await consumer.stop()
