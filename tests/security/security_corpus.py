"""A corpus of malformed requests to the ingest service, generated from tables.

Each ``Case`` is one HTTP request and what its answer must say: a 4xx problem+json whose errors
name ``field`` (when a field is at fault), at ``row``/``line`` when a row is at fault.
"""

from __future__ import annotations

from security_corpus_bodies import body_cases, header_cases, route_cases
from security_corpus_rows import duplicate_cases, row_cases
from security_requests import Case

__all__ = ["Case", "build_corpus"]


def build_corpus() -> list[Case]:
    cases = [
        *row_cases(),
        *duplicate_cases(),
        *body_cases(),
        *header_cases(),
        *route_cases(),
    ]
    for case in cases:
        case.id = ascii(case.id)[1:-1].replace("\\", "~")  # readable, unique test ids
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    return cases
