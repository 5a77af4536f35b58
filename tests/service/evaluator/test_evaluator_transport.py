"""The worker's Kafka consumer gets the settings faust has no option for (no broker needed)."""

from __future__ import annotations

from pathlib import Path

from planwatch.catalog import default_catalog
from planwatch.settings import CommonSettings
from planwatch.tsstore import Point
from planwatch_evaluator.app import Evaluator
from planwatch_evaluator.settings import Settings


class NoSink:
    def write(self, points: list[Point]) -> None:
        raise AssertionError("nothing is written here")

    def close(self) -> None:
        pass


async def test_the_consumer_waits_for_fetches_as_configured_not_faust_s_1500_ms(
    tmp_path: Path,
) -> None:
    settings = Settings(
        fetch_max_wait_ms=7, session_timeout_s=6.0, common=CommonSettings(data_dir=tmp_path)
    )
    app = Evaluator(settings, default_catalog(), NoSink()).app
    app.finalize()
    consumer = app.consumer._new_consumer_thread()._create_worker_consumer(app.transport)
    try:
        assert consumer._fetch_max_wait_ms == 7
        assert consumer._session_timeout_ms == 6000  # a group join takes about half of it
    finally:
        await consumer.stop()
    assert app.conf.web_bind == "127.0.0.1" and app.conf.web_port == 8083
    assert Path(app.conf.datadir).is_relative_to(tmp_path)  # faust's files stay in the data dir
