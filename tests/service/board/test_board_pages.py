"""The board's pages over a fake reader at its port (the real stores are tested in integration)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from planwatch.catalog import default_catalog
from planwatch_board.adapters.embedded import EmbeddedReader
from planwatch_board.adapters.influxql import InfluxQLReader
from planwatch_board.app import create_app, reader_from
from planwatch_board.ports import Row
from planwatch_board.settings import Settings
from planwatch_board.views import STATUS_COLOURS

CATALOG = default_catalog()


def at(year: int) -> datetime:
    return datetime(year, 12, 31, tzinfo=UTC)


class FakeReader:
    """Rows shaped as docs/timeseries.md; stands in for the store so pages test alone."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Row]] = {"assessment": {}, "overdue": {}}
        self.series: dict[str, list[tuple[datetime, float]]] = {}

    def latest(self, measurement: str) -> dict[str, Row]:
        return self.rows.get(measurement, {})

    def observations(self, indicator_id: str) -> list[tuple[datetime, float]]:
        return self.series.get(indicator_id, [])


@pytest.fixture
def reader() -> FakeReader:
    fake = FakeReader()
    fake.series["baiyin-tech-progress-contribution"] = [(at(2022), 54.5), (at(2023), 55.0)]
    fake.rows["assessment"]["baiyin-tech-progress-contribution"] = {
        "time": at(2023),
        "status": "limited_progress",
        "observed": 55.0,
        "planned": 56.0,
        "gap": -1.0,
        "progress_ratio": 0.5,
        "projected": 56.0,
        "target_year": 2025,
    }
    fake.rows["assessment"]["gsbase-rd-expenditure"] = {
        "time": at(2025),
        "status": "achieved",
        "observed": 181.0,
    }
    # owed 2025 and still missing; the other one owed 2023 but 2023 was assessed since
    fake.rows["overdue"]["gs4p-tech-contract-turnover"] = {"time": at(2026), "period": "2025"}
    fake.rows["overdue"]["baiyin-tech-progress-contribution"] = {"time": at(2024), "period": "2023"}
    return fake


@pytest.fixture
def client(reader: FakeReader) -> TestClient:
    return TestClient(create_app(reader, CATALOG))


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_overview_lists_every_plan_jurisdiction_and_indicator(client: TestClient) -> None:
    html = client.get("/").text
    for plan in CATALOG.plans.values():
        assert plan.title in html
    for jurisdiction in {e.jurisdiction for e in CATALOG}:
        assert f"<strong>{jurisdiction}</strong>" in html
    links = set(re.findall(r'href="/indicators/([\w-]+)"', html))
    assert links == {e.id for e in CATALOG}


def test_overview_counts_by_status_with_a_colour_each(client: TestClient) -> None:
    html = client.get("/").text
    counts = dict(re.findall(r'data-status="(\w+)">.*?</span> (\d+)</span>', html))
    total = len(list(CATALOG))
    assert counts == {
        "achieved": "1",
        "limited_progress": "1",
        "no_data": str(total - 2),
        "overdue": "1",
    }
    for status in counts:
        assert f"background:{STATUS_COLOURS[status]}" in html
    assert "2025 逾期" in html and "2023 逾期" not in html


def test_indicator_page_has_chart_targets_source_and_lead(client: TestClient) -> None:
    entry = CATALOG.get("baiyin-tech-progress-contribution")
    html = client.get(f"/indicators/{entry.id}").text
    assert "<svg" in html and 'class="observed"' in html and 'class="projection"' in html
    assert 'class="planned binding"' in html and 'class="planned expected"' in html
    assert html.count('class="target ') == len(entry.targets)
    assert entry.source_quote.replace("&", "&amp;") in html
    assert STATUS_COLOURS["limited_progress"] in html and "进展有限" in html


def test_a_missed_target_year_shows_in_the_target_table_with_its_shortfall(
    reader: FakeReader, client: TestClient
) -> None:
    """R&D: 180亿元 by 2025, 280亿元 by 2030; 2025's figure 150 is in. The 2025 row is a final
    未达标 with its own figure and the shortfall; 2030 cannot be judged yet, and the page says
    so in a sentence rather than 无数据 beside a known miss."""
    reader.series["gsbase-rd-expenditure"] = [(at(2025), 150.0)]
    reader.rows["assessment"]["gsbase-rd-expenditure"] = {
        "time": at(2025), "status": "not_achieved", "observed": 150.0, "target_year": 2025,
    }  # fmt: skip
    html = client.get("/indicators/gsbase-rd-expenditure").text
    rows = re.findall(r"<tr><td>(\d{4})</td>(.*?)</tr>", html, flags=re.S)
    cells = {year: re.sub(r"<[^>]+>", " ", rest) for year, rest in rows}
    assert set(cells) == {"2025", "2030"}
    assert "未达标" in cells["2025"] and "最终" in cells["2025"]
    assert "150亿元" in cells["2025"] and "差 30亿元（-16.7%）" in cells["2025"]
    assert "未达标" not in cells["2030"] and "最终" not in cells["2030"]
    assert "2030年目标280亿元尚待更多数据方能判断" in html
    assert STATUS_COLOURS["not_achieved"] in html


def test_indicator_page_names_the_lead_agency(client: TestClient) -> None:
    entry = CATALOG.get("gs4p-tech-contract-turnover")
    html = client.get(f"/indicators/{entry.id}").text
    assert f"牵头单位 Lead agency：{entry.lead_agencies[0]}" in html
    assert "2025 逾期" in html


def test_indicator_without_data_still_renders_targets(client: TestClient) -> None:
    html = client.get("/indicators/gsbase-tech-progress-contribution").text
    assert "暂无数据" in html and 'class="target ' in html and 'class="observed"' not in html


def test_a_latest_assessment_without_some_fields_renders(
    client: TestClient, reader: FakeReader
) -> None:
    # one figure behind plan: no trend to project, so the store holds no "projected" field
    reader.rows["assessment"]["baiyin-tech-contract-turnover"] = {
        "time": at(2023),
        "status": "deterioration",
        "observed": 0.1,
        "planned": 8.68,
        "gap": -8.58,
        "target_year": 2025,
    }
    page = client.get("/indicators/baiyin-tech-contract-turnover")
    assert page.status_code == 200
    assert "最新值 0.1亿元；规划值 8.68亿元" in page.text and "年预测" not in page.text


def test_unknown_indicator_is_a_404_page(client: TestClient) -> None:
    answer = client.get("/indicators/no-such-id")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "未找到该指标" in answer.text and "no-such-id" in answer.text


def test_pages_need_no_javascript_and_no_cdn(client: TestClient) -> None:
    for path in ("/", "/indicators/baiyin-tech-progress-contribution"):
        html = client.get(path).text
        assert "<script" not in html
        assert not re.search(r'(src|href)="(https?:)?//', html)


def test_settings_choose_the_reader(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("PLANWATCH_DATA_DIR", str(tmp_path))
    assert isinstance(reader_from(Settings()), EmbeddedReader)
    monkeypatch.setenv("PLANWATCH_BOARD_INFLUX_URL", "http://127.0.0.1:1")
    assert isinstance(reader_from(Settings()), InfluxQLReader)


def test_embedded_reader_without_a_store_reads_nothing_and_creates_nothing(tmp_path) -> None:
    reader = EmbeddedReader(tmp_path / "timeseries.db")
    assert reader.latest("assessment") == {} and reader.observations("x") == []
    assert not (tmp_path / "timeseries.db").exists()
