"""The 督查通报's numbers: the shares at the period's end, the movement since the last report,
the indicators behind with the agencies that lead them, their answers and days unanswered."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from planwatch.catalog import default_catalog
from planwatch.domain.periods import parse_period
from planwatch.reports.mail import last_complete_period, report_message
from planwatch.reports.model import ReportError, build_report, previous_period, report_period

CATALOG = default_catalog()
NOW = datetime(2025, 1, 20, tzinfo=UTC)


def year_end(year: int) -> datetime:
    return datetime(year, 12, 31, tzinfo=UTC)


# gsbase: R&D expenditure far behind its path to 180亿元 (2025); the contribution rate on track
SERIES = {
    "gsbase-rd-expenditure": [(year_end(2023), 130.0), (year_end(2024), 136.0)],
    "gsbase-tech-progress-contribution": [(year_end(2023), 60.0), (year_end(2024), 61.5)],
}


def observations(indicator_id: str) -> list[tuple[datetime, float]]:
    return SERIES.get(indicator_id, [])


def alert(responses: list[dict] | None = None) -> dict:
    return {
        "id": 3,
        "indicator_id": "gsbase-rd-expenditure",
        "jurisdiction": "甘肃省",
        "agencies": ["省科技厅"],
        "opened_at": "2025-01-06T09:00:00Z",
        "responses": responses or [],
    }


def test_counts_shares_and_movement_since_the_last_report() -> None:
    report = build_report(
        CATALOG, report_period("2024-Q4"), observations, [alert()], NOW, plan="gsbase"
    )
    total = len([e for e in CATALOG if e.plan_code == "gsbase"])
    assert report.counts() == {
        "achieved": 0,
        "on_track": 1,
        "behind": 1,
        "not_achieved": 0,
        "no_data": total - 2,
    }
    # at the end of 2024-Q3 only the 2023 figures were in: one figure is no verdict yet
    assert report.counts("before")["no_data"] == total
    assert report.movement() == {
        "achieved": 0,
        "on_track": 1,
        "behind": 1,
        "not_achieved": 0,
        "no_data": -2,
    }
    assert report.shares()["behind"] == pytest.approx(1 / total)
    assert report.title == CATALOG.plans["gsbase"].title and report.document_no


def test_an_indicator_behind_names_its_agencies_and_days_unanswered() -> None:
    report = build_report(
        CATALOG, report_period("2024-Q4"), observations, [alert()], NOW, plan="gsbase"
    )
    [item] = report.behind
    assert item.standing.entry.id == "gsbase-rd-expenditure"
    assert item.standing.status == "limited_progress"
    assert item.agencies == ("省科技厅",) and item.answers == ()
    assert item.days_unanswered == 14
    assert [v for _, v in item.series] == [130.0, 136.0]


def test_an_answered_alert_counts_no_days_unanswered() -> None:
    answer = {
        "at": "2025-01-08T10:00:00Z",
        "agency": "省科技厅",
        "kind": "acknowledge",
        "text": "追加研发后补助",
        "expected_recovery": "2025-12-31",
    }
    report = build_report(
        CATALOG, report_period("2024-Q4"), observations, [alert([answer])], NOW, plan="gsbase"
    )
    [item] = report.behind
    assert item.answers == (answer,) and item.days_unanswered is None
    body = report_message(report, [], "planwatch@localhost", ["lingdao@gansu.invalid"])
    text = body.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "进度滞后 1 项，较上期+1" in text and "省科技厅，已回复" in text


def test_without_alerts_the_agencies_come_from_the_catalog_rule() -> None:
    report = build_report(CATALOG, report_period("2024-Q4"), observations, None, NOW, plan="gsbase")
    [item] = report.behind
    assert not report.alerts_read
    # a goals paragraph names no agency: the plan's organiser leads it (科技部门主抓)
    assert item.agencies == ("省科技厅",)


def test_a_jurisdiction_report_gathers_its_plans() -> None:
    report = build_report(
        CATALOG, report_period("2024-Q4"), observations, [], NOW, jurisdiction="甘肃省"
    )
    plans = {s.entry.plan_code for s in report.standings}
    assert {"gsbase", "gs4p"} <= plans and report.counts()["behind"] == 1


@pytest.mark.parametrize(
    ("text", "field"),
    [("2025", "period"), ("2025-Q5", "period"), ("soon", "period")],
)
def test_a_bad_period_is_refused_naming_the_option(text: str, field: str) -> None:
    with pytest.raises(ReportError, match=f"^{field}: "):
        report_period(text)


def test_a_bad_plan_is_refused_naming_the_option() -> None:
    with pytest.raises(ReportError, match=r"^plan: no plan 'nope'"):
        build_report(CATALOG, report_period("2024-Q4"), observations, [], NOW, plan="nope")
    with pytest.raises(ReportError, match=r"^plan/jurisdiction"):
        build_report(CATALOG, report_period("2024-Q4"), observations, [], NOW)


def test_periods_before_and_last_complete() -> None:
    assert previous_period(parse_period("2025-Q1")).label == "2024-Q4"
    assert previous_period(parse_period("2025-01")).label == "2024-12"
    assert last_complete_period(datetime(2025, 10, 2).date(), "quarter") == "2025-Q3"
    assert last_complete_period(datetime(2025, 10, 2).date(), "month") == "2025-09"
