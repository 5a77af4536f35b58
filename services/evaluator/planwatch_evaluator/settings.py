"""Evaluator settings (prefix ``PLANWATCH_EVALUATOR_``), built in the entrypoint."""

from __future__ import annotations

from datetime import date

from pydantic import Field
from pydantic_settings import BaseSettings

from planwatch.domain.calendar import Policy
from planwatch.domain.events import Topics
from planwatch.partitions import TopicMissing, topic_layout
from planwatch.settings import CommonSettings, settings_config

__all__ = ["PartitionsMismatch", "Settings"]


class PartitionsMismatch(ValueError):
    """The configured partition count is not the one the broker's topic has."""


class Settings(BaseSettings):
    model_config = settings_config("PLANWATCH_EVALUATOR_")

    app_id: str = "planwatch-evaluator"  # the consumer group and table topic prefix
    web_bind: str = "127.0.0.1"
    web_port: int = 8083
    # The partitions of the submissions topic: read from the broker at start
    # (``with_broker_partitions``); this value is used only while the topic does not exist yet
    # (the worker then creates it with this count). Set, it must equal the broker's count.
    topic_partitions: int = Field(default=4, ge=1)
    # The replicas of each partition of the topics the worker creates itself (its state
    # changelog): read from the broker at start, the submissions topic's. Set, it is kept.
    topic_replication: int = Field(default=1, ge=1)
    # How long the group waits for a worker that stopped without leaving (a crash) before its
    # partitions go to the others (faust's default: 60 s).
    session_timeout_s: float = 8.0
    producer_batch_bytes: int = 1 << 20  # producer batch size per partition
    batch_size: int = 2000  # sink writes are batched up to this many events …
    # … or this long, whichever comes first. Each batch writes the state of every key it
    # touched to the changelog: batches of ~140 events (0.01 s) wrote nearly one state record
    # per event when figures of many indicators come together; 0.05 s makes them several times
    # larger and costs at most 50 ms of latency when figures trickle in.
    batch_within_s: float = 0.05
    # A failed sink write is retried after retry_initial_s, doubling up to retry_max_s, forever.
    retry_initial_s: float = 0.2
    retry_max_s: float = 5.0
    # InfluxDB 2 (v2 write API); without a URL the embedded store in the data dir is used.
    influx_url: str | None = None
    influx_token: str | None = None
    influx_org: str = "planwatch"
    influx_bucket: str = "planwatch"
    # Overdue data follows the reporting calendar (planwatch.domain.calendar): a figure is due
    # overdue_grace_days after it can first exist, a reminder goes overdue_remind_days before,
    # and overdue_escalate_after_days past the due date the plan's supervising body is told.
    overdue_grace_days: int = Field(default=30, ge=0)
    overdue_remind_days: int = Field(default=14, ge=0)
    overdue_escalate_after_days: int = Field(default=60, ge=0)
    overdue_check_s: float = 60.0
    # A worker that has read nothing this long while records wait for it (or whose table
    # recovery has stood still this long) exits with 75 for its supervisor to start it again
    # (watchdog.py); 0 turns the watchdog off.
    stall_s: float = Field(default=60.0, ge=0)
    # check as of this date instead of today (replaying a history; tests)
    overdue_as_of: date | None = None
    common: CommonSettings = Field(default_factory=CommonSettings)

    def calendar_policy(self) -> Policy:
        """The reporting calendar's timings as configured (``overdue_changes(…, policy=…)``)."""
        return Policy(
            grace_days=self.overdue_grace_days,
            remind_days=self.overdue_remind_days,
            escalate_after_days=self.overdue_escalate_after_days,
        )

    def with_broker_partitions(
        self, topic: str = str(Topics.SUBMISSIONS), timeout: float = 60.0
    ) -> Settings:
        """These settings with ``topic_partitions`` and ``topic_replication`` as the broker has
        them for ``topic``.

        Waits up to ``timeout`` seconds for the broker (``planwatch.partitions.BrokerSilent``
        after that); a topic the answering broker does not have leaves the settings as they
        are. A configured count that differs from the broker's raises ``PartitionsMismatch``
        naming both: the state table and the owner of each key follow the count, and a wrong one
        would split a key's state between partitions. A configured replication is kept.
        """
        bootstrap = self.common.kafka_bootstrap
        try:
            found, replication = topic_layout(bootstrap, topic, timeout=timeout, topic_wait=0)
        except TopicMissing:
            return self
        if "topic_partitions" in self.model_fields_set and self.topic_partitions != found:
            raise PartitionsMismatch(
                f"分区数不一致：PLANWATCH_EVALUATOR_TOPIC_PARTITIONS 设为 {self.topic_partitions}，"
                f"而消息代理 {bootstrap} 上的主题 {topic} 有 {found} 个分区。"
                f" Partition count mismatch: PLANWATCH_EVALUATOR_TOPIC_PARTITIONS is"
                f" {self.topic_partitions}, but topic {topic!r} on the broker {bootstrap} has"
                f" {found} partitions; leave the setting empty to use the broker's count."
            )
        update: dict[str, int] = {"topic_partitions": found}
        if "topic_replication" not in self.model_fields_set:
            update["topic_replication"] = replication
        return self.model_copy(update=update)
