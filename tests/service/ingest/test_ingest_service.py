"""The submission service alone, on the in-memory ledger: no HTTP, no broker, no disk."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import orjson
import pytest

from planwatch.security import Principal, Role
from planwatch_ingest.adapters.memory_ledger import MemoryLedger
from planwatch_ingest.metrics import IngestMetrics
from planwatch_ingest.outcomes import Decision
from planwatch_ingest.ports import LedgerBroken
from planwatch_ingest.problems import ProblemError
from planwatch_ingest.rules import rules_for
from planwatch_ingest.service import Submission, SubmissionService
from planwatch_ingest.validation import Validator
from support.ingest import CITY, test_catalog

KEY = Principal("k1", "白银市统计局", frozenset({CITY}), frozenset({Role.SUBMIT}))


@pytest.fixture
def parts(tmp_path: Path) -> Iterator[tuple[SubmissionService, MemoryLedger, list[int]]]:
    ledger = MemoryLedger()
    woken: list[int] = []
    executor = ThreadPoolExecutor(1)
    service = SubmissionService(
        ledger,
        ledger,
        Validator(rules_for(test_catalog(tmp_path / "catalog"))),
        catalog_version="test",
        executor=executor,
        metrics=IngestMetrics(),
        max_rows=100,
        recorded=lambda: woken.append(1),
    )
    yield service, ledger, woken
    executor.shutdown()


def _json(rows: object, key: str | None = None) -> Submission:
    body = orjson.dumps(rows)
    digest = hashlib.sha256(b"application/json\n" + body).hexdigest()
    return Submission(KEY, "application/json", None, body, digest, key, "json")


async def test_a_submission_is_decided_stored_and_the_relay_woken(parts) -> None:  # type: ignore[no-untyped-def]
    service, ledger, woken = parts
    row = {"indicator_id": "tcity-firms", "period": "2023", "value": 5}
    answer = await service.submit(_json([row], key="push-1"))
    assert answer.status == 202 and not answer.replayed
    result = orjson.loads(answer.body)["results"][0]
    assert (result["status"], result["vintage"]) == ("accepted", 1)
    assert [r.event_id for r in ledger.pending(10)] == [result["event_id"]] and woken == [1]

    again = await service.submit(_json([row], key="push-1"))
    assert again.replayed and again.body == answer.body and woken == [1]
    with pytest.raises(ProblemError) as reused:
        await service.submit(_json([{**row, "value": 6}], key="push-1"))
    assert (reused.value.status, reused.value.slug) == (422, "idempotency-key-reused")

    revised = orjson.loads((await service.submit(_json({**row, "value": 6}))).body)
    assert (revised["revised"], revised["results"][0]["vintage"]) == (1, 2)
    assert ledger.backlog() == 2


async def test_bad_rows_keep_nothing(parts) -> None:  # type: ignore[no-untyped-def]
    service, ledger, woken = parts
    rows = [
        {"indicator_id": "tcity-firms", "period": "2023", "value": 5},
        {"indicator_id": "nope", "period": "2023", "value": 1},
    ]
    with pytest.raises(ProblemError) as refused:
        await service.submit(_json(rows))
    assert refused.value.status == 422
    assert refused.value.errors[0]["row"] == 2
    assert refused.value.errors[0]["reason"] == "unknown_indicator"
    assert ledger.backlog() == 0 and woken == []


async def test_a_preview_answers_every_row_and_wakes_nothing(parts) -> None:  # type: ignore[no-untyped-def]
    service, ledger, woken = parts
    await service.submit(_json({"indicator_id": "tcity-firms", "period": "2023", "value": 5}))
    rows = [
        {"indicator_id": "tcity-firms", "period": "2023", "value": 6},
        {"indicator_id": "nope", "period": "2023", "value": 1},
    ]
    answer = orjson.loads(await service.preview(_json(rows)))
    assert (answer["revised"], answer["invalid"], answer["valid"]) == (1, 1, False)
    assert answer["items"][0]["previous"]["vintage"] == 1
    assert answer["items"][1]["errors"][0]["reason"] == "unknown_indicator"
    assert ledger.backlog() == 1 and woken == [1]  # only the submission's
    history = orjson.loads(await service.figures(KEY))
    assert [f["value"] for f in history["figures"]] == [5.0]
    assert history["submitted_by"] == KEY.owner


class _Unreadable(MemoryLedger):
    def peek(self, *args: object, **kwargs: object) -> Decision:
        raise LedgerBroken("disk I/O error")

    def history(self, owner: str) -> list[bytes]:
        raise LedgerBroken("disk I/O error")


async def test_an_unreadable_ledger_answers_503_to_the_portal_reads(tmp_path: Path) -> None:
    with ThreadPoolExecutor(1) as executor:
        unreadable = _Unreadable()
        service = SubmissionService(
            unreadable,
            unreadable,
            Validator(rules_for(test_catalog(tmp_path / "catalog"))),
            catalog_version="test",
            executor=executor,
            metrics=IngestMetrics(),
            max_rows=100,
        )
        row = {"indicator_id": "tcity-firms", "period": "2023", "value": 5}
        for call in (service.preview(_json([row])), service.figures(KEY)):
            with pytest.raises(ProblemError) as refused:
                await call
            assert (refused.value.status, refused.value.slug) == (503, "ledger-unavailable")
            assert refused.value.headers == {"Retry-After": "30"}
