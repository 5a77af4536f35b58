"""The evaluator's partition count comes from the broker (planwatch.partitions)."""

from __future__ import annotations

import uuid

import pytest

from planwatch.partitions import TopicMissing, partition_count
from support.kafka import create_topics
from support.net import free_port

pytestmark = pytest.mark.integration


def test_the_count_is_the_one_the_topic_was_created_with(kafka_bootstrap: str) -> None:
    topic = f"partitions-{uuid.uuid4().hex[:8]}"
    create_topics(kafka_bootstrap, [topic], partitions=6)
    assert partition_count(kafka_bootstrap, topic, timeout=30) == 6


def test_a_missing_topic_is_named_after_the_wait(kafka_bootstrap: str) -> None:
    with pytest.raises(TopicMissing, match=r"'never-created'.*does not exist"):
        partition_count(kafka_bootstrap, "never-created", timeout=1)


def test_an_unreachable_broker_is_named() -> None:
    bootstrap = f"127.0.0.1:{free_port()}"
    with pytest.raises(TopicMissing, match=rf"{bootstrap}.*does not answer"):
        partition_count(bootstrap, "submissions", timeout=1)
