"""Simplified and Traditional Chinese: what a person reads is Simplified.

Two of the plans (002, 003) are written in Traditional characters. The catalog keeps every
source sentence exactly as the plan wrote it and shows names, units and explanations in
Simplified; the conversion is OpenCC's (its phrase dictionaries, not a hand-made table).
"""

from __future__ import annotations

from functools import lru_cache

import opencc

__all__ = ["to_simplified", "to_traditional"]


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _s2t() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


@lru_cache(maxsize=4096)
def to_simplified(text: str) -> str:
    """``text`` in Simplified characters (text already Simplified comes back unchanged)."""
    return str(_t2s().convert(text))


@lru_cache(maxsize=4096)
def to_traditional(text: str) -> str:
    """``text`` in Traditional characters: the spelling a Traditional plan would use."""
    return str(_s2t().convert(text))
