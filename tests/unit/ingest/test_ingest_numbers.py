"""The numbers of a bureau's spreadsheet cells: what is read on purpose, and why the rest is not."""

from __future__ import annotations

import math

import pytest

from planwatch_ingest.parsing import read_number
from planwatch_ingest.validation import NotANumber


@pytest.mark.parametrize(
    ("cell", "number"),
    [
        ("12.5", 12.5),
        (" 7 ", 7.0),  # a space around the number, as Excel's export leaves it
        ("1,234.5", 1234.5),  # Excel's and WPS's thousands separators
        ("12,345,678", 12345678.0),
        ("-1,000", -1000.0),
        ("１２３．４", 123.4),  # full-width digits and point from a Chinese input method
        ("１，２３４", 1234.0),
        ("－３", -3.0),
        ("\u3000８\u3000", 8.0),  # the ideographic space around it
        ("1.2E+11", 1.2e11),  # Excel's CSV export of a wide number
        (".5", 0.5),
    ],
)
def test_what_a_spreadsheet_writes_is_read(cell: str, number: float) -> None:
    assert read_number(cell) == number


@pytest.mark.parametrize(
    ("cell", "why"),
    [
        ("1_000", "underscores"),  # Python's literal syntax: no spreadsheet writes it
        ("1,5,6", "groups of three"),
        ("12,34", "groups of three"),
        ("1 000", "no spaces"),
        ("١٢٣", "0-9"),  # Arabic-Indic digits, which Python's float() would read
        ("12.5%", "without %"),
        ("abc", "not a number"),
        ("0x10", "not a number"),
        ("--5", "not a number"),
    ],
)
def test_the_rest_is_refused_with_the_reason(cell: str, why: str) -> None:
    result = read_number(cell)
    assert isinstance(result, NotANumber) and result == cell
    assert why in result.why


def test_not_finite_words_are_left_to_the_finite_check() -> None:
    assert math.isnan(read_number("NaN")) and read_number("-Infinity") == -math.inf
