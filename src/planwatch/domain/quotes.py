"""A table-row quote read with its column headers.

The catalog keeps a quote from a targets table as the seed has it, one cell per line (see
``model.one_line``). Alone, "12 ｜ 技术合同成交额 ｜ 亿元 ｜ 7.36 ｜ 10 ｜ 13" says little; the
headers of those tables are 序号 / 指标类型 / 指标名称 / 单位 / <基期>年实际值 / <目标年>年约束值 /
<目标年>年预期值. The entry itself says which cell is which: its name, its unit, its baseline and
its targets with their tiers, in the order the row gives them. A cell the entry cannot place is
labelled by its column number, never guessed.
"""

from __future__ import annotations

import re

from planwatch.domain.model import CatalogEntry, Tier

__all__ = ["table_cells"]

_ROW = re.compile(r"第\s*(\d+)\s*行")
_TIER = {Tier.BINDING: "约束值", Tier.EXPECTED: "预期值"}


def _number(cell: str, unit: str) -> float | None:
    """The cell as a number: "9.05*" (a footnote mark) and "1家" (the unit written in) too."""
    text = cell.rstrip("*＊").replace(",", "")
    if unit and text.endswith(unit):
        text = text.removesuffix(unit)
    try:
        return float(text)
    except ValueError:
        return None


def table_cells(entry: CatalogEntry) -> list[tuple[str, str]] | None:
    """(header, cell) pairs of the entry's quote when it is a table row, else None."""
    cells = [c.strip() for c in re.split(r"\s*\n\s*", entry.source_quote.strip()) if c.strip()]
    if len(cells) < 3:
        return None
    # the figures the row can hold, in the order the tables give them
    figures: list[tuple[str, float]] = []
    if entry.baseline is not None:
        figures.append((f"{entry.baseline.year}年实际值", entry.baseline.value))
    for t in entry.targets:
        figures.append(
            (f"{t.year}年{_TIER.get(t.tier, '目标值') if t.tier else '目标值'}", t.value)
        )
        if t.value_max is not None:
            figures.append((f"{t.year}年目标上限", t.value_max))
    row = _ROW.search(entry.section)
    names = {entry.indicator, entry.indicator_simplified}
    out: list[tuple[str, str]] = []
    for i, cell in enumerate(cells, start=1):
        value = _number(cell, entry.unit)
        if i == 1 and row is not None and cell == row[1]:
            header = "序号"
        elif cell in names:
            header = "指标名称"
        elif cell == entry.unit:
            header = "单位"
        elif value is not None and any(v == value for _, v in figures):
            at = next(k for k, (_, v) in enumerate(figures) if v == value)
            header = figures.pop(at)[0]
            del figures[:at]  # the row gives the figures in order: those skipped are absent
        elif value is None and cell.endswith("指标") and len(cell) <= 8:
            header = "指标类型"
        else:
            header = f"第{i}列"
        out.append((header, cell))
    return out
