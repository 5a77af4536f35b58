"""The per-key state record and its codec, checked against the record's definition."""

from __future__ import annotations

import dataclasses
import random

import orjson
import pytest
from pydantic import TypeAdapter

from planwatch_evaluator.state import STORED_FIELDS, KeyState, StateError, decode, encode

ADAPTER = TypeAdapter(KeyState)


def random_state(rng: random.Random) -> KeyState:
    labels = [f"{y}" for y in range(2019, 2031)] + [f"2025-{m:02d}" for m in range(1, 13)]
    return KeyState(
        obs={
            label: (rng.randint(1, 5), rng.choice([0.0, -3.5, 1e-9, 123456.789, rng.random()]))
            for label in rng.sample(labels, rng.randint(0, len(labels)))
        },
        seen=tuple(f"{rng.getrandbits(64):016x}" for _ in range(rng.randint(0, 128))),
        status=rng.choice([None, "on_track", "overdue"]),
        overdue=rng.choice([None, "2025", "2025-06"]),
        targets=rng.choice([None, "2026.11"]),
        periods=rng.choice([None, "annual", "monthly"]),
        escalated=rng.choice([None, "2024"]),
        reminded=rng.choice([None, "2025", "2025-07"]),
        finals=rng.choice([{}, {"2025": "not_achieved"}, {"2025": "achieved", "2027": "achieved"}]),
    )


def test_the_codec_writes_every_stored_field_of_the_record_and_its_version() -> None:
    stored = {f.name for f in dataclasses.fields(KeyState) if f.name != "rows"}
    assert set(STORED_FIELDS) == stored
    assert set(orjson.loads(encode(KeyState()))) == stored | {"v"}
    assert orjson.loads(encode(KeyState()))["v"] == KeyState.VERSION == 3


def test_a_state_comes_back_equal_and_as_pydantic_reads_the_definition() -> None:
    rng = random.Random(16)
    for _ in range(300):
        state = random_state(rng)
        data = encode(state)
        back = decode(data)
        assert back == state
        # the same bytes read by a validator built from the record's annotations alone
        fields = {k: v for k, v in orjson.loads(data).items() if k != "v"}
        assert ADAPTER.validate_python(fields) == back
        assert encode(back) == data


def test_the_rows_cache_is_never_stored() -> None:
    state = KeyState(obs={"2025": (1, 2.0)}, rows=[(2025.0, 2.0, 2025, 1.0, "2025")])
    assert b"rows" not in encode(state) and decode(encode(state)).rows is None
    assert decode(encode(state)) == state  # the cache does not take part in equality


def test_a_state_saved_before_the_record_had_a_version_is_read() -> None:
    saved = b'{"obs":{"2024":[1,150.0]},"seen":["ab"],"status":null,"overdue":null,"p":2}'
    assert decode(saved) == KeyState(obs={"2024": (1, 150.0)}, seen=("ab",))


def test_a_state_of_version_1_is_read_with_no_reminder_sent() -> None:
    """Saved before the reminders: every field it has comes back, ``reminded`` is None, and
    written again it is the current version."""
    saved = (
        b'{"v":1,"obs":{"2024":[2,150.0]},"seen":["ab"],"status":"overdue",'
        b'"overdue":"2025","targets":"2026.11","periods":"annual","escalated":"2025"}'
    )
    state = decode(saved)
    assert state == KeyState(
        obs={"2024": (2, 150.0)},
        seen=("ab",),
        status="overdue",
        overdue="2025",
        targets="2026.11",
        periods="annual",
        escalated="2025",
    )
    assert state.reminded is None
    again = orjson.loads(encode(state))
    assert again["v"] == 3 and again["reminded"] is None and again["finals"] == {}
    assert decode(encode(state)) == state


def test_a_state_of_version_2_is_read_with_no_final_verdict_known() -> None:
    saved = b'{"v":2,"obs":{"2025":[1,150.0]},"seen":["ab"],"status":"not_achieved"}'
    state = decode(saved)
    assert state == KeyState(obs={"2025": (1, 150.0)}, seen=("ab",), status="not_achieved")
    assert state.finals == {}


def test_the_period_reminded_of_survives_the_codec() -> None:
    state = KeyState(reminded="2025-07", periods="monthly")
    assert orjson.loads(encode(state))["reminded"] == "2025-07"
    assert decode(encode(state)).reminded == "2025-07"


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"{nope", "state: not JSON"),
        (b"[]", "state: expected an object"),
        (b'{"v": 9}', "v: version 9"),
        (b'{"v": 1, "obs": []}', "obs: expected an object"),
        (b'{"v": 1, "obs": {"2025": [1]}}', "obs: expected label"),
        (b'{"v": 1, "obs": {"2025": ["x", 1]}}', "obs: expected label"),
        (b'{"v": 1, "seen": "ab"}', "seen: expected a list"),
        (b'{"v": 1, "status": 3}', "status: expected a string or null"),
        (b'{"v": 2, "reminded": 2025}', "reminded: expected a string or null"),
        (b'{"v": 4}', r"v: version 4 is not one this evaluator reads \(0, 1, 2, 3\)"),
        (b'{"v": 3, "finals": {"2025": 1}}', "finals: expected an object of year"),
        (b'{"v": 3, "finals": []}', "finals: expected an object of year"),
    ],
)
def test_bad_bytes_are_an_error_naming_the_field(data: bytes, says: str) -> None:
    with pytest.raises(StateError, match=says):
        decode(data)
