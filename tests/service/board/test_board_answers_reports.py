"""The board's small additions: the agencies' answers on an indicator page (read from the alerts
API at its port) and the 督查通报 page with its PDF and XLSX downloads."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from planwatch.catalog import default_catalog
from planwatch_board.app import create_app

CATALOG = default_catalog()
ID = "baiyin-tech-progress-contribution"


class FakeSeries:
    def latest(self, measurement: str) -> dict[str, Any]:
        return {}

    def observations(self, indicator_id: str) -> list[tuple[datetime, float]]:
        if indicator_id != ID:
            return []
        return [
            (datetime(2022, 12, 31, tzinfo=UTC), 54.5),
            (datetime(2023, 12, 31, tzinfo=UTC), 54.6),
        ]


ALERT = {
    "id": 5,
    "indicator_id": ID,
    "jurisdiction": "白银市",
    "plan_code": "baiyin",
    "status": "limited_progress",
    "state": "acknowledged",
    "agencies": ["市科技局"],
    "opened_at": "2024-01-10T08:00:00Z",
    "responses": [
        {
            "at": "2024-01-12T09:30:00Z",
            "agency": "市科技局",
            "kind": "acknowledge",
            "text": "实施科技型企业研发投入倍增计划",
            "expected_recovery": "2024-12-31",
        }
    ],
}


class FakeAlerts:
    def __init__(self, alerts: list[dict[str, Any]] | None) -> None:
        self.found = alerts
        self.asked: list[dict[str, str]] = []

    def alerts(self, **params: str) -> list[dict[str, Any]] | None:
        self.asked.append(params)
        if self.found is None:
            return None
        column = {"plan": "plan_code"}
        return [
            a for a in self.found if all(a.get(column.get(k, k)) == v for k, v in params.items())
        ]


def client(alerts: FakeAlerts | None) -> TestClient:
    clock = lambda: datetime(2024, 1, 20, tzinfo=UTC)  # noqa: E731
    return TestClient(create_app(FakeSeries(), CATALOG, alerts, clock))


def test_the_indicator_page_shows_the_agencys_answer() -> None:
    fake = FakeAlerts([ALERT])
    html = client(fake).get(f"/indicators/{ID}").text
    assert fake.asked == [{"indicator_id": ID}]
    assert "预警与责任单位回复" in html and "已确认" in html
    assert "<strong>市科技局</strong>（确认并整改）：实施科技型企业研发投入倍增计划" in html
    assert "预计恢复 2024-12-31" in html


def test_a_chase_and_the_bureaus_answer_read_as_a_chase() -> None:
    chase = {
        **ALERT,
        "id": 6,
        "type": "overdue",
        "status": "overdue",
        "agencies": ["市统计局"],
        "responses": [
            {
                "at": "2024-01-15T09:30:00Z",
                "agency": "市统计局",
                "kind": "acknowledge",
                "text": "年报审核未完成",
                "expected_recovery": "2024-02-10",
            }
        ],
    }
    html = client(FakeAlerts([{**ALERT, "type": "offtrack"}, chase])).get(f"/indicators/{ID}").text
    assert "催报 #6" in html and "报送单位 市统计局" in html
    assert "<strong>市统计局</strong>（确认逾期）：年报审核未完成；预计报送 2024-02-10" in html
    # the target's own alert keeps its words
    assert "预警 #5" in html and "牵头单位 市科技局" in html and "预计恢复 2024-12-31" in html


def test_a_long_overdue_figures_supervisor_is_named_as_the_supervising_body() -> None:
    chase = {**ALERT, "id": 6, "type": "overdue", "status": "overdue", "agencies": ["市统计局"]}
    supervision = {**chase, "id": 7, "supervising": True, "agencies": ["市委科技委员会"]}
    html = client(FakeAlerts([chase, supervision])).get(f"/indicators/{ID}").text
    assert "催报 #6" in html and "报送单位 市统计局" in html
    assert "督办 #7" in html and "督办单位 市委科技委员会" in html
    assert "报送单位 市委科技委员会" not in html


def test_the_page_says_when_the_alerts_cannot_be_read_and_shows_nothing_without_them() -> None:
    assert "预警服务暂不可读" in client(FakeAlerts(None)).get(f"/indicators/{ID}").text
    assert "预警与责任单位回复" not in client(None).get(f"/indicators/{ID}").text


def test_the_report_page_and_its_files() -> None:
    web = client(FakeAlerts([ALERT]))
    assert "督查通报" in web.get("/reports").text
    page = web.get("/reports", params={"plan": "baiyin", "period": "2023-Q4"})
    assert page.status_code == 200
    plan = CATALOG.plans["baiyin"]
    assert plan.title in page.text and "实施科技型企业研发投入倍增计划" in page.text
    pdf = web.get("/reports", params={"plan": "baiyin", "period": "2023-Q4", "format": "pdf"})
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    xlsx = web.get("/reports", params={"plan": "baiyin", "period": "2023-Q4", "format": "xlsx"})
    book = load_workbook(io.BytesIO(xlsx.content))
    rows = list(book["进度滞后指标"].iter_rows(values_only=True))
    assert rows[1][0] == "科技进步贡献率" and rows[1][8] == "市科技局"
    bad = web.get("/reports", params={"plan": "baiyin", "period": "2023-Q7"})
    assert bad.status_code == 422 and "period: " in bad.text


def test_an_answer_is_shown_as_text_never_as_markup() -> None:
    hostile = {**ALERT, "responses": [{**ALERT["responses"][0], "text": "<script>x()</script>"}]}
    html = client(FakeAlerts([hostile])).get(f"/indicators/{ID}").text
    assert "<script>x()</script>" not in html and "&lt;script&gt;x()&lt;/script&gt;" in html
