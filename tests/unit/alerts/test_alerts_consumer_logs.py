"""While the broker is away, aiokafka logs every failed try; alerts lets one of each kind
through per interval and says how many were held back."""

from __future__ import annotations

import logging

import pytest

from planwatch_alerts import consumer
from planwatch_alerts.consumer import OncePerInterval


def record(msg: str, *args: object, level: int = logging.ERROR) -> logging.LogRecord:
    return logging.LogRecord("aiokafka", level, __file__, 1, msg, args, None)


def test_one_of_each_kind_per_interval_then_the_count_held_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [100.0]
    monkeypatch.setattr(consumer.time, "monotonic", lambda: clock[0])
    quiet = OncePerInterval(interval_s=30)
    refused = "Unable connect to node with id %s: %s"
    passed = [quiet.filter(record(refused, 1, f"try {i}")) for i in range(50)]
    assert passed == [True] + [False] * 49
    # another kind of message is not held back by the first
    assert quiet.filter(record("Unable to update metadata from %s", [1]))
    # informational records always pass
    assert quiet.filter(record("Discovered coordinator %s", 1, level=logging.INFO))
    clock[0] += 30
    late = record(refused, 1, "try 50")
    assert quiet.filter(late)
    assert late.getMessage() == (
        "Unable connect to node with id 1: try 50 (49 like it in the last 30 s not shown)"
    )
    assert not quiet.filter(record(refused, 1, "try 51"))


def test_installed_once_on_each_client_logger() -> None:
    consumer.quieten_client_logs()
    consumer.quieten_client_logs()
    for name in consumer.CLIENT_LOGGERS:
        filters = logging.getLogger(name).filters
        assert sum(f is consumer._quiet for f in filters) == 1
