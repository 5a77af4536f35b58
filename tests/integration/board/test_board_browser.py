"""The built-in board in headless Chromium: it renders, shows the chart and the status colours."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from planwatch.catalog import default_catalog
from planwatch.domain.events import SubmissionEvent
from planwatch.tsstore import EmbeddedSeriesStore
from planwatch_evaluator.core import evaluate, new_state, overdue_change
from support.browser import chromium
from support.net import free_port
from support.services import ServiceProcess

pytestmark = pytest.mark.integration
CATALOG = default_catalog()
SHOTS = os.environ.get("PLANWATCH_SCREENSHOTS")  # set to a folder to keep the PNGs (docs/img)
COLOURS = {  # services/board/planwatch_board/{views,chart}.py
    "achieved": (0x1A, 0x7F, 0x37),
    "limited_progress": (0xE1, 0x6F, 0x24),
    "needs_acceleration": (0xD4, 0xA7, 0x2C),
    "overdue": (0x82, 0x50, 0xDF),
    "observed": (0x24, 0x29, 0x2F),
    "binding": (0xCF, 0x22, 0x2E),
    "expected": (0x09, 0x69, 0xDA),
}
FIGURES = [  # (id, period, value): achieved, behind, one figure then overdue
    ("gsbase-provincial-innovative-enterprises", "2024", 1600.0),  # 1,800 due by 2025
    ("gsbase-provincial-innovative-enterprises", "2025", 1850.0),
    ("baiyin-tech-contract-turnover", "2022", 7.5),
    ("baiyin-tech-contract-turnover", "2023", 7.6),
    ("baiyin-tech-contract-turnover", "2024", 8.0),
    ("baiyin-tech-progress-contribution", "2022", 55.0),
    ("baiyin-tech-progress-contribution", "2023", 56.2),
    ("gs4p-tech-contract-turnover", "2023", 300.0),
]


def load(store: EmbeddedSeriesStore) -> None:
    """The evaluator's own points for a few figures, written as its embedded sink does."""
    states: dict[str, dict] = {}
    for indicator_id, period, value in FIGURES:
        entry = CATALOG.get(indicator_id)
        event = SubmissionEvent(
            catalog_version=CATALOG.version,
            submission_id=f"{indicator_id}-{period}",
            indicator_id=indicator_id,
            jurisdiction=entry.jurisdiction,
            period=period,
            value=value,
            unit=entry.unit,
            submitted_by="t",
            received_at=datetime(2025, 12, 1, tzinfo=UTC),  # Baiyin's 2025 still open
        )
        out = evaluate(entry, states.get(indicator_id, new_state()), event, CATALOG.version)
        states[indicator_id] = out.state
        store.write(out.points)
    entry = CATALOG.get("gs4p-tech-contract-turnover")
    _, _, point = overdue_change(entry, states[entry.id], date(2026, 11, 24), "v")
    assert point is not None
    store.write([point])


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("board")
    load(EmbeddedSeriesStore(data / "timeseries.db"))
    port = free_port()
    process = ServiceProcess(
        "board",
        {"PLANWATCH_DATA_DIR": str(data), "PLANWATCH_BOARD_PORT": str(port)},
        health_url=f"http://127.0.0.1:{port}/healthz",
    ).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium(1280, 1600) as web:
        yield web


def shot(browser, url: str, tmp_path: Path, name: str):
    from PIL import Image

    browser.get(url)
    path = (Path(SHOTS) if SHOTS else tmp_path) / f"board-{name}.png"
    browser.save_screenshot(str(path))
    image = Image.open(path).convert("RGB")
    return browser.page_source, set(image.getdata())


def near(colours: set, rgb: tuple[int, int, int], tolerance: int = 6) -> bool:
    return any(all(abs(c[i] - rgb[i]) <= tolerance for i in range(3)) for c in colours)


def test_overview_renders_with_status_colours(board: str, browser, tmp_path: Path) -> None:
    html, colours = shot(browser, board + "/", tmp_path, "overview")
    assert "规划指标总览" in html and "白银市强科技行动实施方案" in html
    for status in ("achieved", "limited_progress", "overdue"):
        assert near(colours, COLOURS[status]), f"no {status} colour in the overview"


def test_indicator_page_shows_the_chart(board: str, browser, tmp_path: Path) -> None:
    url = board + "/indicators/baiyin-tech-contract-turnover"
    html, colours = shot(browser, url, tmp_path, "indicator")
    assert "<svg" in html and 'class="observed"' in html and "市科技局" in html
    entry = CATALOG.get("baiyin-tech-contract-turnover")
    assert entry.source_quote[:20] in html
    for line in ("observed", "binding", "expected"):
        assert near(colours, COLOURS[line]), f"no {line} line in the chart"


def test_unknown_indicator_is_a_404_page(board: str, browser) -> None:
    import httpx

    assert httpx.get(board + "/indicators/no-such-id").status_code == 404
    browser.get(board + "/indicators/no-such-id")
    assert "未找到该指标" in browser.page_source
