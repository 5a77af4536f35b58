"""The unit table: known equivalents convert and say so; anything else is a mismatch."""

from __future__ import annotations

import pytest

from planwatch.domain.units import UnitMismatch, convert, is_count, is_percent, normalize_unit


@pytest.mark.parametrize(
    ("sent", "catalog", "value", "expected"),
    [
        ("万元", "亿元", 12000, 1.2),
        ("亿元", "万元", 1.5, 15000),
        ("元", "万元", 50000, 5),
        ("萬元", "亿元", 10000, 1),  # Traditional spelling of 万元
        ("人", "万人", 25000, 2.5),
        ("万人", "人", 1.2, 12000),
        ("名", "人", 7, 7),
    ],
)
def test_known_equivalents_convert(sent: str, catalog: str, value: float, expected: float) -> None:
    conversion = convert(sent, catalog)
    assert conversion is not None
    assert conversion.apply(value) == pytest.approx(expected)
    assert sent not in ("名",) or conversion.factor == 1
    assert catalog in conversion.note


@pytest.mark.parametrize(("sent", "catalog"), [("亿元", "亿元"), ("億元", "亿元"), ("％", "%")])
def test_same_unit_needs_no_conversion(sent: str, catalog: str) -> None:
    assert convert(sent, catalog) is None


@pytest.mark.parametrize(
    ("sent", "catalog"), [("家", "亿元"), ("%", "家"), ("人", "亿元"), ("", "家")]
)
def test_other_units_are_a_mismatch(sent: str, catalog: str) -> None:
    with pytest.raises(UnitMismatch, match="does not match"):
        convert(sent, catalog)


def test_unit_kinds() -> None:
    assert is_count("家") and is_count("萬人") and not is_count("亿元")
    assert is_percent("％") and not is_percent("家")
    assert normalize_unit(" 億元 ") == "亿元"
