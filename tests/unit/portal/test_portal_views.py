"""The portal's words for ingest's answers: row checks in Chinese, receipts with revisions."""

from __future__ import annotations

import csv
import io
from datetime import date

from planwatch.catalog import default_catalog
from planwatch_portal.views import (
    FormRow,
    definition,
    preview_rows,
    receipt_csv,
    receipt_lines,
    sent_figures,
    status_of,
)

CATALOG = default_catalog()
ID = "baiyin-tech-progress-contribution"


def _figure(period: str, value: float, vintage: int, at: str) -> dict[str, object]:
    return {
        "event_id": f"e{period}{vintage}",
        "indicator_id": ID,
        "jurisdiction": "白银市",
        "period": period,
        "value": value,
        "unit": "%",
        "vintage": vintage,
        "received_at": at,
        "submission_id": "s",
    }


def test_a_refused_row_names_the_field_the_problem_and_the_fix() -> None:
    answer = {
        "items": [
            {
                "row": 1,
                "line": 7,
                "input": {"indicator_id": ID, "period": "2024", "value": "十二"},
                "status": "invalid",
                "errors": [
                    {
                        "field": "value",
                        "problem": "'十二' is not a number",
                        "reason": "not_a_number",
                    }
                ],
            },
            {
                "row": 2,
                "input": {"indicator_id": ID, "period": "2023", "value": 56.5},
                "status": "revised",
                "vintage": 2,
                "unit": "%",
                "value": 56.5,
                "previous": {"vintage": 1, "value": 56.0, "event_id": "x"},
                "errors": [],
            },
        ]
    }
    bad, revised = preview_rows(answer, CATALOG)
    assert (bad.line, bad.values["value"], bad.indicator) == (7, "十二", "科技进步贡献率")
    assert bad.problems == [("数值", "数值不是数字", "只填数字，不带单位和文字，如 12.5")]
    assert revised.values["value"] == "56.5"
    assert revised.detail == "修订第1版（原值56%），成为第2版"


def test_form_rows_send_numbers_and_leave_text_for_ingest_to_refuse() -> None:
    row = FormRow({"indicator_id": ID, "period": "2024", "value": "1,234.5", "unit": ""})
    assert row.as_json() == {"indicator_id": ID, "period": "2024", "value": 1234.5}
    assert FormRow({"value": "abc"}).as_json() == {"value": "abc"}


def test_a_receipt_says_which_earlier_figure_a_revision_replaced() -> None:
    sent = sent_figures(
        [
            _figure("2023", 56.0, 1, "2026-01-05T00:00:00Z"),
            _figure("2024", 57.0, 1, "2026-01-05T00:00:00Z"),
            _figure("2024", 57.4, 2, "2026-02-01T00:00:00Z"),
        ]
    )
    lines = receipt_lines("2026-02-01T00:00:00Z", sent, CATALOG, date(2026, 3, 1))
    assert len(lines) == 1
    line = lines[0]
    assert line.result == "修订" and line.replaced is not None and line.replaced.value == 57.0
    assert line.status.label in {"进度正常", "需加快进度", "进展有限", "出现倒退", "已达标"}
    rows = list(
        csv.reader(io.StringIO(receipt_csv("白银市统计局", "t", lines).decode("utf-8-sig")))
    )
    assert rows[2][6:10] == ["修订", "2", "57", "1"]


def test_status_without_figures_or_entry() -> None:
    assert status_of(None, [], date(2026, 1, 1)).label == "待评估"
    entry = CATALOG.get(ID)
    assert "暂无" in status_of(entry, [], date(2026, 1, 1)).label
    assert definition(entry).startswith("科技进步贡献率（%）。水平值")
