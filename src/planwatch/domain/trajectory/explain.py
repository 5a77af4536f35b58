"""The sentence a leader reads: status, target, latest value, planned value, gap, projection."""

from __future__ import annotations

from planwatch.domain.assessment_model import TierResult
from planwatch.domain.status import STATUS_INFO
from planwatch.domain.trajectory.numbers import format_number as _num
from planwatch.domain.trajectory.numbers import format_target

__all__ = ["explain", "explain_no_data"]

_STATUS_ZH = {s: i.zh for s, i in STATUS_INFO.items()}
_STATUS_EN = {s: i.en.capitalize() for s, i in STATUS_INFO.items()}
_TIER_ZH = {"binding": "约束值", "expected": "预期值"}
_TIER_EN = {"binding": "binding target", "expected": "expected target"}


def _unit_en(unit: str) -> str:
    return unit if unit in ("%", "") else " " + unit


def explain(
    head: TierResult,
    unit: str,
    period: str,
    x: float,
    target_text: dict[tuple[int, str | None], str] | None = None,
) -> tuple[str, str]:
    """Chinese and English sentences for the headline result (each number formatted once;
    ``target_text`` holds the targets already written out)."""
    ue = _unit_en(unit)
    year = head.year
    target = (target_text or {}).get((year, head.tier)) or format_target(
        head.target, head.target_max
    )
    latest = _num(x)
    zh = (
        f"{_STATUS_ZH[head.status]}：{year}年{_TIER_ZH.get(head.tier or '', '目标')}"
        f"{target}{unit}，最新值（{period}）{latest}{unit}"
    )
    en = (
        f"{_STATUS_EN[head.status]}: {_TIER_EN.get(head.tier or '', 'target')} {target}{ue} "
        f"by {year}; latest ({period}) {latest}{ue}"
    )
    if head.planned is not None:
        planned = _num(head.planned)
        zh += f"，按规划路径应为{planned}{unit}"
        en += f", planned {planned}{ue}"
    gap = head.gap
    if gap is not None and gap != 0:
        size = _num(abs(gap))
        if size != "0":
            if head.method == "band":
                zh += f"，偏离合理区间{size}{unit}"
                en += f", {size}{ue} outside the band"
            elif gap < 0:
                zh += f"，落后{size}{unit}"
                en += f", {size}{ue} behind"
            else:
                zh += f"，超前{size}{unit}"
                en += f", {size}{ue} ahead"
    if head.projected is not None:
        projected = _num(head.projected)
        zh += f"；按近期趋势{year}年预计{projected}{unit}"
        en += f"; on the recent trend {projected}{ue} by {year}"
    if head.progress_ratio is not None:
        ratio = f"{head.progress_ratio:.2f}"
        zh += f"（进度比{ratio}）"
        en += f" (progress ratio {ratio})"
    return zh + "。", en + "."


def explain_no_data(note_zh: str, note_en: str) -> tuple[str, str]:
    return f"暂无足够数据：{note_zh}。", f"Not enough data: {note_en}."
