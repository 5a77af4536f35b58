"""Check a batch of submitted rows against the catalog: every bad field of every row, at once.

One pass over plain dicts (no model per row): the hot path of the service. A row is a dict as
decoded from JSON or read from a CSV/Excel file; the result is either a list of clean
``Figure`` values or the list of every problem found.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from planwatch.domain.kinds import year_to_date_refusal
from planwatch.domain.model import Frequency
from planwatch.domain.periods import PeriodError, parse_period
from planwatch.domain.units import Conversion, UnitMismatch, convert
from planwatch.security import Principal
from planwatch_ingest.rules import MAX_ABS, EntryRule, fold_name

__all__ = ["FIELDS", "MISSING_CELLS", "Checked", "Figure", "NotANumber", "RowError", "Validator"]

FIELDS = (
    "indicator_id",
    "jurisdiction",
    "period",
    "value",
    "unit",
    "source",
    "comment",
    "submission_id",
)
_ALLOWED = frozenset(FIELDS)
# Marks a CSV row that ends before a required column: (missing columns, cells in the row).
MISSING_CELLS = "(missing cells)"


class NotANumber(str):
    """A value cell that is not a number as a spreadsheet writes one; ``why`` says what is off."""

    why: str

    def __new__(cls, text: str, why: str) -> NotANumber:
        self = super().__new__(cls, text)
        self.why = why
        return self


_TEXT_LIMITS = {"source": 500, "comment": 2000, "submission_id": 128}
_FAST_KEYS = frozenset(("indicator_id", "jurisdiction", "period", "value", "unit"))
# A text cell starting with one of these runs as a formula when the file is opened in a sheet.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # 1-based position of the row among the submitted rows
    field: str | None
    problem: str
    reason: str  # machine-readable; also the label of the rejected-rows metric

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "field": self.field,
            "problem": self.problem,
            "reason": self.reason,
        }


@dataclass(slots=True)
class Figure:
    """One valid row, in the catalog's unit."""

    row: int
    indicator_id: str
    jurisdiction: str
    period: str  # canonical label
    value: float
    unit: str
    conversion: Conversion | None
    original_value: float | None
    source: str | None
    comment: str | None
    submission_id: str | None
    series: str  # "indicator_id|jurisdiction|period": one reported figure and its revisions
    # the period as sent, when its label is not the canonical one it is stored under
    # ("2025-12" stored as "2025")
    period_sent: str | None = None


@dataclass
class Checked:
    figures: list[Figure] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    forbidden: list[RowError] = field(default_factory=list)  # rows outside the key's scope


def _is_formula(text: str) -> bool:
    if not text.startswith(_FORMULA_START):
        return False
    try:
        float(text)  # "-5" is a number, not a formula
    except ValueError:
        return True
    return False


# A parsed period text: (its label, its year, its canonical label per reporting frequency)
_Known = tuple[str, int, dict[Frequency, str]]


class Validator:
    """Checks submitted rows against the catalog's rules.

    ``today`` gives the date a submission is received on: a figure for a year that has not
    begun yet cannot have been observed (periods are years or year-to-date, from January).
    A period is kept under its canonical label for the indicator's frequency
    (``Period.canonical``): labels that cover the same months are one period.
    """

    def __init__(
        self, rules: Mapping[str, EntryRule], today: Callable[[], date] = date.today
    ) -> None:
        self._rules = rules
        self._today = today
        self._periods: dict[str, _Known | str] = {}  # text → parsed (see _Known) | problem
        self._jurisdictions: dict[str, str] = {}  # folded → catalog spelling
        for rule in rules.values():
            self._jurisdictions[fold_name(rule.jurisdiction)] = rule.jurisdiction

    def _period(self, text: str) -> _Known | str:
        known = self._periods.get(text)
        if known is None:
            try:
                period = parse_period(text)
                canonical = {f: period.canonical(f).label for f in Frequency}
                known = (period.label, period.year, canonical)
            except PeriodError as exc:
                known = str(exc)
            if len(self._periods) < 10_000:
                self._periods[text] = known
        return known

    def check(self, rows: Sequence[Any], principal: Principal) -> Checked:
        out = Checked()
        errors = out.errors
        seen: dict[str, int] = {}
        seen_ids: dict[str, int] = {}
        rules = self._rules
        periods = self._periods
        figures = out.figures
        covered: dict[str, bool] = {}
        this_year = self._today().year
        for index, raw in enumerate(rows):
            n = index + 1
            # Fast path: a plain row in the catalog's unit, checked with lookups only. Anything
            # else goes down the full path below, which names every problem.
            if type(raw) is dict and _FAST_KEYS.issuperset(raw):
                ind = raw.get("indicator_id")
                rule = rules.get(ind) if type(ind) is str else None
                text = raw.get("period")
                known = periods.get(text) if type(text) is str else None
                value = raw.get("value")
                unit = raw.get("unit")
                jurisdiction = raw.get("jurisdiction")
                if (
                    rule is not None
                    and type(known) is tuple
                    and (type(value) is float or type(value) is int)
                    and rule.low <= value <= rule.high
                    and rule.first_year <= known[1] <= rule.last_year
                    and known[1] <= this_year
                    and (rule.year_to_date or len(known[2][rule.frequency]) == 4)
                    and (unit is None or unit == rule.unit)
                    and (jurisdiction is None or jurisdiction == rule.jurisdiction)
                ):
                    jurisdiction = rule.jurisdiction
                    allowed = covered.get(jurisdiction)
                    if allowed is None:
                        allowed = covered[jurisdiction] = principal.covers(jurisdiction)
                    if allowed:
                        label = known[2][rule.frequency]
                        series = f"{rule.id}|{jurisdiction}|{label}"
                        first = seen.setdefault(series, n)
                        if first == n:
                            figures.append(
                                Figure(
                                    n,
                                    rule.id,
                                    jurisdiction,
                                    label,
                                    float(value),
                                    rule.unit,
                                    None,
                                    None,
                                    None,
                                    None,
                                    None,
                                    series,
                                    None if label == known[0] else known[0],
                                )
                            )
                            continue
            if type(raw) is not dict:
                errors.append(RowError(n, None, "a row must be a JSON object", "wrong_type"))
                continue
            before = len(errors)
            short: tuple[str, ...] = ()
            if not _ALLOWED.issuperset(raw):
                for name in raw:
                    if name == MISSING_CELLS and type(raw[name]) is tuple:
                        short, cells = raw[name]
                        for column in short:
                            problem = f"missing column: the row has only {cells} cells"
                            errors.append(RowError(n, column, problem, "missing_column"))
                    elif name not in _ALLOWED:
                        errors.append(RowError(n, str(name), "unknown field", "unknown_field"))
            rule = self._indicator(n, raw.get("indicator_id"), errors)
            jurisdiction = self._jurisdiction(n, raw.get("jurisdiction"), rule, errors)
            period = self._check_period(n, raw.get("period"), rule, errors, this_year)
            texts = self._texts(n, raw, errors)
            value, conversion, original = self._value(n, raw, rule, errors)
            if short:  # said once, as a missing column
                errors[before:] = [
                    e
                    for e in errors[before:]
                    if e.reason != "missing_field" or e.field not in short
                ]
            if len(errors) > before or rule is None or jurisdiction is None or period is None:
                continue
            assert value is not None
            if not principal.covers(jurisdiction):
                out.forbidden.append(
                    RowError(
                        n,
                        "jurisdiction",
                        f"this key may not submit figures for {jurisdiction}",
                        "scope",
                    )
                )
                continue
            label, sent = period
            figure = Figure(
                n,
                rule.id,
                jurisdiction,
                label,
                value,
                rule.unit,
                conversion,
                original,
                texts[0],
                texts[1],
                texts[2],
                f"{rule.id}|{jurisdiction}|{label}",
                None if label == sent else sent,
            )
            series = figure.series
            first = seen.setdefault(series, n)
            if first != n:
                # labels that differ but cover the same months: say so
                earlier = self._period(rows[first - 1]["period"])
                first_sent = earlier[0] if isinstance(earlier, tuple) else sent
                same = "" if first_sent == sent else f" ({first_sent} and {sent} are both {label})"
                errors.append(
                    RowError(
                        n,
                        None,
                        f"same indicator, jurisdiction and period as row {first}{same}",
                        "duplicate_row",
                    )
                )
                continue
            if figure.submission_id is not None:
                other = seen_ids.setdefault(figure.submission_id, n)
                if other != n:
                    errors.append(
                        RowError(
                            n,
                            "submission_id",
                            f"submission_id is also used by row {other}",
                            "duplicate_row",
                        )
                    )
                    continue
            out.figures.append(figure)
        return out

    def _indicator(self, n: int, value: Any, errors: list[RowError]) -> EntryRule | None:
        if value is None:
            errors.append(RowError(n, "indicator_id", "missing", "missing_field"))
            return None
        if type(value) is not str:
            errors.append(RowError(n, "indicator_id", "must be a string", "wrong_type"))
            return None
        rule = self._rules.get(value.strip())
        if rule is None:
            errors.append(
                RowError(
                    n,
                    "indicator_id",
                    f"unknown indicator {value[:80]!r} (see `planwatch catalog export`)",
                    "unknown_indicator",
                )
            )
        return rule

    def _jurisdiction(
        self, n: int, value: Any, rule: EntryRule | None, errors: list[RowError]
    ) -> str | None:
        if value is None or value == "":
            return rule.jurisdiction if rule else None
        if type(value) is not str:
            errors.append(RowError(n, "jurisdiction", "must be a string", "wrong_type"))
            return None
        name = self._jurisdictions.get(fold_name(value), value.strip())
        if rule is not None and name != rule.jurisdiction:
            errors.append(
                RowError(
                    n,
                    "jurisdiction",
                    f"{value[:80]!r} is not covered by {rule.id} (its jurisdiction is "
                    f"{rule.jurisdiction})",
                    "jurisdiction_not_covered",
                )
            )
            return None
        return name

    def _check_period(
        self, n: int, value: Any, rule: EntryRule | None, errors: list[RowError], this_year: int
    ) -> tuple[str, str] | None:
        """(the canonical label, the label as sent) of a valid period; None with the error."""
        if value is None:
            errors.append(RowError(n, "period", "missing", "missing_field"))
            return None
        if type(value) is not str:
            errors.append(
                RowError(n, "period", "must be a string: YYYY, YYYY-Qn or YYYY-MM", "wrong_type")
            )
            return None
        parsed = self._period(value)
        if isinstance(parsed, str):
            errors.append(RowError(n, "period", parsed[:200], "invalid_period"))
            return None
        label, year, canonical = parsed
        if rule is not None and not rule.first_year <= year <= rule.last_year:
            errors.append(
                RowError(
                    n,
                    "period",
                    f"{label} is outside the plan of {rule.id} "
                    f"({rule.first_year}–{rule.last_year})",
                    "period_outside_plan",
                )
            )
            return None
        if rule is not None and not rule.year_to_date and len(canonical[rule.frequency]) != 4:
            errors.append(
                RowError(
                    n, "period", year_to_date_refusal(rule.kind, label), "year_to_date_refused"
                )
            )
            return None
        if year > this_year:
            errors.append(
                RowError(
                    n,
                    "period",
                    f"{label} has not begun: figures are for periods up to {this_year}",
                    "period_in_future",
                )
            )
            return None
        return (label if rule is None else canonical[rule.frequency]), label

    def _texts(
        self, n: int, raw: dict[str, Any], errors: list[RowError]
    ) -> tuple[str | None, str | None, str | None]:
        found: list[str | None] = []
        for name in ("source", "comment", "submission_id"):
            value = raw.get(name)
            if value is None or value == "":
                found.append(None)
                continue
            if type(value) is not str:
                errors.append(RowError(n, name, "must be a string", "wrong_type"))
                found.append(None)
                continue
            if len(value) > _TEXT_LIMITS[name]:
                errors.append(
                    RowError(n, name, f"longer than {_TEXT_LIMITS[name]} characters", "too_long")
                )
            elif _is_formula(value):
                errors.append(
                    RowError(
                        n,
                        name,
                        "starts like a spreadsheet formula (=, +, -, @): not accepted",
                        "formula",
                    )
                )
            elif not value.isprintable():
                errors.append(RowError(n, name, "contains control characters", "control_chars"))
            found.append(value.strip() if name == "submission_id" else value)
        return found[0], found[1], found[2]

    def _value(
        self, n: int, raw: dict[str, Any], rule: EntryRule | None, errors: list[RowError]
    ) -> tuple[float | None, Conversion | None, float | None]:
        value = raw.get("value")
        if value is None:
            errors.append(RowError(n, "value", "missing", "missing_field"))
            return None, None, None
        kind = type(value)
        if kind is NotANumber:
            problem = f"{str(value)[:40]!r} is not a number: {value.why}"
            errors.append(RowError(n, "value", problem, "not_a_number"))
            return None, None, None
        if kind is not float and kind is not int:
            errors.append(
                RowError(n, "value", f"{str(value)[:40]!r} is not a number", "not_a_number")
            )
            return None, None, None
        number = float(value) if kind is int and abs(value) < 1e300 else value
        if kind is int and abs(value) >= 1e300:
            number = math.inf
        if not math.isfinite(number):
            errors.append(RowError(n, "value", "must be a finite number", "not_finite"))
            return None, None, None
        if abs(number) > MAX_ABS:
            errors.append(RowError(n, "value", f"{number:g} is out of range", "out_of_range"))
            return None, None, None
        unit = raw.get("unit")
        conversion = None
        if unit is not None and unit != "" and rule is not None:
            if type(unit) is not str:
                errors.append(RowError(n, "unit", "must be a string", "wrong_type"))
                return None, None, None
            if unit != rule.unit:
                try:
                    conversion = convert(unit, rule.unit)
                except UnitMismatch as exc:
                    errors.append(RowError(n, "unit", str(exc)[:200], "unit_mismatch"))
                    return None, None, None
        original = None
        if conversion is not None:
            original, number = number, conversion.apply(number)
        if rule is None:
            return number, conversion, original
        if rule.share and not 0 <= number <= 100:
            errors.append(
                RowError(
                    n, "value", f"{number:g} is a share in %: must be 0–100", "share_out_of_range"
                )
            )
        elif rule.count and number < 0:
            errors.append(
                RowError(n, "value", f"{number:g}: a count cannot be negative", "negative_count")
            )
        elif rule.ranking and number < 1:
            errors.append(RowError(n, "value", f"{number:g}: a rank is 1 or more", "out_of_range"))
        elif rule.growth and number <= -100:
            errors.append(
                RowError(n, "value", f"{number:g}: a growth rate is above -100%", "out_of_range")
            )
        return number, conversion, original
