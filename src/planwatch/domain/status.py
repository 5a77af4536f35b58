"""The statuses of a target, defined once: their codes, Chinese and English names and colours.

The evaluator writes ``code`` as ``status_code`` (docs/timeseries.md), the Grafana boards map
it back to the name and colour, the built-in board and the alert digests show the Chinese
name, the assessment writes it into its sentences. Every one of them reads this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["BEHIND", "STATUS_INFO", "Status", "StatusInfo", "info", "label_en", "label_zh"]


class Status(StrEnum):
    ACHIEVED = "achieved"
    ON_TRACK = "on_track"
    NEEDS_ACCELERATION = "needs_acceleration"
    LIMITED_PROGRESS = "limited_progress"
    DETERIORATION = "deterioration"
    NOT_ACHIEVED = "not_achieved"  # a target year is complete and its figure missed the target
    NO_DATA = "no_data"
    OVERDUE = "overdue"  # only on status changes: a figure that did not arrive by its due date


@dataclass(frozen=True, slots=True)
class StatusInfo:
    code: int  # status_code of docs/timeseries.md
    zh: str
    en: str
    grafana: str  # Grafana's colour name
    colour: str  # the board's colour (colour-blind-safe order: green, yellow, orange, red)


# Codes 0..4 are the progress bands (higher is better); the negative codes are outside them:
# the final miss is the lowest, so "the worst status" is still min(status_code).
STATUS_INFO: dict[Status, StatusInfo] = {
    Status.ACHIEVED: StatusInfo(4, "已达标", "achieved", "dark-green", "#1a7f37"),
    Status.ON_TRACK: StatusInfo(3, "进度正常", "on track", "green", "#2da44e"),
    Status.NEEDS_ACCELERATION: StatusInfo(
        2, "需加快进度", "needs acceleration", "yellow", "#d4a72c"
    ),
    Status.LIMITED_PROGRESS: StatusInfo(1, "进展有限", "limited progress", "orange", "#e16f24"),
    Status.DETERIORATION: StatusInfo(0, "出现倒退", "deterioration", "red", "#cf222e"),
    Status.NO_DATA: StatusInfo(-1, "暂无数据", "no data", "gray", "#8c959f"),
    Status.OVERDUE: StatusInfo(-2, "数据逾期未报", "data overdue", "purple", "#8250df"),
    Status.NOT_ACHIEVED: StatusInfo(-3, "未达标", "not achieved", "dark-red", "#82071e"),
}

# Statuses that put an indicator behind its plan (what an agency must act on).
BEHIND = frozenset(
    {
        Status.NEEDS_ACCELERATION,
        Status.LIMITED_PROGRESS,
        Status.DETERIORATION,
        Status.NOT_ACHIEVED,
    }
)


def info(status: str) -> StatusInfo:
    """The table row of a status given as a ``Status`` or its value; KeyError if unknown."""
    return STATUS_INFO[Status(status)]


def label_zh(status: str) -> str:
    return info(status).zh


def label_en(status: str) -> str:
    return info(status).en
