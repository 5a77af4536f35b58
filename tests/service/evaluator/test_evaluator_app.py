"""The faust app the evaluator builds from its settings (no broker needed)."""

from __future__ import annotations

from pathlib import Path

from planwatch.catalog import default_catalog
from planwatch.settings import CommonSettings
from planwatch.tsstore import Point
from planwatch_evaluator.adapters.kafka import FaustPublisher, FaustStateTable
from planwatch_evaluator.app import Evaluator
from planwatch_evaluator.settings import Settings


class NoSink:
    def write(self, points: list[Point]) -> None:
        raise AssertionError("nothing is written here")

    def ping(self) -> None:
        pass

    def close(self) -> None:
        pass


def test_the_app_is_plain_faust_on_the_configured_broker(tmp_path: Path) -> None:
    settings = Settings(
        session_timeout_s=6.0,
        common=CommonSettings(data_dir=tmp_path, kafka_bootstrap="127.0.0.1:19092"),
    )
    evaluator = Evaluator(settings, default_catalog(), NoSink())
    app = evaluator.app
    app.finalize()
    assert [str(url) for url in app.conf.broker] == ["kafka://127.0.0.1:19092"]
    assert app.conf.broker_session_timeout == 6.0  # a crashed worker's partitions move in 6 s
    assert app.conf.web_bind == "127.0.0.1" and app.conf.web_port == 8083
    assert Path(app.conf.datadir).is_relative_to(tmp_path)  # faust's files stay in the data dir
    # the state table: changelog partitioned by the key, like ingest's submissions
    assert evaluator.table.use_partitioner
    assert evaluator.table.changelog_topic.get_topic_name() == "planwatch-evaluator-state-changelog"
    assert isinstance(evaluator.states, FaustStateTable)
    assert isinstance(evaluator.publisher, FaustPublisher)
    assert evaluator.agent.channel.get_topic_name() == "submissions"
