"""What a bureau owes now and next: the portal's stand-in for a reporting calendar."""

from __future__ import annotations

from datetime import date

import pytest

from planwatch.catalog import default_catalog
from planwatch.settings import CommonSettings
from planwatch_portal.owed import owed
from planwatch_portal.settings import Settings

CATALOG = default_catalog()


def test_baiyin_owes_its_last_plan_year_and_nothing_after() -> None:
    items = owed(CATALOG, ["白银市"], date(2026, 12, 2))
    assert items and all(i.now and i.period == "2025" for i in items)
    assert {i.due for i in items} == {date(2026, 3, 31)}
    assert len(items) == len(CATALOG.for_jurisdiction("白银市"))


def test_in_the_middle_of_a_plan_the_past_year_is_owed_now_and_this_year_next() -> None:
    items = owed(CATALOG, ["甘肃省"], date(2026, 2, 10))
    rd = [(i.period, i.now, i.due) for i in items if i.entry.id == "gsbase-rd-expenditure"]
    assert rd == [("2025", True, date(2026, 3, 31)), ("2026", False, date(2027, 3, 31))]
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
