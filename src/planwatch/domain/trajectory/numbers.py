"""Numbers as a leader reads them: thousands separated, at most two decimals, no trailing 0."""

from __future__ import annotations

__all__ = ["format_number", "format_target"]


def format_number(value: float) -> str:
    # "%" formatting is the cheaper one; separators only matter from a thousand on
    text = "%.2f" % value if -999 < value < 999 else f"{value:,.2f}"  # noqa: UP031
    if text[-1] == "0":
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def format_target(value: float, value_max: float | None) -> str:
    """A target, or a range such as 3–5."""
    if value_max is None:
        return format_number(value)
    return f"{format_number(value)}–{format_number(value_max)}"
