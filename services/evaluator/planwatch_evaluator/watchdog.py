"""The watchdog: a worker that holds records it no longer reads stops itself.

faust 0.15 can stop reading after a rebalance, in two ways seen on Apache Kafka in the fault
tests (docs/reliability.md): the table recovery never fetches the changelog partitions handed
back during it ("No event received for active tp … since recovery start", faust-streaming
issues #74 and #155), or the recovery completes and the stream's partitions are never fetched
again (the worker logged "Worker ready" and nothing more for two minutes, with records waiting).
Either way the worker waits, ready for nothing, until it is restarted; a restart is the cure:
it rejoins the group, is assigned again and restores from the changelog.

The watch runs in a service of its own (``Watchdog``), started by the worker before the app:
faust starts its timers only once the first table recovery has completed, so a timer would
never see a hang in the very first recovery of a process (a restart on a long changelog while
the group rebalances).

``RecoveryWatch`` decides from what the recovery reports (in progress, changelog records still
to read) when it has stood still for ``stall_s``; ``waiting`` finds the records a worker owes
(the broker's end offset past where it stands) once it has assessed nothing for ``stall_s``
without a batch in hand. The evaluator then exits with ``EXIT_STALLED`` and its supervisor
starts it again (``planwatch run``, the compose ``restart`` policy, a Kubernetes pod). Nothing
is lost: what it assessed is committed or read again (at least once, effects idempotent by event
id). A worker busy with a batch (a time-series store down, retried) is never stopped: it is
waiting for the store, not stalled.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import mode

__all__ = ["EXIT_STALLED", "RecoveryWatch", "Watchdog", "waiting"]

EXIT_STALLED = 75  # EX_TEMPFAIL: try again; a supervisor restarts the worker

K = TypeVar("K", bound=Hashable)


@dataclass
class RecoveryWatch:
    """Progress of one recovery, observed now and then (``observe``)."""

    stall_s: float
    remaining: int | None = None  # changelog records still to read, when last seen to change
    since: float | None = None  # when ``remaining`` last changed (monotonic seconds)

    def observe(self, in_recovery: bool, remaining: int, now: float) -> float | None:
        """How long the recovery has stood still, once that is ``stall_s`` or more; else None.

        Not recovering, or nothing left to read: nothing to watch (the next recovery starts
        afresh). Records left and their count changed: progress, the clock starts again.
        """
        if not in_recovery or remaining <= 0:
            self.remaining = self.since = None
            return None
        if remaining != self.remaining or self.since is None:
            self.remaining, self.since = remaining, now
            return None
        still = now - self.since
        return still if still >= self.stall_s else None


def waiting(ends: Mapping[K, int], starts: Mapping[K, int]) -> dict[K, int]:
    """The records on the broker past where the worker stands, per partition: ``ends`` the
    broker's end offsets, ``starts`` the next offset to assess (a partition missing from either
    is not judged)."""
    return {tp: ends[tp] - start for tp, start in starts.items() if tp in ends and ends[tp] > start}


class Watchdog(mode.Service):
    """Calls ``watch`` every ``interval_s`` from the moment the worker starts, the first table
    recovery included (pass it to the faust ``Worker`` beside the app: the worker starts its
    services before the app)."""

    def __init__(self, watch: Callable[[], Awaitable[None]], interval_s: float) -> None:
        super().__init__()
        self.watch, self.interval_s = watch, interval_s

    @mode.Service.task
    async def _watching(self) -> None:
        while not self.should_stop:
            await self.sleep(self.interval_s)
            if not self.should_stop:
                await self.watch()
