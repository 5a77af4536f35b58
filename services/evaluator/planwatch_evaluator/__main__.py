"""``python -m planwatch_evaluator``: one evaluator worker, configured from the environment."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time

import mode.loop
from faust.worker import Worker

from planwatch.logs import logging_config
from planwatch.partitions import BrokerSilent
from planwatch_evaluator.adapters.embedded import EmbeddedSink
from planwatch_evaluator.app import Evaluator
from planwatch_evaluator.ports import SeriesSink
from planwatch_evaluator.settings import PartitionsMismatch, Settings


def build_sink(settings: Settings) -> SeriesSink:
    if settings.influx_url:
        from planwatch_evaluator.adapters.influx import InfluxSink

        return InfluxSink(
            settings.influx_url, settings.influx_token, settings.influx_org, settings.influx_bucket
        )
    return EmbeddedSink(settings.common.data_dir / "timeseries.db")


def build_clock(settings: Settings) -> Callable[[], datetime]:
    fixed = settings.overdue_as_of
    if fixed is None:
        return lambda: datetime.now(UTC)
    return lambda: datetime.combine(fixed, time(), UTC)


def main() -> None:
    # uvloop's event loop, as faust recommends: faust's path of each event runs through the
    # loop's callbacks and futures (5–11 % more events per CPU second, docs/performance.md)
    mode.loop.use("uvloop")
    try:
        # the partition count of submissions, from the broker, before the app is built on it
        settings = Settings().with_broker_partitions()
    except (PartitionsMismatch, BrokerSilent) as exc:
        raise SystemExit(f"planwatch-evaluator cannot start: {exc}") from None
    catalog = settings.common.catalog()
    evaluator = Evaluator(settings, catalog, build_sink(settings), build_clock(settings))
    # The worker runs the app's web server too (/healthz, /readyz, /metrics on web_bind:web_port),
    # and the watchdog, started before the app so that it watches the first recovery too.
    Worker(
        evaluator.app, *evaluator.services(), loglevel="info", logging_config=logging_config()
    ).execute_from_commandline()


if __name__ == "__main__":
    main()
