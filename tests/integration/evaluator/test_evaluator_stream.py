"""The evaluator as a real process on a real broker: points, events, redelivery, restart, DLQ."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from planwatch.catalog import default_catalog
from planwatch.domain.events import DeadLetter, StatusChange, SubmissionEvent
from planwatch.tsstore import EmbeddedSeriesStore
from support.influx import InfluxDatabase
from support.kafka import KafkaNode
from support.kafka_io import produce, read_topic
from support.services import ServiceProcess, evaluator_process
from support.waiting import wait_until

pytestmark = pytest.mark.integration
CATALOG = default_catalog()
RD = CATALOG.get("gsbase-rd-expenditure")
DOCS = Path(__file__).resolve().parents[3] / "docs" / "timeseries.md"


def event(period: str, value: float, vintage: int = 1) -> SubmissionEvent:
    return SubmissionEvent(
        catalog_version=CATALOG.version,
        submission_id=f"{period}-{vintage}",
        indicator_id=RD.id,
        jurisdiction=RD.jurisdiction,
        period=period,
        value=value,
        unit=RD.unit,
        vintage=vintage,
        submitted_by="甘肃省统计局",
    )


def all_changes(bootstrap: str) -> list[StatusChange]:
    """Every status change on the topic so far."""
    return [
        StatusChange.from_bytes(v) for v in read_topic(bootstrap, "status-changes", 1, settle=0.2)
    ]


@pytest.fixture
def evaluator(kafka_broker: KafkaNode, tmp_path: Path) -> Iterator[ServiceProcess]:
    process, _ = evaluator_process(
        kafka_broker.bootstrap,
        tmp_path,
        {
            "PLANWATCH_EVALUATOR_OVERDUE_CHECK_S": "1",
            "PLANWATCH_EVALUATOR_OVERDUE_AS_OF": "2026-11-24",  # R&D's 2025 figure is in
        },
    )
    try:
        yield process
    finally:
        process.stop()


def test_points_events_redelivery_dead_letters_and_restart(
    evaluator: ServiceProcess,
    kafka_broker: KafkaNode,
    tmp_path: Path,
    influxdb_v1_db: InfluxDatabase,
) -> None:
    bootstrap = kafka_broker.bootstrap
    store = EmbeddedSeriesStore(tmp_path / "timeseries.db")
    # 2025's 160 misses 180 for good; the headline is the 2030 path (280): needs acceleration,
    # and on track once 2025 is revised to 181
    first, second = event("2024", 150), event("2025", 160)
    produce(bootstrap, "submissions", [(e.key, e.to_bytes()) for e in (first, second)])
    wait_until(
        lambda: (
            (store.latest("assessment", {"indicator_id": RD.id}) or {}).get("status")
            == "needs_acceleration"
        ),
        what="the assessment in the store",
    )
    assert [r["value"] for r in store.query("observation", {"indicator_id": RD.id})] == [150, 160]

    # the same event again (a redelivery) and a malformed one
    produce(bootstrap, "submissions", [(second.key, second.to_bytes()), (b"x|y", b"{broken")])
    [letter] = [
        DeadLetter.model_validate_json(v)
        for v in read_topic(bootstrap, "submissions-dlq", expect=1)
    ]
    assert letter.source_topic == "submissions" and "broken" in letter.payload
    assert "ValidationError" in letter.reason

    # the overdue timer also chases every indicator never reported (each by its own key):
    # here, the changes that figures caused
    changes = [StatusChange.from_bytes(v) for v in read_topic(bootstrap, "status-changes", 1)]
    changes = [c for c in changes if c.reason == "assessment"]
    assert [(c.from_status, c.to_status.value) for c in changes] == [(None, "needs_acceleration")]
    assessments = read_topic(bootstrap, "assessments", expect=2)
    assert len(assessments) == 2  # the redelivered event was not assessed twice

    # the figures soon due are reminded of, before the due date: on 24 November 2026 the
    # share of high-tech revenue of 2025 (a yearbook figure, due 30 November) to 白银市's
    # statistics bureau (never reported, so 2024's figure, past due, is chased in the same
    # check); the reminder is a notice that writes no ``overdue`` point of its own
    reminders = wait_until(
        lambda: [c for c in all_changes(bootstrap) if c.reason == "reminder"], what="a reminder"
    )
    assert [(c.indicator_id, c.overdue_period, c.due_date, c.publisher) for c in reminders] == [
        ("baiyin-high-tech-revenue-share", "2025", "2026-11-30", "市统计局")
    ]
    late_share = store.query("overdue", {"indicator_id": "baiyin-high-tech-revenue-share"})
    assert [r["period"] for r in late_share] == ["2024"]

    # a crash: the state comes back from the changelog, so the revision is judged against it
    evaluator.kill()
    evaluator.start()
    revision = event("2025", 181, vintage=2)
    produce(bootstrap, "submissions", [(revision.key, revision.to_bytes())])
    wait_until(
        lambda: store.latest("assessment", {"indicator_id": RD.id})["status"] == "on_track",
        what="the revision's assessment",
    )
    changes = [StatusChange.from_bytes(v) for v in read_topic(bootstrap, "status-changes", 2)]
    changes = [c for c in changes if c.reason == "assessment"]
    assert [(c.from_status and c.from_status.value, c.to_status.value) for c in changes] == [
        (None, "needs_acceleration"),
        ("needs_acceleration", "on_track"),
    ]
    rows = store.query("observation", {"indicator_id": RD.id})
    assert [(r["value"], r["vintage"]) for r in rows] == [(150, 1), (181, 2)]

    # what the running worker stored, loaded into a real InfluxDB: the documented queries work
    influxdb_v1_db.write("\n".join(p.to_line_protocol() for p in store.points()))
    queries = re.findall(r"```sql\n(.*?)\n```", DOCS.read_text(encoding="utf-8"), re.S)
    results = [influxdb_v1_db.query(q) for q in queries]
    [latest] = [s for s in results[0] if s["tags"]["indicator_id"] == RD.id]
    assert latest["values"][0][1:] == [3, 181.0]
    assert [v[1] for v in results[1][0]["values"]] == [150.0, 181.0]
    # the headline's changes and 2025's final verdicts (missed, then met by the revision);
    # a final one and the headline's share their time, so the order between them is free
    assert sorted(map(tuple, (row[1:] for row in results[5][0]["values"])), key=str) == sorted(
        [
            ("assessment", "needs_acceleration", "on_track", None),
            ("assessment", "", "needs_acceleration", None),
            ("final", "not_achieved", "achieved", 2025),
            ("final", "", "not_achieved", 2025),
        ],
        key=str,
    )

    # the overdue timer of the running worker: a 2023 figure, then nothing for 2024 and 2025
    late = CATALOG.get("gs4p-tech-contract-turnover")
    figure = SubmissionEvent(
        catalog_version=CATALOG.version,
        submission_id="late-2023",
        indicator_id=late.id,
        jurisdiction=late.jurisdiction,
        period="2023",
        value=300.0,
        unit=late.unit,
        submitted_by="甘肃省统计局",
    )
    produce(bootstrap, "submissions", [(figure.key, figure.to_bytes())])
    wait_until(
        lambda: store.latest("overdue", {"indicator_id": late.id}) is not None, what="overdue"
    )
    changes = [StatusChange.from_bytes(v) for v in read_topic(bootstrap, "status-changes", 3)]
    [overdue] = [c for c in changes if c.reason == "overdue" and c.indicator_id == late.id]
    # indicators never reported are chased too, each once
    chased = [
        c.indicator_id for c in changes if c.reason == "overdue" and c.indicator_id != late.id
    ]
    assert len(chased) > 1 and len(chased) == len(set(chased))
    assert (overdue.indicator_id, overdue.overdue_period, overdue.due_date) == (
        late.id,
        "2025",
        "2026-03-30",  # technology contracts of 2025 exist at the end of February, due 30 days on
    )
    assert overdue.reporting_jurisdiction == "甘肃省" and overdue.publisher == "省科技厅"
    # the restarted worker (its state restored, the check run again since) sent no second
    # reminder: one event, whatever a redelivery may repeat under the same id
    again = [c for c in changes if c.reason == "reminder"]
    assert {(c.event_id, c.indicator_id, c.overdue_period) for c in again} == {
        (reminders[0].event_id, "baiyin-high-tech-revenue-share", "2025")
    }
