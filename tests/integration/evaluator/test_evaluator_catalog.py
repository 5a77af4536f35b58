"""A catalog of one's own (PLANWATCH_CATALOG_DIR): the evaluator judges figures by it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from planwatch.catalog import load_catalog
from planwatch.domain.events import SubmissionEvent, Topics
from planwatch.settings import CommonSettings
from planwatch.tsstore import EmbeddedSeriesStore
from support.ingest import write_catalog
from support.kafka import KafkaNode
from support.kafka_io import produce, read_topic
from support.services import evaluator_process

pytestmark = pytest.mark.integration


def test_common_settings_load_the_catalog_folder(tmp_path: Path) -> None:
    folder = write_catalog(tmp_path / "catalog")
    assert CommonSettings(catalog_dir=folder).catalog().get("tcity-rd-spend") is not None
    assert CommonSettings(catalog_dir=None).catalog().get("tcity-rd-spend") is None


def test_the_evaluator_assesses_an_indicator_of_the_configured_catalog(
    kafka_broker: KafkaNode, tmp_path: Path
) -> None:
    folder = write_catalog(tmp_path / "catalog")
    catalog = load_catalog(folder)
    entry = catalog.get("tcity-rd-spend")  # not in the shipped catalog
    evaluator, _ = evaluator_process(
        kafka_broker.bootstrap, tmp_path, {"PLANWATCH_CATALOG_DIR": str(folder)}
    )
    try:
        figure = SubmissionEvent(
            catalog_version=catalog.version,
            submission_id="own-catalog",
            indicator_id=entry.id,
            jurisdiction=entry.jurisdiction,
            period="2023",
            value=7.5,
            unit=entry.unit,
            submitted_by="白银市统计局",
        )
        produce(kafka_broker.bootstrap, str(Topics.SUBMISSIONS), [(figure.key, figure.to_bytes())])
        [assessment] = read_topic(kafka_broker.bootstrap, str(Topics.ASSESSMENTS), expect=1)
        assert entry.id.encode() in assessment
        store = EmbeddedSeriesStore(tmp_path / "timeseries.db")
        deadline = time.monotonic() + 30
        while not store.query("observation", {"indicator_id": entry.id}):
            assert time.monotonic() < deadline, "the figure was not stored"
            time.sleep(0.2)
        assert [r["value"] for r in store.query("observation", {"indicator_id": entry.id})] == [7.5]
    finally:
        evaluator.stop()
