"""The evaluator's partition count comes from the broker (planwatch.partitions, and the
evaluator's ``Settings.with_broker_partitions`` that its entrypoint calls before building the
app)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from planwatch.partitions import (
    BrokerSilent,
    TopicLayout,
    TopicMissing,
    partition_count,
    topic_layout,
)
from planwatch.settings import CommonSettings
from planwatch_evaluator.settings import PartitionsMismatch, Settings
from support.kafka import create_topics
from support.net import free_port

pytestmark = pytest.mark.integration


def new_topic(bootstrap: str, partitions: int) -> str:
    topic = f"partitions-{uuid.uuid4().hex[:8]}"
    create_topics(bootstrap, [topic], partitions=partitions)
    return topic


def test_the_count_is_the_one_the_topic_was_created_with(kafka_bootstrap: str) -> None:
    topic = new_topic(kafka_bootstrap, 6)
    assert partition_count(kafka_bootstrap, topic, timeout=30) == 6


def test_the_layout_names_the_replication(kafka_bootstrap: str, tmp_path: Path) -> None:
    """One broker here: one replica. (Three on a cluster: tests/faults/test_cluster.py.)"""
    topic = new_topic(kafka_bootstrap, 3)
    assert topic_layout(kafka_bootstrap, topic, timeout=30) == TopicLayout(3, 1)
    assert settings(kafka_bootstrap, tmp_path).with_broker_partitions(topic).topic_replication == 1
    # configured: kept (the broker's may be the default the operator overrides)
    kept = settings(kafka_bootstrap, tmp_path, topic_replication=2).with_broker_partitions(topic)
    assert kept.topic_replication == 2


def test_a_missing_topic_is_named_after_the_wait(kafka_bootstrap: str) -> None:
    with pytest.raises(TopicMissing, match=r"'never-created'.*does not exist \(waited 1 s\)"):
        partition_count(kafka_bootstrap, "never-created", timeout=1)


def test_an_unreachable_broker_is_named() -> None:
    bootstrap = f"127.0.0.1:{free_port()}"
    with pytest.raises(BrokerSilent, match=rf"{bootstrap}.*does not answer after 1 s"):
        partition_count(bootstrap, "submissions", timeout=1)


def settings(bootstrap: str, tmp_path: Path, **given: int) -> Settings:
    common = CommonSettings(data_dir=tmp_path, kafka_bootstrap=bootstrap)
    return Settings(common=common, **given)  # type: ignore[arg-type]


def test_the_evaluator_takes_the_brokers_count(kafka_bootstrap: str, tmp_path: Path) -> None:
    topic = new_topic(kafka_bootstrap, 6)
    # not configured: the default 4 gives way to the broker's 6
    assert settings(kafka_bootstrap, tmp_path).with_broker_partitions(topic).topic_partitions == 6
    # configured and equal: kept
    same = settings(kafka_bootstrap, tmp_path, topic_partitions=6)
    assert same.with_broker_partitions(topic).topic_partitions == 6


def test_a_configured_count_that_disagrees_names_both(kafka_bootstrap: str, tmp_path: Path) -> None:
    topic = new_topic(kafka_bootstrap, 6)
    configured = settings(kafka_bootstrap, tmp_path, topic_partitions=4)  # 4, the default, set
    with pytest.raises(PartitionsMismatch) as mismatch:
        configured.with_broker_partitions(topic)
    said = str(mismatch.value)
    assert said.startswith("分区数不一致：PLANWATCH_EVALUATOR_TOPIC_PARTITIONS 设为 4")
    assert f"主题 {topic} 有 6 个分区" in said
    assert f"is 4, but topic {topic!r} on the broker {kafka_bootstrap} has 6 partitions" in said


def test_a_topic_not_created_yet_leaves_the_setting(kafka_bootstrap: str, tmp_path: Path) -> None:
    missing = f"not-yet-{uuid.uuid4().hex[:8]}"
    assert settings(kafka_bootstrap, tmp_path).with_broker_partitions(missing).topic_partitions == 4
    given = settings(kafka_bootstrap, tmp_path, topic_partitions=3)
    assert given.with_broker_partitions(missing).topic_partitions == 3


def test_a_silent_broker_stops_the_start(tmp_path: Path) -> None:
    bootstrap = f"127.0.0.1:{free_port()}"
    with pytest.raises(BrokerSilent, match=rf"'submissions' from {bootstrap}"):
        settings(bootstrap, tmp_path).with_broker_partitions(timeout=1)
