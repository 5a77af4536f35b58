"""Consume status changes; commit an offset only after its events are stored."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from pydantic import ValidationError

from planwatch.domain.events import StatusChange

__all__ = ["consume"]

log = logging.getLogger("planwatch.alerts.consumer")

# aiokafka retries a lost broker by itself, logging every failed try (dozens a second);
# these are its loggers that do so
CLIENT_LOGGERS = (
    "aiokafka",
    "aiokafka.conn",
    "aiokafka.cluster",
    "aiokafka.consumer.fetcher",
    "aiokafka.consumer.group_coordinator",
)
RETRY_BACKOFF_MS = 500  # between two tries of the client (aiokafka's default is 100 ms)


class OncePerInterval(logging.Filter):
    """Let one record of each kind (logger, level, message template) through per interval;
    the next one that passes says how many like it were held back."""

    def __init__(self, interval_s: float = 30.0) -> None:
        super().__init__()
        self.interval_s = interval_s
        self._last: dict[tuple[str, int, str], float] = {}
        self._held: dict[tuple[str, int, str], int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        key = (record.name, record.levelno, str(record.msg))
        now = time.monotonic()
        if now - self._last.get(key, -self.interval_s) < self.interval_s:
            self._held[key] = self._held.get(key, 0) + 1
            return False
        self._last[key] = now
        held = self._held.pop(key, 0)
        if held:
            record.msg = f"{record.getMessage()} ({held} like it in the last "
            record.msg += f"{self.interval_s:.0f} s not shown)"
            record.args = None
        return True


_quiet = OncePerInterval()


def quieten_client_logs() -> None:
    for name in CLIENT_LOGGERS:
        logger = logging.getLogger(name)
        if _quiet not in logger.filters:
            logger.addFilter(_quiet)


async def consume(
    bootstrap: str,
    topic: str,
    group_id: str,
    session_timeout_s: float,
    handle: Callable[[Sequence[StatusChange]], object],
    stopping: asyncio.Event,
    metadata_max_age_ms: int = 5000,
) -> None:
    """Run until ``stopping`` is set; reconnect with a pause when the broker is away.

    ``handle`` stores each fetched batch at once (one transaction). Redelivery after a crash
    or a rebalance is expected (offsets are committed after the batch is stored): ``handle``
    ignores an event id it has seen. While the broker is away, aiokafka keeps trying on its
    own and this loop backs off (1 s doubling to 30 s) when the consumer itself fails; the
    client's repeated errors are logged once per 30 s, not on every try.
    """
    quieten_client_logs()
    pause = 1.0
    while not stopping.is_set():
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=10,  # an idle poll returns within 10 ms
            session_timeout_ms=int(session_timeout_s * 1000),
            heartbeat_interval_ms=int(session_timeout_s * 250),
            retry_backoff_ms=RETRY_BACKOFF_MS,
            # a partition whose leader died is fetched from the new leader this soon: aiokafka
            # refetches from the dead node until its metadata is refreshed on this clock
            metadata_max_age_ms=metadata_max_age_ms,
        )
        try:
            await consumer.start()
            while not stopping.is_set():
                batch = await consumer.getmany(timeout_ms=200, max_records=500)
                pause = 1.0  # working again: the next failure starts the back-off anew
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
            log.warning("broker unavailable (%s); retrying in %.0f s", exc, pause)
            await _pause(stopping, pause)
            pause = min(pause * 2, 30.0)
        except Exception:  # e.g. the database away: the batch is not committed, so it comes back
            log.exception(
                "handling status changes failed; resuming from the last commit in %.0f s", pause
            )
            await _pause(stopping, pause)
            pause = min(pause * 2, 30.0)
        finally:
            await consumer.stop()


async def _pause(stopping: asyncio.Event, seconds: float) -> None:
    """Sleep, but wake at once when the service stops."""
    try:
        await asyncio.wait_for(stopping.wait(), seconds)
    except TimeoutError:
        pass
