"""The sentence a leader reads: status, target, the figure as the bureau sent it, planned value,
gap, projection and the pace still needed; for a complete year, the final verdict and the gap.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from planwatch.domain.assessment_model import TierResult
from planwatch.domain.status import STATUS_INFO, Status
from planwatch.domain.trajectory.numbers import format_number as _num
from planwatch.domain.trajectory.numbers import format_target

__all__ = ["Reported", "explain", "explain_missed", "explain_no_data", "explain_open"]

_STATUS_ZH = {s: i.zh for s, i in STATUS_INFO.items()}
_STATUS_EN = {s: i.en.capitalize() for s, i in STATUS_INFO.items()}
_TIER_ZH = {"binding": "约束值", "expected": "预期值"}
_TIER_EN = {"binding": "binding target", "expected": "expected target"}


def _unit_en(unit: str) -> str:
    return unit if unit in ("%", "") else " " + unit


class Reported(NamedTuple):
    """A figure as the bureau sent it, and what the kind measures from it.

    ``measure`` is the plan's measured series: ``values`` (the figure itself),
    ``running_total`` (``measured`` is the total since the plan start) or ``places_gained``
    (the figure is a rank, ``measured`` the places gained since ``start``). A named tuple:
    one is built for every assessment.
    """

    period: str
    value: float
    measured: float | None
    measure: str
    start: int


def _when(period: str) -> str:
    return f"{period}年" if period.isdigit() else f"{period}"


def _figure(r: Reported, unit: str, final: bool) -> tuple[str, str]:
    """The figure in words: "最新值（2025）170亿元", or "2025年排名第26位，较2024年提升1位"."""
    ue = _unit_en(unit)
    value = _num(r.value)
    if r.measure == "places_gained":
        zh, en = f"{_when(r.period)}排名第{value}位", f"rank {value} in {r.period}"
        if r.measured is not None:
            n = _num(abs(r.measured))
            if n == "0":
                zh += f"，与{r.start}年持平"
                en += f", the same as in {r.start}"
            elif r.measured > 0:
                zh += f"，较{r.start}年提升{n}位"
                en += f", {n} place(s) up on {r.start}"
            else:
                zh += f"，较{r.start}年下降{n}位"
                en += f", {n} place(s) down on {r.start}"
        return zh, en
    if final:
        zh, en = f"{_when(r.period)}实际{value}{unit}", f"{r.period} actual {value}{ue}"
    else:
        zh, en = f"最新值（{r.period}）{value}{unit}", f"latest ({r.period}) {value}{ue}"
    if r.measure == "running_total" and r.measured is not None:
        total = _num(r.measured)
        zh += f"，累计{total}{unit}"
        en += f", {total}{ue} in total"
    return zh, en


def _target(head: TierResult, unit: str, text: dict[tuple[int, str | None], str] | None) -> str:
    return (text or {}).get((head.year, head.tier)) or format_target(head.target, head.target_max)


@lru_cache(maxsize=4096)
def _heading(
    status: Status, year: int, tier: str | None, target: str, unit: str, measure: str
) -> tuple[str, str]:
    """The start of the sentences: "已达标：2025年目标180亿元", "Achieved: target 180 亿元 by
    2025". The same few per target (a status of a year's tier), so each is written once."""
    gain_zh, gain_en = ("提升", "up ") if measure == "places_gained" else ("", "")
    zh = f"{_STATUS_ZH[status]}：{year}年{_TIER_ZH.get(tier or '', '目标')}{gain_zh}{target}{unit}"
    en = (
        f"{_STATUS_EN[status]}: {_TIER_EN.get(tier or '', 'target')} "
        f"{gain_en}{target}{_unit_en(unit)} by {year}"
    )
    return zh, en


def explain(
    head: TierResult,
    unit: str,
    latest: Reported,
    target_text: dict[tuple[int, str | None], str] | None = None,
    judged: Reported | None = None,
    missing: int | None = None,
) -> tuple[str, str]:
    """Chinese and English sentences for the headline result (each number formatted once;
    ``target_text`` holds the targets already written out). ``judged`` is the figure a final
    verdict rests on (the target year's), ``missing`` a year whose figure is lacking."""
    ue = _unit_en(unit)
    year = head.year
    target = _target(head, unit, target_text)
    zh, en = _heading(head.status, year, head.tier, target, unit, latest.measure)
    if missing is not None:
        fz, fe = _figure(latest, unit, False)
        return (
            f"{zh}，缺少{missing}年数据；{fz}。",
            f"{en}; the {missing} figure is missing; {fe}.",
        )
    if head.final and judged is not None:
        fz, fe = _figure(judged, unit, True)
        gap_zh = gap_en = now_zh = now_en = ""
        gap = head.gap
        size = _num(abs(gap)) if gap is not None else "0"  # formatted once
        if gap is not None and size != "0":
            pct = f"（{head.gap_pct:+.1f}%）" if head.gap_pct is not None else ""
            if gap < 0:
                gap_zh, gap_en = f"，差{size}{unit}{pct}", f", {size}{ue} short"
            else:
                gap_zh, gap_en = f"，超出{size}{unit}{pct}", f", {size}{ue} beyond"
        if latest.period != judged.period:
            now_zh, now_en = _figure(latest, unit, False)
            now_zh, now_en = "；" + now_zh, "; " + now_en
        # each sentence joined once: its parts are short, a copy per part would cost more
        return f"{zh}，{fz}{gap_zh}{now_zh}。", f"{en}; {fe}{gap_en}{now_en}."
    fz, fe = _figure(latest, unit, False)
    zh, en = f"{zh}，{fz}", f"{en}; {fe}"
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
    if head.required_growth_pct is not None:
        rate = f"{head.required_growth_pct:.1f}%"
        zh += f"，需年均增长{rate}方能达标"
        en += f"; {rate} a year needed to reach it"
    elif head.required_per_year is not None:
        step = _num(abs(head.required_per_year))
        verb = "减少" if head.required_per_year < 0 else "增加"
        zh += f"，需每年{verb}{step}{unit}方能达标"
        en += f"; {step}{ue} a year needed to reach it"
    if head.progress_ratio is not None:
        ratio = f"{head.progress_ratio:.2f}"
        zh += f"（进度比{ratio}）"
        en += f" (progress ratio {ratio})"
    return zh + "。", en + "."


def _goal(
    head: TierResult, unit: str, text: dict[tuple[int, str | None], str] | None
) -> tuple[str, str]:
    """ "2025年目标180亿元", "target 180 亿元 by 2025" (a tier named when there is one)."""
    target = _target(head, unit, text)
    zh = f"{head.year}年{_TIER_ZH.get(head.tier or '', '目标')}{target}{unit}"
    en = f"the {_TIER_EN.get(head.tier or '', 'target')} of {target}{_unit_en(unit)} by {head.year}"
    return zh, en


def explain_missed(
    head: TierResult,
    unit: str,
    judged: Reported,
    target_text: dict[tuple[int, str | None], str] | None = None,
) -> tuple[str, str]:
    """The sentence added while a later target is judged: an earlier target year was missed
    ("2025年目标180亿元未达标（2025年实际150亿元，差30亿元）。")."""
    goal_zh, goal_en = _goal(head, unit, target_text)
    zh, en = _figure(judged, unit, True)
    gap = head.gap
    if gap is not None and gap < 0:
        size = _num(abs(gap))
        if size != "0":
            zh += f"，差{size}{unit}"
            en += f", {size}{_unit_en(unit)} short"
    return f"{goal_zh}未达标（{zh}）。", f" Not achieved: {goal_en} ({en})."


def explain_open(
    head: TierResult, unit: str, target_text: dict[tuple[int, str | None], str] | None = None
) -> tuple[str, str]:
    """The sentence added when the next target year cannot be judged yet."""
    goal_zh, goal_en = _goal(head, unit, target_text)
    return f"{goal_zh}尚待更多数据方能判断。", f" {goal_en.capitalize()} cannot be judged yet."


def explain_no_data(note_zh: str, note_en: str) -> tuple[str, str]:
    return f"{_STATUS_ZH[Status.NO_DATA]}：{note_zh}。", f"Not enough data: {note_en}."
