"""What a bureau owes now and next, by the reporting calendar."""

from __future__ import annotations

from datetime import date

import pytest

from planwatch.catalog import default_catalog
from planwatch.domain.calendar import year_due
from planwatch.settings import CommonSettings
from planwatch_portal.owed import owed
from planwatch_portal.settings import Settings

CATALOG = default_catalog()


def test_baiyin_owes_its_last_plan_year_and_nothing_after() -> None:
    items = owed(CATALOG, ["白银市"], date(2026, 12, 2))
    # each indicator's last target year (2025, or 2023 for the bases' consolidation), owed now,
    # due by its statistic's calendar: R&D spending of 2025 on 30 December 2026
    assert items and all(i.now and i.period == str(i.entry.last_year) for i in items)
    assert all(i.due == year_due(i.entry, i.entry.last_year) for i in items)
    rd = next(i for i in items if i.entry.id == "baiyin-enterprise-rd-share")
    assert rd.due == date(2026, 12, 30)
    assert len(items) == len(CATALOG.for_jurisdiction("白银市"))


def test_a_figure_is_owed_only_once_it_can_exist() -> None:
    # R&D spending of 2025 is surveyed late in 2026: in February 2026 it is owed next, not now
    items = owed(CATALOG, ["甘肃省"], date(2026, 2, 10))
    rd = [(i.period, i.now, i.due) for i in items if i.entry.id == "gsbase-rd-expenditure"]
    assert rd == [("2025", False, date(2026, 12, 30))]
    later = owed(CATALOG, ["甘肃省"], date(2026, 12, 2))
    rd = [(i.period, i.now, i.due) for i in later if i.entry.id == "gsbase-rd-expenditure"]
    assert rd == [("2025", True, date(2026, 12, 30)), ("2026", False, date(2027, 12, 30))]
    # before the first plan year has ended, only that year is owed, next
    first = owed(CATALOG, ["甘肃省"], date(2025, 2, 10))
    assert [(i.period, i.now) for i in first if i.entry.id == "gsbase-rd-expenditure"] == [
        ("2025", False)
    ]
    assert not owed(CATALOG, ["火星市"], date(2025, 2, 10))


def test_a_key_for_every_jurisdiction_owes_them_all() -> None:
    items = owed(CATALOG, [], date(2024, 6, 1), all_jurisdictions=True)
    assert {i.entry.jurisdiction for i in items} == set(CATALOG.jurisdictions)


def test_placeholder_session_secrets_are_refused() -> None:
    with pytest.raises(ValueError, match="session_secret"):
        Settings(session_secret="changeme", common=CommonSettings())
    assert len(Settings(common=CommonSettings()).session_secret.get_secret_value()) >= 32
    empty = Settings(session_secret="", common=CommonSettings())  # an empty line in .env
    assert len(empty.session_secret.get_secret_value()) >= 32
