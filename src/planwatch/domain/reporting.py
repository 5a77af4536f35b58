"""How a figure is reported, in the words of a bureau: what the value is, and the target.

Pure: from a catalog entry. The template (ingest), the command line and the portal say the same
thing with these: the value convention (本年度值, or the count since the plan start for 新增 and
建设, whose assessment counts from zero after the plan start), and the targets as the plan states
them — tier (约束性/预期性), range (3–5个) and band (左右).
"""

from __future__ import annotations

from planwatch.domain.model import CatalogEntry, Kind, Target, Tier
from planwatch.domain.trajectory.numbers import format_target

__all__ = ["FROM_START", "convention", "needs_start_row", "target_text"]

_TIER_ZH = {Tier.BINDING: "约束性", Tier.EXPECTED: "预期性"}
FROM_START = (Kind.NEW_ITEMS, Kind.BUILD_COUNT)


def needs_start_row(entry: CatalogEntry) -> bool:
    """提升N位 compares with the rank at the plan start; without a baseline, ask for it."""
    return entry.kind is Kind.RANKING_CHANGE and entry.baseline is None


def convention(entry: CatalogEntry, period: str, *, start_row: bool = False) -> str:
    """填报口径: what the figure of ``period`` is, in words a bureau fills in by."""
    year_to_date = "-" in period
    if start_row:
        return f"{entry.start_year}年末排名（起始值，用于计算提升位数）"
    if entry.kind in FROM_START:
        return f"自{entry.first_year}年起累计（规划起始年{entry.start_year}年以后新增的总数）"
    if entry.kind is Kind.RANKING_CHANGE:
        return "本年度排名（名次，系统据此计算提升位数）"
    if entry.kind is Kind.RANKING:
        return "本年度排名（名次）"
    if entry.kind is Kind.GROWTH_RATE:
        return "本年度值（同比增速）" if not year_to_date else "本年1月至本期的同比增速"
    if entry.kind in (Kind.CUMULATIVE, Kind.YEARLY_FLOW):
        note = "当年发生额，不是累计数" if entry.kind is Kind.CUMULATIVE else "当年发生额"
        return f"本年度值（{note}）" if not year_to_date else f"本年1月至本期的发生额（{note}）"
    return "本年度值（年末水平）" if not year_to_date else "本期末水平"


def _one_target(target: Target, unit: str, kind: Kind) -> str:
    words = target.qualifiers
    text = f"{format_target(target.value, target.value_max)}{unit}"
    if kind is Kind.RANKING_CHANGE:
        text = f"提升{text}"
    elif kind is Kind.RANKING:
        text = f"进入前{text}"
    if "左右" in words:
        text += "左右"
    elif "以上" in words or "超过" in words:
        text += "以上"
    if "突破" in words:
        text = "突破" + text
    if "力争" in words:
        text = "力争" + text
    tier = _TIER_ZH.get(target.tier) if target.tier is not None else None
    return f"{tier}{text}" if tier else text


def target_text(entry: CatalogEntry) -> str:
    """The targets as the plan states them: ``2025年：约束性58%；预期性65%``."""
    unit = "" if entry.unit in ("无", "") else entry.unit
    by_year: dict[int, list[str]] = {}
    for target in entry.targets:
        by_year.setdefault(target.year, []).append(_one_target(target, unit, entry.kind))
    text = "；".join(f"{year}年：{'，'.join(items)}" for year, items in sorted(by_year.items()))
    if entry.kind is Kind.RANKING_CHANGE:
        text += f"（与{entry.start_year}年末排名相比）"
    elif entry.kind in FROM_START:
        text += f"（{entry.first_year}年起累计）"
    if entry.baseline is not None:
        base = f"{entry.baseline.value:g}{unit}"
        text += f"；基期{entry.baseline.year}年：{base}"
    return text
