"""The embedded series store and the point model: identity, overwrite, reads, line protocol."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from planwatch.tsstore import EmbeddedSeriesStore, Point

T1 = datetime(2024, 12, 31, tzinfo=UTC)
T2 = datetime(2025, 12, 31, tzinfo=UTC)


def obs(indicator: str, when: datetime, value: float, vintage: int = 1, **tags: str) -> Point:
    return Point.make(
        "observation",
        {"indicator_id": indicator, "jurisdiction": "甘肃省", **tags},
        {"value": value, "vintage": vintage},
        when,
    )


def test_a_point_written_again_replaces_the_old_one(tmp_path: Path) -> None:
    store = EmbeddedSeriesStore(tmp_path / "ts.db")
    store.write([obs("rd", T1, 150.0), obs("rd", T2, 160.0)])
    store.write([obs("rd", T2, 181.0, vintage=2)])  # a revision of 2025
    store.write([obs("rd", T2, 181.0, vintage=2)])  # the same batch again (a retried write)
    rows = store.query("observation", {"indicator_id": "rd"})
    assert [(r["time"], r["value"], r["vintage"]) for r in rows] == [
        (T1, 150.0, 1),
        (T2, 181.0, 2),
    ]
    assert store.count("observation") == 2


def test_a_large_batch_keeps_every_point_and_the_last_of_a_repeated_one(tmp_path: Path) -> None:
    """A batch is written many rows per statement: across the statements, and within one, the
    later point of a series and time replaces the earlier, as one row at a time would."""
    store = EmbeddedSeriesStore(tmp_path / "ts.db")
    years = [T1 + timedelta(days=i) for i in range(1_200)]
    batch = [obs("rd", when, float(i)) for i, when in enumerate(years)]
    # the first year again, within the first statement and in the last one; the last wins
    batch[3:3] = [obs("rd", years[0], -1.0, vintage=2)]
    batch.append(obs("rd", years[0], -2.0, vintage=3))
    store.write(batch)
    rows = store.query("observation", {"indicator_id": "rd"})
    assert len(rows) == store.count("observation") == 1_200
    assert (rows[0]["value"], rows[0]["vintage"]) == (-2.0, 3)
    assert [r["value"] for r in rows[1:]] == [float(i) for i in range(1, 1_200)]


def test_query_filters_by_tags_fields_and_time(tmp_path: Path) -> None:
    store = EmbeddedSeriesStore(tmp_path / "ts.db")
    store.write([obs("rd", T1, 1.0), obs("rd", T2, 2.0), obs("rd-share", T2, 3.0)])
    assert [r["value"] for r in store.query("observation", {"indicator_id": "rd"})] == [1.0, 2.0]
    [row] = store.query("observation", {"indicator_id": "rd"}, fields=["value"], since=T2)
    assert row == {
        "time": T2,
        "tags": {"indicator_id": "rd", "jurisdiction": "甘肃省"},
        "value": 2.0,
    }
    assert [r["value"] for r in store.query("observation", until=T1)] == [1.0]
    assert store.query("observation", {"jurisdiction": "青海省"}) == []
    assert store.query("assessment") == []


def test_tag_values_that_look_like_other_tags_do_not_match(tmp_path: Path) -> None:
    store = EmbeddedSeriesStore(tmp_path / "ts.db")
    tricky = 'x", "jurisdiction'
    store.write([obs(tricky, T1, 1.0), obs("plain", T1, 2.0, plan='"quoted", plan')])
    assert [r["value"] for r in store.query("observation", {"indicator_id": tricky})] == [1.0]
    assert store.query("observation", {"indicator_id": "x"}) == []
    assert store.latest("observation", {"plan": '"quoted", plan'})["value"] == 2.0


def test_latest_and_latest_by(tmp_path: Path) -> None:
    store = EmbeddedSeriesStore(tmp_path / "ts.db")
    assert store.latest("observation") is None
    store.write([obs("a", T1, 1.0), obs("a", T2, 2.0), obs("b", T1, 3.0)])
    assert store.latest("observation", {"indicator_id": "a"}, fields=["vintage"]) == {
        "time": T2,
        "tags": {"indicator_id": "a", "jurisdiction": "甘肃省"},
        "vintage": 1,
    }
    by = store.latest_by("observation", ["indicator_id"])
    assert {k: r["value"] for k, r in by.items()} == {("a",): 2.0, ("b",): 3.0}
    assert store.measurements() == ["observation"]


def test_a_reader_in_another_connection_sees_committed_points(tmp_path: Path) -> None:
    writer, reader = (
        EmbeddedSeriesStore(tmp_path / "ts.db"),
        EmbeddedSeriesStore(tmp_path / "ts.db"),
    )
    writer.write([obs("a", T1, 1.0)])
    assert reader.latest("observation")["value"] == 1.0


def test_line_protocol_escapes_and_skips_what_influx_cannot_store() -> None:
    point = Point.make(
        "assessment",
        {"indicator_id": "a b,c=d", "tier": ""},
        {"status": 'say "hi"', "gap": None, "ratio": float("nan"), "code": 3, "ok": True},
        T1,
    )
    assert point.to_line_protocol() == (
        r'assessment,indicator_id=a\ b\,c\=d status="say \"hi\"",code=3i,ok=true '
        "1735603200000000000"
    )


def test_points_come_back_as_they_were_written(tmp_path: Path) -> None:
    store = EmbeddedSeriesStore(tmp_path / "ts.db")
    written = [obs("b", T1, 1.0), obs("a", T2, 2.5, vintage=2), obs("a", T1, 3.0)]
    store.write(written)
    back = list(store.points())
    assert sorted(p.to_line_protocol() for p in back) == sorted(
        p.to_line_protocol() for p in written
    )
    assert list(store.points("assessment")) == []


def test_a_store_of_the_first_layout_is_carried_over(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "ts.db"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "create table points (measurement text not null, series text not null,"
            " time_ns integer not null, fields text not null,"
            " primary key (measurement, series, time_ns)) without rowid"
        )
        conn.execute(
            "insert into points values (?, ?, ?, ?)",
            ("observation", '[["indicator_id", "rd"]]', obs("rd", T1, 0).time_ns, '{"value": 7.0}'),
        )
    store = EmbeddedSeriesStore(path)
    store.write([obs("rd", T2, 8.0)])
    assert [r["value"] for r in store.query("observation", {"indicator_id": "rd"})] == [7.0, 8.0]
    assert EmbeddedSeriesStore(path).count("observation") == 2  # opening again changes nothing
