"""Each partition's submissions assessed in offset order, none passed over.

faust's fetch loop can pass over records: around a rebalance or a seek it may drop records it
has fetched (the read position moves on while the record never reaches the stream), and its
commit logic can then move the committed offset past them (faust-streaming issue #606: a gap at
the head of the acknowledged offsets). Seen on Apache Kafka as figures that were accepted,
published and never assessed, after an evaluator was killed and restarted (docs/reliability.md).

``Cursors`` is the evaluator's own account of where each partition stands: the next offset it
must assess, set when an assignment's first event of the partition arrives to where the group
resumes it (``begin``: its committed offset, or the log's start when nothing is committed) and
moved one by one as events are assessed. The first event itself cannot be trusted to be that
offset: aiokafka's seek to the committed offset skips a partition whose committed offset is
none or 0, so records fetched before a rebalance and dropped by faust are passed over (seen on a
three-broker cluster: a worker's first events were offsets 27 and 32 of two partitions with
nothing committed). When the broker cannot say, the first event is taken as the start.
``admit`` tells the agent what to do with an event:

- ``ASSESS``: it is the next one;
- ``DONE``: an offset already assessed, delivered again after a seek (assessing it again would
  change nothing, the effects being idempotent, but it is not needed);
- ``REWIND``: an offset past the next one: records were passed over. The agent seeks the
  partition back to the next offset (``rewind_to``) and drops this event, which comes again.
  While the records come again, later ones already on their way are dropped without a new seek;
  a seek is repeated if the missing record has not come within ``patience_s`` (``stalled``, on
  the agent's timer).

A batch that fails after its events were admitted is given back (``give_back``): the partition
is set back to the batch's first offset there, to be read again. (Seen on a restarted worker: the
first batch's state write failed because the producer did not know the changelog topic's
partitions yet; before the cursors, faust then acknowledged the batch it had never finished.)

The submissions topic is written by ingest's idempotent producer, neither compacted nor
transactional, so its offsets have no holes: a missing offset is always a record to read. Were
one ever missing for good, the partition would stall with a warning every ``patience_s``
instead of passing over it.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field

__all__ = ["Admission", "Cursors"]


class Admission(enum.Enum):
    ASSESS = "assess"
    DONE = "done"
    REWIND = "rewind"


@dataclass
class Cursors:
    patience_s: float = 5.0
    clock: Callable[[], float] = time.monotonic
    expected: dict[Hashable, int] = field(default_factory=dict)  # partition → next offset
    rewound: dict[Hashable, tuple[int, float]] = field(default_factory=dict)  # offset, when

    def start(self, positions: Mapping[Hashable, int]) -> None:
        """A new assignment: the partitions given resume there, the others at their first
        event."""
        self.expected = dict(positions)
        self.rewound.clear()

    def begin(self, partition: Hashable, offset: int) -> None:
        """``partition`` resumes at ``offset`` in this assignment (unless already followed)."""
        self.expected.setdefault(partition, offset)

    def admit(self, partition: Hashable, offset: int) -> Admission:
        expected = self.expected.get(partition)
        if expected is None or offset == expected:
            # a partition's first event since the assignment: faust has sought it to its commit
            self.expected[partition] = offset + 1
            self.rewound.pop(partition, None)
            return Admission.ASSESS
        if offset < expected:
            return Admission.DONE
        return Admission.REWIND

    def rewind_to(self, partition: Hashable) -> int | None:
        """The offset to seek ``partition`` back to, or None while an earlier seek to it is still
        bringing the records back."""
        expected = self.expected[partition]
        now = self.clock()
        previous = self.rewound.get(partition)
        if previous is not None and previous[0] == expected and now - previous[1] < self.patience_s:
            return None
        self.rewound[partition] = (expected, now)
        return expected

    def stalled(self) -> list[tuple[Hashable, int]]:
        """Partitions sought back whose missing record has not come within ``patience_s``
        (nothing else arrived to notice it either): seek them again."""
        now = self.clock()
        due = [
            (partition, offset)
            for partition, (offset, when) in self.rewound.items()
            if now - when >= self.patience_s and self.expected.get(partition) == offset
        ]
        for partition, offset in due:
            self.rewound[partition] = (offset, now)
        return due

    def give_back(self, offsets: Mapping[Hashable, int]) -> None:
        """Events admitted from these offsets on (per partition) were not assessed after all."""
        now = self.clock()
        for partition, offset in offsets.items():
            if offset < self.expected.get(partition, offset + 1):
                self.expected[partition] = offset
            # the agent seeks there now: later events already on their way wait for it
            self.rewound[partition] = (self.expected[partition], now)
