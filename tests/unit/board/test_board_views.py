"""The board's trajectory comes from the shared assessment; the chart draws what it is given."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from planwatch.catalog import default_catalog
from planwatch.domain.assessment_model import Observation
from planwatch.domain.model import Frequency
from planwatch_board.chart import trajectory_svg
from planwatch_board.ports import Row
from planwatch_board.views import (
    IndicatorPage,
    IndicatorStatus,
    indicator_page,
    measured_series,
    planned_path,
)

CATALOG = default_catalog()


def test_planned_path_runs_from_the_baseline_to_each_tier_target() -> None:
    entry = CATALOG.get("baiyin-tech-progress-contribution")  # 2021: 54; 2025: 58 / 65
    paths = planned_path(entry, [])
    assert paths["binding"][0] == (2021.0, 54.0) and paths["binding"][-1] == (2025.0, 58.0)
    assert paths["expected"][-1] == (2025.0, 65.0)
    assert paths["binding"][1] == (2022.0, pytest.approx(55.0))


def test_planned_path_takes_the_first_figure_when_the_plan_has_no_baseline() -> None:
    entry = CATALOG.get("gsbase-rd-expenditure")  # 180 by 2025, 280 by 2030
    assert planned_path(entry, []) == {}
    history = [Observation(period="2024", value=150.0)]
    path = planned_path(entry, history)["none"]
    assert path[0] == (2024.0, 150.0) and path[1] == (2025.0, 180.0) and path[-1] == (2030.0, 280.0)


def test_cumulative_targets_are_compared_with_the_running_total() -> None:
    entry = CATALOG.get("gsbase-platform-listed-achievements")  # 累计 3000 by 2030
    history = [Observation(period="2025", value=400.0), Observation(period="2026", value=500.0)]
    assert measured_series(entry, history) == [(2025.0, 400.0), (2026.0, 900.0)]
    assert planned_path(entry, history)["none"][-1] == (2030.0, 3000.0)


def test_every_catalog_entry_charts_without_data() -> None:
    for entry in CATALOG:
        page = IndicatorPage(entry, IndicatorStatus(entry), [], planned_path(entry, []))
        svg = trajectory_svg(page)
        assert svg.startswith("<svg") and svg.count('class="target ') == len(entry.targets)


class _Series:
    """Observation points only, time = the end of the period, as the evaluator writes them."""

    def __init__(self, points: list[tuple[datetime, float]]) -> None:
        self.points = points

    def latest(self, measurement: str) -> dict[str, Row]:
        return {}

    def observations(self, indicator_id: str) -> list[tuple[datetime, float]]:
        return self.points


@pytest.mark.parametrize("frequency", list(Frequency))
def test_a_point_is_read_back_as_the_months_it_covers(frequency: Frequency) -> None:
    """A half-year point of an annual entry is the first half, not the year; December is the
    year whatever the frequency."""
    entry = CATALOG.get("gsbase-rd-expenditure").model_copy(update={"frequency": frequency})
    points = [
        (datetime(2024, 12, 31, tzinfo=UTC), 150.0),
        (datetime(2025, 6, 30, tzinfo=UTC), 80.0),
        (datetime(2025, 12, 31, tzinfo=UTC), 170.0),
    ]
    page = indicator_page(entry, _Series(points))
    assert page.observed == [(2024.0, 150.0), (2024.5, 80.0), (2025.0, 170.0)]


def test_the_board_names_a_final_miss_in_chinese() -> None:
    from planwatch_board.views import STATUS_COLOURS, STATUS_ZH

    assert STATUS_ZH["not_achieved"] == "未达标" and STATUS_COLOURS["not_achieved"] == "#82071e"
    order = list(STATUS_ZH)
    assert order.index("deterioration") < order.index("not_achieved") < order.index("no_data")
