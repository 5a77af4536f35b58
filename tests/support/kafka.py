"""A real Apache Kafka broker for the tests: the node ``planwatch run`` starts, in a temp folder.

The log is on disk, so a test may kill or stop the broker and start it again: topics, records,
committed offsets and groups come back with it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path

from planwatch.stack.broker import KafkaNode
from planwatch.stack.broker import create_topics as _create

__all__ = ["KafkaNode", "create_topics", "new_broker"]


def new_broker(root: Path | None = None) -> KafkaNode:
    """A single-node broker of its own (not started) on free loopback ports."""
    folder = Path(tempfile.mkdtemp(prefix="kafka-", dir=root))
    return KafkaNode(folder, heap="384m")


def create_topics(
    bootstrap: str, topics: Iterable[str], partitions: int = 4, replication: int = 1
) -> None:
    """Create topics explicitly (idempotent): the broker never creates one implicitly."""
    _create(bootstrap, [(name, partitions) for name in topics], replication=replication)
