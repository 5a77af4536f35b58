"""The reporting calendar against worked examples: a figure that cannot exist yet is never
chased; one never reported since the plan start is; a shared statistic is owed once."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planwatch.catalog import default_catalog
from planwatch.domain.calendar import (
    DEFAULT_LAG_MONTHS,
    Action,
    Policy,
    addressees,
    due_rule,
    duties,
    month_bounds,
    owed_period,
    remind_period,
    slots,
)
from planwatch.domain.model import Frequency, Statistic

CATALOG = default_catalog()


def _entry(entry_id: str):  # type: ignore[no-untyped-def]
    entry = CATALOG.get(entry_id)
    assert entry is not None, entry_id
    return entry


def _for(entry_id: str, reported: dict[str, list[str]], as_of: date) -> list:  # type: ignore[type-arg]
    entry = _entry(entry_id)
    return duties([entry], reported, as_of)


def test_rd_spending_of_2025_is_not_chased_before_it_can_exist() -> None:
    # 全社会R&D经费投入 of 2025: published late in 2026 (30 November), due 30 days later
    entry = _entry("gsbase-rd-expenditure")
    [first, *_] = slots(entry)
    assert (first.period, first.available, first.due) == (
        "2025",
        date(2026, 11, 30),
        date(2026, 12, 30),
    )
    # in March and in November 2026 nothing is owed: the figure cannot exist yet
    assert _for("gsbase-rd-expenditure", {}, date(2026, 3, 31)) == []
    assert _for("gsbase-rd-expenditure", {}, date(2026, 11, 29)) == []
    # two weeks before the due date: a reminder to the statistics bureau
    [remind] = _for("gsbase-rd-expenditure", {}, date(2026, 12, 16))
    assert (remind.action, remind.to, remind.period) == (Action.REMIND, ("甘肃省统计局",), "2025")
    assert remind.copied == ("省科技厅",) and remind.days_overdue == -14


def test_a_figure_never_reported_since_the_plan_start_is_chased_then_escalated() -> None:
    # 科技进步贡献率 of 2025 never arrived: chased to the bureau on 31 December 2026 …
    [chase] = _for("gsbase-tech-progress-contribution", {}, date(2026, 12, 31))
    assert (chase.action, chase.to, chase.days_overdue) == (Action.CHASE, ("甘肃省统计局",), 1)
    # … and 60 days after the due date the plan's supervisor hears of it, the bureau copied
    [escalate] = _for("gsbase-tech-progress-contribution", {}, date(2027, 3, 1))
    assert escalate.action is Action.ESCALATE
    assert escalate.to == ("省委科技委员会",)
    assert escalate.copied == ("甘肃省统计局", "省科技厅")


def test_nobody_is_both_sent_a_notice_and_copied_on_it() -> None:
    # a count the lead department publishes itself: sent to it, nobody copied
    assert addressees(Action.CHASE, ["省科技厅"], ["省科技厅"]) == (("省科技厅",), ())
    # a plan without a supervising body escalates to its lead, the bureau copied once
    assert addressees(
        Action.ESCALATE, ["甘肃省统计局"], ["省科技厅", "甘肃省统计局"], ["省科技厅"]
    ) == (("省科技厅",), ("甘肃省统计局",))
    # a shared statistic: its targets' leads copied once each, in order
    assert addressees(
        Action.REMIND, ["兰州市统计局"], ["兰州市政府", "白银市政府", "兰州市政府"]
    ) == (
        ("兰州市统计局",),
        ("兰州市政府", "白银市政府"),
    )


def test_a_reported_figure_is_not_owed_and_a_later_level_supersedes_a_missing_one() -> None:
    as_of = date(2028, 1, 15)
    assert [d.period for d in _for("gsbase-rd-expenditure", {}, as_of)] == ["2025", "2026"]
    reported = {"gsbase-rd-expenditure": ["2026"]}
    assert _for("gsbase-rd-expenditure", reported, as_of) == []  # a level: 2026 supersedes 2025


def test_every_year_of_a_yearly_flow_is_owed() -> None:
    # 每年培训技术经纪人: each year's figure is a figure of its own
    entry = _entry("gs4p-broker-trainees")
    reported = {entry.id: ["2025"]}
    owed = duties([entry], reported, date(2026, 6, 1))
    assert [d.period for d in owed] == ["2023", "2024"]
    assert all(d.action is Action.ESCALATE for d in owed)


def test_plan_office_counts_are_due_at_year_end() -> None:
    # a count the department keeps (高新技术企业) exists on 31 December: due 30 January
    [slot, *_] = slots(_entry("baiyin-high-tech-enterprises"))
    assert (slot.period, slot.available, slot.due) == (
        "2022",
        date(2022, 12, 31),
        date(2023, 1, 30),
    )
    assert due_rule(_entry("baiyin-high-tech-enterprises"))["rule"] == "当年年底可得,其后30日内报送"


def test_a_shared_statistic_is_owed_once_for_all_its_targets() -> None:
    # 技术合同成交额 of Gansu: targeted by gsbase and gs4p, reported once
    members = [e for e in CATALOG if e.series == "gansu-tech-contract-turnover"]
    assert {e.plan_code for e in members} == {"gsbase", "gs4p"}
    owed = duties(members, {}, date(2026, 4, 15))
    assert len({(d.series, d.period) for d in owed}) == len(owed)
    [y2025] = [d for d in owed if d.period == "2025"]
    assert set(y2025.targets) == {"gsbase-tech-contract-turnover", "gs4p-tech-contract-turnover"}
    # tech-market figures exist at the end of February: 2025 due 30 March 2026, chased after
    assert (y2025.available, y2025.due, y2025.action) == (
        date(2026, 2, 28),
        date(2026, 3, 30),
        Action.CHASE,
    )
    assert y2025.to == ("省科技厅",)
    # reported under the series id (or either target's id), it is owed by neither
    assert duties(members, {"gansu-tech-contract-turnover": ["2025"]}, date(2026, 4, 15)) == []
    assert duties(members, {"gs4p-tech-contract-turnover": ["2025"]}, date(2026, 4, 15)) == []


def test_owed_period_is_the_latest_missing_figure_past_its_due_date() -> None:
    entry = _entry("gsbase-rd-expenditure")
    assert owed_period(entry, [], date(2026, 12, 29)) is None
    found = owed_period(entry, [], date(2026, 12, 30))
    assert found is not None and found[0].period == "2025" and found[1] is False
    found = owed_period(entry, [], date(2028, 3, 1))
    assert found is not None and found[0].period == "2026" and found[1] is True
    assert owed_period(entry, ["2026"], date(2028, 3, 1)) is None


def test_the_policy_rejects_a_negative_time_and_a_missing_lag() -> None:
    with pytest.raises(ValueError, match="grace_days"):
        Policy(grace_days=-1)
    lags = {k: v for k, v in DEFAULT_LAG_MONTHS.items() if k is not Statistic.FISCAL}
    with pytest.raises(ValueError, match=r"lag_months.*fiscal"):
        Policy(lag_months=lags)


def test_month_bounds() -> None:
    assert month_bounds("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    with pytest.raises(ValueError, match="month"):
        month_bounds("2024")


@settings(max_examples=40, deadline=None)
@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31)))
def test_nothing_is_ever_asked_for_before_it_can_exist(as_of: date) -> None:
    for duty in duties(CATALOG, {}, as_of):
        assert duty.available <= as_of
        assert (duty.action is Action.REMIND) == (as_of < duty.due)


def test_the_reminder_period_is_owed_from_its_reminder_date_until_its_due_date() -> None:
    # R&D spending of 2025: can exist 30 November 2026, due 30 December, reminder 14 days before
    entry = _entry("gsbase-rd-expenditure")
    assert remind_period(entry, [], date(2026, 12, 15)) is None  # the day before the reminder
    on = remind_period(entry, [], date(2026, 12, 16))
    assert on is not None and (on.period, on.due) == ("2025", date(2026, 12, 30))
    last = remind_period(entry, [], date(2026, 12, 29))
    assert last is not None and last.period == "2025"
    # from the due date on the figure is chased, never reminded of
    assert remind_period(entry, [], date(2026, 12, 30)) is None
    assert owed_period(entry, [], date(2026, 12, 30)) is not None
    # reported before the reminder date (or reminded of already): nothing to remind
    assert remind_period(entry, ["2025"], date(2026, 12, 16)) is None
    assert remind_period(entry, [], date(2026, 12, 20), after="2025") is None
    # a longer configured reminder starts earlier, but never before the figure can exist
    early = Policy(remind_days=60)
    assert remind_period(entry, [], date(2026, 11, 29), early) is None
    found = remind_period(entry, [], date(2026, 11, 30), early)
    assert found is not None and found.period == "2025"


def test_a_monthly_figure_is_reminded_of_once_per_month() -> None:
    entry = _entry("gsbase-rd-expenditure").model_copy(update={"frequency": Frequency.MONTHLY})
    # June 2025: can exist 31 July, due 30 August; reminded of from 16 August
    found = remind_period(entry, [], date(2025, 8, 16))
    assert found is not None and (found.period, found.due) == ("2025-06", date(2025, 8, 30))
    # reminded of June, the next is July (due 30 September, reminder 16 September)
    assert remind_period(entry, [], date(2025, 8, 20), after="2025-06") is None
    nxt = remind_period(entry, [], date(2025, 9, 16), after="2025-06")
    assert nxt is not None and nxt.period == "2025-07"


@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=date(2024, 1, 1), max_value=date(2032, 12, 31)))
def test_the_reminder_period_is_the_calendars_reminder(as_of: date) -> None:
    """``remind_period`` says for one entry what ``duties`` lists as a reminder."""
    entry = _entry("gsbase-rd-expenditure")
    reminders = [d for d in duties([entry], {}, as_of) if d.action is Action.REMIND]
    found = remind_period(entry, [], as_of)
    assert (found.period if found else None) == (reminders[0].period if reminders else None)
