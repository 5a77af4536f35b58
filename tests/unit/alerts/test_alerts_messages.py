"""The digest an agency reads: values with units, unknowns as a dash, the plan's own words."""

from __future__ import annotations

from planwatch.catalog import default_catalog
from planwatch.domain.model import one_line
from planwatch_alerts.messages import render_digest

ROW = default_catalog().get("baiyin-tech-progress-contribution")  # a row of the targets table


def _alert(projected: float | None) -> dict:
    assessment = {
        "tier": "binding",
        "target_year": 2025,
        "target_value": 58.0,
        "latest_period": "2023",
        "latest_value": 54.5,
        "planned": 56.0,
        "gap": -1.5,
        "gap_pct": -2.7,
        "projected": projected,
    }
    return {
        "indicator_id": ROW.id,
        "jurisdiction": ROW.jurisdiction,
        "status": "needs_acceleration",
        "type": "offtrack",
        "snapshot": {"target": ROW.snapshot(), "assessment": assessment},
    }


def test_a_table_row_is_quoted_on_one_line_with_its_cells() -> None:
    assert "\n" in ROW.source_quote  # the catalog keeps the seed's cells one per line
    _, body = render_digest([(_alert(57.0), "firing")], "市科技局", [], "zh", "http://b")
    assert "规划原文：「1 ｜ 综合指标 ｜ 科技进步贡献率 ｜ % ｜ 54 ｜ 58 ｜ 65」" in body
    assert "按近期趋势 2025 年预计：57%" in body
    assert "规划路径应为 56%；差距 -1.5% (-2.7%)" in body


def test_an_unknown_value_is_a_dash_without_a_unit() -> None:
    _, zh = render_digest([(_alert(None), "firing")], "市科技局", [], "zh", "http://b")
    assert "按近期趋势 2025 年预计：—\n" in zh
    _, en = render_digest([(_alert(None), "firing")], "S&T bureau", [], "en", "http://b")
    assert "projected for 2025: —\n" in en and "planned 56 %" in en


def test_prose_is_left_as_it_is() -> None:
    sentence = "全社会研发经费投入达到180亿元。"
    assert one_line(sentence) == sentence
    assert one_line(" 1\n\n综合指标\n") == "1 ｜ 综合指标"


def test_a_traditional_plan_is_read_in_simplified_with_its_own_words_beside() -> None:
    entry = default_catalog().get("lanbai-gdp")
    assert entry is not None
    alert = {**_alert(1500.0), "indicator_id": entry.id, "jurisdiction": entry.jurisdiction}
    alert["snapshot"] = {**alert["snapshot"], "target": entry.snapshot()}
    _, body = render_digest([(alert, "firing")], "兰州市政府", [], "zh", "http://b")
    assert "地区生产总值" in body and "亿元" in body and "億元" not in body.split("(原文")[0]
    assert (
        "规划原文(简体)：「地区生产总值达到1800亿元以上」(原文：「地區生産總值達到1800億元以上」)"
        in body
    )
