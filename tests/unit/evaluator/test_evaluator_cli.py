"""``planwatch series``: reading the embedded store from the command line."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from planwatch.cli.main import app
from planwatch.tsstore import EmbeddedSeriesStore, Point

T1, T2 = datetime(2024, 12, 31, tzinfo=UTC), datetime(2025, 12, 31, tzinfo=UTC)


def loaded(tmp_path: Path) -> list[Point]:
    points = [
        Point.make("observation", {"indicator_id": "rd", "jurisdiction": "甘肃省"}, {"value": v}, t)
        for v, t in ((150.0, T1), (181.0, T2))
    ]
    points.append(
        Point.make("assessment", {"indicator_id": "rd"}, {"status": "achieved", "gap": 1.0}, T2)
    )
    EmbeddedSeriesStore(tmp_path / "timeseries.db").write(points)
    return points


def test_list_and_show(tmp_path: Path) -> None:
    loaded(tmp_path)
    runner = CliRunner()
    listed = runner.invoke(app, ["series", "list", "--data-dir", str(tmp_path)])
    assert listed.exit_code == 0 and listed.output.split() == [
        "assessment",
        "1",
        "observation",
        "2",
    ]
    shown = runner.invoke(
        app,
        [
            "series",
            "show",
            "observation",
            "--indicator",
            "rd",
            "--since",
            "2025-01-01",
            "--data-dir",
            str(tmp_path),
        ],
    )
    assert shown.exit_code == 0, shown.output
    assert "181.0" in shown.output and "150.0" not in shown.output and "1 points" in shown.output
    picked = runner.invoke(
        app, ["series", "show", "assessment", "--field", "status", "--data-dir", str(tmp_path)]
    )
    assert "achieved" in picked.output and "gap" not in picked.output


def test_export_is_line_protocol_of_every_point(tmp_path: Path) -> None:
    points = loaded(tmp_path)
    out = tmp_path / "points.lp"
    result = CliRunner().invoke(
        app, ["series", "export", "--out", str(out), "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 0
    assert sorted(out.read_text(encoding="utf-8").splitlines()) == sorted(
        p.to_line_protocol() for p in points
    )


def test_bad_input_names_the_problem(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["series", "list", "--data-dir", str(tmp_path / "none")])
    assert missing.exit_code == 1 and "no series store" in missing.output
    loaded(tmp_path)
    bad = runner.invoke(
        app, ["series", "show", "observation", "--since", "soon", "--data-dir", str(tmp_path)]
    )
    assert bad.exit_code == 2 and "--since" in bad.output and "soon" in bad.output
