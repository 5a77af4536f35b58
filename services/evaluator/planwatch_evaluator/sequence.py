"""Each submissions partition read without a hole: the next offset expected per partition.

faust can leave records of a partition out of its stream around a rebalance or a restart (a
record fetched under an older consumer generation or while flow is stopped is skipped, on the
understanding that the partition is sought back afterwards; with nothing committed yet it may
also commit past records it skipped). Such records would be read by no worker: figures that got
a 202 would never be assessed or stored.

So the evaluator does not rely on the stream for completeness. It knows the next offset it
expects on each partition (kept with the state, in the changelog marker of the partition, so a
restarted worker knows it too) and checks each event against it:

- the expected offset, or an earlier one (a redelivery, or a broker that started again empty):
  process it; a redelivered event is recognised by its id in the state and dropped;
- a later one: the records in between are read from the broker (``Refetcher``) and processed
  first, in order. A record the stream delivers again afterwards is a redelivery.

A hole at the end of a partition (nothing after it to show it) is found by comparing the expected
offset with the partition's high watermark when the stream has been idle for a while
(``Evaluator.check_tail``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Sequence", "marker_value", "parse_marker"]

_MARKER_TAG = b"next="


def marker_value(next_offset: int | None) -> bytes:
    """The value of a partition's changelog marker: the next offset expected, if known."""
    return b"1" if next_offset is None else _MARKER_TAG + str(next_offset).encode()


def parse_marker(value: bytes | None) -> int | None:
    """The next offset a marker records; None for a marker written before offsets were kept."""
    if value is None or not value.startswith(_MARKER_TAG):
        return None
    try:
        return int(value[len(_MARKER_TAG) :])
    except ValueError:
        return None


@dataclass
class Sequence:
    """The next offset expected per partition of one topic, for the partitions of this worker."""

    _next: dict[int, int] = field(default_factory=dict)
    _started: set[int] = field(default_factory=set)

    def started(self, partition: int) -> bool:
        return partition in self._started

    def start(self, partition: int, next_offset: int | None) -> None:
        """Begin checking ``partition`` from ``next_offset`` (None: from its first event)."""
        self._started.add(partition)
        if next_offset is None:
            self._next.pop(partition, None)
        else:
            self._next[partition] = next_offset

    def reset(self) -> None:
        """Forget every partition (after a rebalance the markers say where each one stands)."""
        self._next.clear()
        self._started.clear()

    def expected(self, partition: int) -> int | None:
        return self._next.get(partition)

    def missing(self, partition: int, offset: int) -> range:
        """The offsets left out before an event at ``offset`` (empty: none)."""
        expected = self._next.get(partition)
        if expected is None or offset <= expected:
            return range(0)
        return range(expected, offset)

    def done(self, partition: int, offset: int) -> None:
        """The event at ``offset`` was processed (assessed, a duplicate or dead-lettered)."""
        self._next[partition] = offset + 1
