"""The state of one (indicator, jurisdiction) key: a typed, versioned, frozen record.

The evaluator keeps one ``KeyState`` per key in its faust table; the table's changelog topic
holds the bytes of ``encode``. ``decode`` reads the current version and the ones before it:
version 2 (without ``finals``), version 1 (without ``reminded`` either) and the JSON object the
evaluator saved before the record had a version.

``encode``/``decode`` are the one codec of the record: orjson over the record's fields, written
out by hand (about ten times faster than a generic dataclass codec); the unit tests check them
against the record's definition (every field, and a pydantic validation of the decoded value).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import orjson

from planwatch.domain.trajectory.series import Row

__all__ = ["KeyState", "StateError", "decode", "encode"]


class StateError(ValueError):
    """Bytes that are not a state record this evaluator can read (the message names the field)."""


@dataclass(frozen=True, slots=True)
class KeyState:
    """What the evaluator remembers of one key between its events.

    ``obs``: period label (canonical for ``periods``) → (vintage, value);
    ``seen``: marks of the last event ids applied (``core.seen_mark``), oldest first;
    ``status``: the last headline status published; ``overdue``: the period an overdue notice was
    sent for; ``reminded``: the last period its publisher was reminded of before its due date;
    ``targets``: the catalog version whose target points were written; ``periods``: the
    frequency the labels of ``obs`` are canonical for (None: not yet made canonical);
    ``finals``: target year → the final verdict known for it (achieved or not_achieved), so a
    miss is announced once.

    ``rows`` is an in-memory cache of ``obs`` as sorted assessment rows, never stored.
    A state is never changed: ``core.evaluate`` makes a new one (``dataclasses.replace``).
    """

    VERSION: ClassVar[int] = 3

    obs: Mapping[str, tuple[int, float]] = field(default_factory=dict)
    seen: tuple[str, ...] = ()
    status: str | None = None
    overdue: str | None = None
    targets: str | None = None
    periods: str | None = None
    escalated: str | None = None  # the overdue period the supervising body was told of
    reminded: str | None = None  # the last period a reminder before its due date was sent for
    finals: Mapping[str, str] = field(default_factory=dict)
    rows: list[Row] | None = field(default=None, compare=False, repr=False)


STORED_FIELDS = (
    "obs",
    "seen",
    "status",
    "overdue",
    "targets",
    "periods",
    "escalated",
    "reminded",
    "finals",
)
# the versions ``decode`` reads: 0 (no version), 1 (no ``reminded``), 2 (no ``finals``), the
# current one
READABLE = (0, 1, 2, KeyState.VERSION)


def encode(state: KeyState) -> bytes:
    """The record as stored: ``{"v": 3, "obs": {label: [vintage, value]}, "seen": [...], …}``."""
    return orjson.dumps(
        {
            "v": KeyState.VERSION,
            "obs": state.obs,
            "seen": state.seen,
            "status": state.status,
            "overdue": state.overdue,
            "targets": state.targets,
            "periods": state.periods,
            "escalated": state.escalated,
            "reminded": state.reminded,
            "finals": state.finals,
        }
    )


def _text(raw: dict[str, Any], name: str) -> str | None:
    value = raw.get(name)
    if value is not None and not isinstance(value, str):
        raise StateError(f"{name}: expected a string or null, got {type(value).__name__}")
    return value


def decode(data: bytes) -> KeyState:
    """The record of ``encode`` (or of an older version: a field it lacks is None); raises
    ``StateError`` naming the field that is wrong."""
    try:
        raw = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise StateError(f"state: not JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise StateError(f"state: expected an object, got {type(raw).__name__}")
    version = raw.get("v", 0)  # version 0: saved before the record had a version
    if version not in READABLE:
        readable = ", ".join(str(v) for v in READABLE)
        raise StateError(f"v: version {version!r} is not one this evaluator reads ({readable})")
    obs = raw.get("obs", {})
    seen = raw.get("seen", [])
    if not isinstance(obs, dict):
        raise StateError(f"obs: expected an object, got {type(obs).__name__}")
    if not isinstance(seen, list):
        raise StateError(f"seen: expected a list, got {type(seen).__name__}")
    finals = raw.get("finals", {})
    if not isinstance(finals, dict) or not all(isinstance(v, str) for v in finals.values()):
        raise StateError("finals: expected an object of year → status")
    try:
        observations = {label: (int(pair[0]), float(pair[1])) for label, pair in obs.items()}
    except (TypeError, ValueError, IndexError) as exc:
        raise StateError(f"obs: expected label → [vintage, value] ({exc})") from None
    return KeyState(
        obs=observations,
        seen=tuple(str(mark) for mark in seen),
        status=_text(raw, "status"),
        overdue=_text(raw, "overdue"),
        targets=_text(raw, "targets"),
        periods=_text(raw, "periods"),
        escalated=_text(raw, "escalated"),
        reminded=_text(raw, "reminded"),
        finals={str(year): status for year, status in finals.items()},
    )
