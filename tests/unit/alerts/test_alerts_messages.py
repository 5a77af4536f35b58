"""The digest an agency reads: its plan named, each figure once, a table row with its headers,
recoveries as good news, the answer link and the date to answer by, text and HTML alike."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from planwatch.catalog import default_catalog
from planwatch.domain.model import one_line
from planwatch.domain.quotes import table_cells
from planwatch_alerts.messages import DigestItem, render_digest

CATALOG = default_catalog()
ROW = CATALOG.get("baiyin-tech-progress-contribution")  # a row of the targets table
# 525亿 (技术合同认定登记成交额, gsbase) and 500亿 (技术合同成交额, gs4p): both 甘肃省
GS_CONTRACTS = [
    e
    for e in CATALOG
    if e.jurisdiction == "甘肃省" and "技术合同" in e.indicator and "成交额" in e.indicator
]


def _alert(
    projected: float | None, entry: Any = ROW, status: str = "needs_acceleration"
) -> dict[str, Any]:
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
        "explanation_zh": "最新值54.5%低于规划路径56%",
    }
    return {
        "id": 7,
        "indicator_id": entry.id,
        "jurisdiction": entry.jurisdiction,
        "plan_code": entry.plan_code,
        "status": status,
        "type": "offtrack",
        "snapshot": {"target": entry.snapshot(), "assessment": assessment},
    }


def _render(items: list[DigestItem], lang: str = "zh", reply_by: date | None = None) -> Any:
    return render_digest(items, "市科技局", [], lang, "http://b", CATALOG, reply_by)


def test_a_table_row_is_quoted_with_its_column_headers() -> None:
    assert "\n" in ROW.source_quote  # the catalog keeps the seed's cells one per line
    digest = _render([DigestItem(_alert(57.0), "firing")])
    assert (
        "规划原文（表格行）：序号 1；指标类型 综合指标；指标名称 科技进步贡献率；单位 %；"
        "2021年实际值 54；2025年约束值 58；2025年预期值 65"
    ) in digest.text
    assert "<th" in digest.html and ">2025年约束值</th>" in digest.html
    assert "按近期趋势 2025 年预计：57%" in digest.text
    assert "规划路径应为 56%；差距 -1.5% (-2.7%)" in digest.text


def test_the_contract_row_of_baiyin_reads_with_headers() -> None:
    entry = CATALOG.get("baiyin-tech-contract-turnover")
    assert entry is not None and table_cells(entry) == [
        ("序号", "12"),
        ("指标名称", "技术合同成交额"),
        ("单位", "亿元"),
        ("2021年实际值", "7.36"),
        ("2025年约束值", "10"),
        ("2025年预期值", "13"),
    ]


def test_each_figure_once_and_the_plan_named_on_every_item() -> None:
    digest = _render([DigestItem(_alert(57.0), "firing")])
    assert digest.text.count("54.5") == 1  # the explanation would repeat it
    plan = CATALOG.plans[ROW.plan_code]
    assert f"规划：{plan.title}" in digest.text and plan.title in digest.html


def test_two_plans_with_the_same_indicator_are_told_apart_by_title_and_document_number() -> None:
    assert len({e.plan_code for e in GS_CONTRACTS}) >= 2
    digest = _render([DigestItem(_alert(1.0, e), "firing") for e in GS_CONTRACTS])
    for e in GS_CONTRACTS:
        plan = CATALOG.plans[e.plan_code]
        assert plan.title in digest.text
        if plan.document_no:
            assert f"{plan.title}（{plan.document_no}）" in digest.text


def test_an_unknown_value_is_a_dash_without_a_unit() -> None:
    zh = _render([DigestItem(_alert(None), "firing")]).text
    assert "按近期趋势 2025 年预计：—\n" in zh
    en = _render([DigestItem(_alert(None), "firing")], "en").text
    assert "projected for 2025: —\n" in en and "planned 56 %" in en


def test_recoveries_only_are_good_news_and_ask_nothing() -> None:
    digest = _render(
        [DigestItem(_alert(60.0, status="on_track"), "resolved", (), "http://a/answer/7?t=x")],
        reply_by=date(2026, 4, 8),
    )
    assert digest.subject == "【planwatch】市科技局：1 项指标已恢复正常"
    assert "好消息" in digest.text and "需要关注" not in digest.text
    assert "0 项" not in digest.subject and "请于" not in digest.text
    assert "回复链接" not in digest.text


def test_an_alert_carries_its_answer_link_deadline_and_earlier_answers() -> None:
    answer = {
        "at": datetime(2026, 4, 2, tzinfo=UTC),
        "agency": "市科技局",
        "kind": "acknowledge",
        "text": "加大企业研发投入奖补",
        "expected_recovery": date(2026, 9, 30),
    }
    url = "http://alerts/answer/7?t=abc"
    digest = _render([DigestItem(_alert(57.0), "repeat", [answer], url)], reply_by=date(2026, 4, 9))
    assert "请于 2026-04-09 前通过每项下方的回复链接作答" in digest.text
    assert f"回复链接：{url}" in digest.text and f'href="{url}"' in digest.html
    assert (
        "已回复：2026-04-02 市科技局（确认并整改）：加大企业研发投入奖补；预计恢复：2026-09-30"
        in (digest.text)
    )
    assert digest.text.index("市科技局：") < digest.text.index("[仍未改善]")  # addressee first


def test_prose_is_left_as_it_is() -> None:
    sentence = "全社会研发经费投入达到180亿元。"
    assert one_line(sentence) == sentence
    assert one_line(" 1\n\n综合指标\n") == "1 ｜ 综合指标"


def test_a_traditional_plan_is_read_in_simplified_with_its_own_words_beside() -> None:
    entry = CATALOG.get("lanbai-gdp")
    assert entry is not None
    body = _render([DigestItem(_alert(1500.0, entry), "firing")]).text
    assert "地区生产总值" in body and "亿元" in body and "億元" not in body.split("(原文")[0]
    assert (
        "规划原文(简体)：「地区生产总值达到1800亿元以上」(原文：「地區生産總值達到1800億元以上」)"
        in body
    )


def _reminder(entry: Any = ROW, period: str = "2025", due: str = "2026-04-30") -> dict[str, Any]:
    snapshot = {"target": entry.snapshot(), "overdue_period": period, "due_date": due}
    return {
        "id": 9,
        "indicator_id": entry.id,
        "jurisdiction": entry.jurisdiction,
        "plan_code": entry.plan_code,
        "status": "reminder",
        "type": "reminder",
        "snapshot": snapshot,
    }


def test_a_reminder_names_the_figure_its_due_date_and_how_to_report_it() -> None:
    digest = _render([DigestItem(_reminder(), "reminder")], reply_by=date(2026, 4, 8))
    assert digest.subject == "【planwatch】市科技局：1 项指标数据即将到期，请按期报送"
    name = ROW.indicator_simplified or ROW.indicator
    assert f"[报送提醒] {name}（{ROW.jurisdiction}） — 数据即将到期" in digest.text
    assert "2025 期数据应于 2026-04-30 前报送，请按期报送" in digest.text
    assert "“待报送”页面" in digest.text and "POST /v1/submissions" in digest.text
    # nothing to answer: no deadline to answer by, no words about indicators falling behind
    assert "2026-04-08" not in digest.text and "进度滞后" not in digest.text
    assert "2026-04-30" in digest.html and "报送提醒" in digest.html
    english = _render([DigestItem(_reminder(), "reminder")], "en")
    assert english.subject == "[planwatch] 市科技局: 1 figure(s) due soon"
    assert "the figure for 2025 is due by 2026-04-30" in english.text
    assert "POST /v1/submissions" in english.text


def test_reminders_come_after_the_alerts_and_before_the_recoveries() -> None:
    items = [
        DigestItem(_reminder(), "reminder"),
        DigestItem({**_alert(57.0), "id": 8, "status": "on_track"}, "resolved"),
        DigestItem(_alert(57.0), "firing"),
    ]
    text = _render(items).text
    assert text.index("[预警]") < text.index("[报送提醒]") < text.index("[已恢复]")
    assert "另有 1 项数据即将到期" in text and "已恢复的指标见文末" in text


def test_each_target_year_is_quoted_in_its_own_sentence() -> None:
    """R&D (000): "…经费投入达到180亿元" for 2025 and "R&D经费投入达到280亿元" for 2030. An alert
    on the way to 2030 quotes the 2030 sentence; a final miss of 2025 the 2025 one."""
    rd = CATALOG.get("gsbase-rd-expenditure")
    on_the_way = _alert(211.8, rd, "limited_progress")
    on_the_way["snapshot"]["assessment"].update(target_year=2030, target_value=280.0)
    text = _render([DigestItem(on_the_way, "firing")]).text
    assert "规划原文：「R&D经费投入达到280亿元」" in text and "达到180亿元" not in text

    missed = _alert(None, rd, "not_achieved")
    missed["snapshot"]["target_year"] = 2025
    missed["snapshot"]["assessment"]["years"] = [
        {"year": 2025, "status": "not_achieved", "tiers": {"none": {
            "year": 2025, "tier": None, "target": 180.0, "status": "not_achieved",
            "final": True, "observed": 150.0, "gap": -30.0, "gap_pct": -16.7,
        }}},
    ]  # fmt: skip
    text = _render([DigestItem(missed, "firing")]).text
    assert "规划原文：「全社会研究与试验发展(R&D)经费投入达到180亿元」" in text
    assert "2025年实际：150亿元；差距 -30亿元 (-16.7%)" in text and "最终结论" in text
    english = _render([DigestItem(missed, "firing")], lang="en").text
    assert "target for 2025: 180 亿元" in english
    assert "2025 actual: 150 亿元; gap -30 亿元 (-16.7%)" in english and "is over" in english


def _overdue(key_suffix: str = "overdue", alert_id: int = 8) -> dict[str, Any]:
    """A chase (or, ``overdue-escalated``, its escalation) of R&D spending's 2025 figure."""
    entry = CATALOG.get("gsbase-rd-expenditure")
    assert entry is not None
    return {
        "id": alert_id,
        "alert_key": f"{entry.id}|{entry.jurisdiction}|{key_suffix}",
        "indicator_id": entry.id,
        "jurisdiction": entry.jurisdiction,
        "plan_code": entry.plan_code,
        "status": "overdue",
        "type": "overdue",
        "snapshot": {
            "target": entry.snapshot(),
            "overdue_period": "2025",
            "due_date": "2026-12-30",
        },
    }


def test_a_bureau_chased_for_a_figure_is_told_its_data_is_late_not_that_a_target_is_behind() -> (
    None
):
    chase = DigestItem(_overdue(), "firing", answer_url="http://a/8")
    digest = _render([chase], reply_by=date(2027, 1, 6))
    assert "1 项指标数据逾期未报" in digest.subject and "预警" not in digest.subject
    assert "以下规划指标的数据已过报送截止日期，至今未收到，请尽快报送。" in digest.text
    assert "说明未报原因和预计报送日期" in digest.text
    assert "进度滞后" not in digest.text and "整改措施" not in digest.text
    assert "2025 期数据应于 2026-12-30 前报送，至今未收到。" in digest.text
    # the supervising body, told of a figure long overdue, is asked to see that it is reported
    escalated = _render([DigestItem(_overdue("overdue-escalated"), "firing")])
    assert "请督促报送单位尽快报送" in escalated.text
    unanswered = _render([DigestItem(_overdue(), "escalation")])  # a chase nobody answered
    assert "请督促报送单位尽快报送" in unanswered.text
    # the figure arrives: the chase is over, which is not a target back on its path
    received = _render([DigestItem(_overdue(), "resolved")])
    assert "1 项逾期数据已收到" in received.subject
    assert "逾期数据已收到，催报解除" in received.text and "规划进度" not in received.text
    # an answer already given reads as an answer to a chase
    answered = DigestItem(
        _overdue(),
        "repeat",
        responses=[
            {
                "at": datetime(2027, 1, 2, tzinfo=UTC),
                "agency": "甘肃省统计局",
                "kind": "acknowledge",
                "text": "年报审核未完成",
                "expected_recovery": "2027-01-20",
            }
        ],
    )
    again = _render([answered])
    assert (
        "已回复：2027-01-02 甘肃省统计局（确认逾期）：年报审核未完成；预计报送：2027-01-20"
        in again.text
    )
    assert "预计报送：2027-01-20" in again.html and "预计恢复" not in again.html
    english = _render([chase], lang="en")
    assert "1 figure(s) overdue" in english.subject and "behind" not in english.text


def test_a_digest_of_both_kinds_says_both() -> None:
    items = [DigestItem(_alert(57.0), "firing"), DigestItem(_overdue(), "firing")]
    digest = _render(items, reply_by=date(2027, 1, 6))
    assert "2 项指标预警" in digest.subject
    assert "以下规划指标进度滞后或数据逾期未报，需要关注。" in digest.text
    back = _render([DigestItem(_alert(57.0), "resolved"), DigestItem(_overdue(), "resolved")])
    assert "已恢复到规划进度或逾期数据已收到" in back.text
    # a target behind alone reads as before
    behind = _render(
        [DigestItem(_alert(57.0), "firing", answer_url="http://a/7")], reply_by=date(2027, 1, 6)
    )
    assert "以下规划指标进度滞后，需要关注。" in behind.text and "整改措施" in behind.text
