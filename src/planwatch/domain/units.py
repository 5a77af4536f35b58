"""Units of the plan figures: spellings, known equivalents and what a unit says about a value.

Pure. A bureau may send 万元 for an indicator the plan states in 亿元; the figure is converted
to the catalog's unit and the conversion is reported back, never applied silently.
"""

from __future__ import annotations

from dataclasses import dataclass

from planwatch.domain.chinese import to_simplified

__all__ = [
    "COUNT_UNITS",
    "Conversion",
    "UnitMismatch",
    "convert",
    "is_count",
    "is_percent",
    "normalize_unit",
]

# Spellings that are not a matter of script, mapped to the catalog's spelling (Traditional
# characters are converted by OpenCC: 億元 → 亿元, 個 → 个, 項 → 项).
_SPELLINGS: dict[str, str] = {
    "人/年": "人年",
    "％": "%",
    "百分比": "%",
    "percent": "%",
}

# Each unit as a multiple of its dimension's base unit. Only exact, unambiguous equivalents.
_SCALE: dict[str, tuple[str, float]] = {
    "元": ("yuan", 1.0),
    "万元": ("yuan", 1e4),
    "亿元": ("yuan", 1e8),
    "人": ("people", 1.0),
    "名": ("people", 1.0),
    "万人": ("people", 1e4),
    "件": ("pieces", 1.0),
    "万件": ("pieces", 1e4),
    "项": ("projects", 1.0),
    "万项": ("projects", 1e4),
    "人年": ("person_years", 1.0),
    "万人年": ("person_years", 1e4),
}

# Counting words: a figure in one of these can never be negative.
COUNT_UNITS: frozenset[str] = frozenset(
    {"家", "个", "项", "件", "人", "名", "人次", "场次", "次", "万人", "万件", "万项", "人年", "所"}
    | {"万人年", "座", "台", "套", "篇", "部", "条", "门", "支", "位"}
)


class UnitMismatch(ValueError):
    """A unit that is neither the catalog's unit nor a known equivalent of it."""


@dataclass(frozen=True)
class Conversion:
    """How a figure sent in another unit was brought to the catalog's unit."""

    from_unit: str
    to_unit: str
    factor: float  # value_in_to_unit = value_in_from_unit * factor

    def apply(self, value: float) -> float:
        # Round away binary noise such as 12000 * 1e-4 = 1.2000000000000002.
        return round(value * self.factor, 10)

    @property
    def note(self) -> str:
        return f"converted from {self.from_unit} to {self.to_unit} (×{self.factor:g})"


def normalize_unit(unit: str) -> str:
    """The catalog's spelling of a unit (Traditional, full-width and spaces folded)."""
    cleaned = to_simplified(unit.strip().replace(" ", ""))
    return _SPELLINGS.get(cleaned, cleaned)


def convert(from_unit: str, to_unit: str) -> Conversion | None:
    """None when the units are the same; the conversion when they are known equivalents.

    Raises UnitMismatch when there is no known equivalence.
    """
    source, target = normalize_unit(from_unit), normalize_unit(to_unit)
    if source == target:
        return None
    known_source, known_target = _SCALE.get(source), _SCALE.get(target)
    if known_source and known_target and known_source[0] == known_target[0]:
        return Conversion(
            from_unit=source, to_unit=target, factor=known_source[1] / known_target[1]
        )
    raise UnitMismatch(f"unit {from_unit!r} does not match the indicator's unit {to_unit!r}")


def is_percent(unit: str) -> bool:
    return normalize_unit(unit) == "%"


def is_count(unit: str) -> bool:
    return normalize_unit(unit) in COUNT_UNITS
