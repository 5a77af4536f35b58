"""Decide what each valid figure is: new, a revision, or a duplicate of what the ledger holds.

Pure: takes what the ledger already knows about the batch's series and submission ids, and
returns the events to append and the answer for every row. The ledger adapter runs it inside
the transaction that appends the events, so two requests never decide on the same state.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from planwatch.domain.events import SCHEMA_VERSION, partition_key
from planwatch_ingest.validation import Figure, RowError

__all__ = ["Decision", "Known", "NewEvent", "decide", "event_payload"]


@dataclass(frozen=True, slots=True)
class Known:
    """A figure the ledger holds: the latest of its series, or the one a submission id names."""

    series: str
    vintage: int
    value: float
    event_id: str


@dataclass(slots=True)
class NewEvent:
    event_id: str
    series: str
    vintage: int
    value: float
    submission_id: str
    client_submission_id: str | None
    key: bytes
    payload: bytes


@dataclass
class Decision:
    results: list[dict[str, Any]] = field(default_factory=list)
    events: list[NewEvent] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    known: dict[str, Known] = field(default_factory=dict)  # the new latest figure per series
    # client submission ids that now name an existing figure (a same-value resend)
    aliases: list[tuple[str, Known]] = field(default_factory=list)


def _conversion(figure: Figure) -> dict[str, Any] | None:
    conversion = figure.conversion
    if conversion is None:
        return None
    return {
        "from_value": figure.original_value,
        "from_unit": conversion.from_unit,
        "factor": conversion.factor,
        "note": conversion.note,
    }


def _result(
    figure: Figure, status: str, event_id: str, vintage: int, value: float, submission_id: str
) -> dict[str, Any]:
    return {
        "row": figure.row,
        "status": status,
        "event_id": event_id,
        "submission_id": submission_id,
        "indicator_id": figure.indicator_id,
        "jurisdiction": figure.jurisdiction,
        "period": figure.period,
        "period_sent": figure.period_sent,
        "vintage": vintage,
        "value": value,
        "unit": figure.unit,
        "conversion": _conversion(figure) if figure.conversion is not None else None,
    }


def event_payload(
    figure: Figure,
    *,
    event_id: str,
    submission_id: str,
    vintage: int,
    received_at: str,
    submitted_by: str,
    catalog_version: str,
    indicator_id: str | None = None,
) -> bytes:
    """The ``SubmissionEvent`` JSON, built without a model per row (same bytes the model reads).
    ``indicator_id``: the target entry it is for, when the figure feeds several."""
    conversion = figure.conversion
    return orjson.dumps(
        {
            "schema_version": SCHEMA_VERSION,
            "event_id": event_id,
            "catalog_version": catalog_version,
            "submission_id": submission_id,
            "indicator_id": indicator_id or figure.indicator_id,
            "jurisdiction": figure.jurisdiction,
            "period": figure.period,
            "value": figure.value,
            "unit": figure.unit,
            "original_value": figure.original_value,
            "original_unit": conversion.from_unit if conversion else None,
            "source": figure.source,
            "comment": figure.comment,
            "vintage": vintage,
            "received_at": received_at,
            "submitted_by": submitted_by,
        }
    )


def decide(
    figures: Sequence[Figure],
    latest: Mapping[str, Known],
    by_submission_id: Mapping[str, Known],
    *,
    owner: str,
    received_at: str,
    catalog_version: str,
) -> Decision:
    out = Decision()
    results, events, new = out.results, out.events, out.known
    # Event ids: 96 random bits per request plus the row's position; unique without a
    # system call per row (uuid4 costs more than the rest of the row's work).
    base = os.urandom(12).hex()
    keys: dict[tuple[str, str], bytes] = {}
    counter = 0  # events made: the last part of their ids
    for figure in figures:
        series = figure.series
        client_id = figure.submission_id
        if client_id is not None:
            named = by_submission_id.get(client_id)
            if named is not None:
                if named.series == series and named.value == figure.value:
                    results.append(
                        _result(
                            figure,
                            "duplicate",
                            named.event_id,
                            named.vintage,
                            named.value,
                            client_id,
                        )
                    )
                else:
                    out.errors.append(
                        RowError(
                            figure.row,
                            "submission_id",
                            f"submission_id {client_id!r} was already used for a different "
                            f"figure ({named.series.replace('|', ', ')} = {named.value:g})",
                            "submission_id_conflict",
                        )
                    )
                continue
        previous = latest.get(series)
        if previous is not None and previous.value == figure.value:
            results.append(
                _result(
                    figure,
                    "duplicate",
                    previous.event_id,
                    previous.vintage,
                    previous.value,
                    client_id or f"auto-{previous.event_id}",
                )
            )
            if client_id is not None:
                out.aliases.append((client_id, previous))
            continue
        vintage = previous.vintage + 1 if previous is not None else 1
        # one event per target the figure updates (a statistic several plans target is
        # reported once): each keyed by its own entry, all of one series and vintage
        event_id = ""
        for target in figure.targets or (figure.indicator_id,):
            made = f"{base}{counter:08x}"
            counter += 1
            event_id = event_id or made
            # Without a client id, the figure's own (first) event names it: a resend of the
            # same figure (a duplicate) answers with the same id.
            submission_id = client_id or f"auto-{event_id}"
            pair = (target, figure.jurisdiction)
            key = keys.get(pair)
            if key is None:
                key = keys[pair] = partition_key(*pair)
            events.append(
                NewEvent(
                    made,
                    series,
                    vintage,
                    figure.value,
                    submission_id,
                    client_id,
                    key,
                    event_payload(
                        figure,
                        event_id=made,
                        submission_id=submission_id,
                        vintage=vintage,
                        received_at=received_at,
                        submitted_by=owner,
                        catalog_version=catalog_version,
                        indicator_id=target,
                    ),
                )
            )
        new[series] = Known(series, vintage, figure.value, event_id)
        status = "revised" if previous is not None else "accepted"
        results.append(_result(figure, status, event_id, vintage, figure.value, submission_id))
    return out
