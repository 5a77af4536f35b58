"""API keys: hashed at rest, scoped, revocable at once."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from planwatch.security import KeyStore, Role


@pytest.fixture
def store(tmp_path: Path) -> KeyStore:
    return KeyStore(f"sqlite:///{tmp_path / 'keys.db'}")


def test_a_created_key_verifies_with_its_scope(store: KeyStore) -> None:
    token, record = store.create("白银市统计局", ["白银市"], [Role.SUBMIT])
    principal = store.verify(token)
    assert principal is not None
    assert principal.owner == "白银市统计局"
    assert principal.covers("白银市") and not principal.covers("甘肃省")
    assert principal.can(Role.SUBMIT) and not principal.can(Role.READ)
    assert record.key_id == principal.key_id


def test_the_secret_is_not_stored(store: KeyStore, tmp_path: Path) -> None:
    token, _ = store.create("甘肃省统计局", ["甘肃省"])
    secret = token.split("_", 2)[2]
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'keys.db'}")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select * from api_keys")).all()
    dump = " ".join(str(value) for row in rows for value in row)
    engine.dispose()
    assert secret not in dump


@pytest.mark.parametrize("mangle", [lambda t: t[:-1] + "x", lambda t: "pw_nope_" + t, lambda t: ""])
def test_wrong_tokens_are_refused(store: KeyStore, mangle) -> None:
    token, _ = store.create("甘肃省统计局", ["甘肃省"])
    assert store.verify(mangle(token)) is None


def test_a_revoked_key_stops_working_at_once(store: KeyStore) -> None:
    token, record = store.create("青海省统计局", ["青海省"])
    assert store.verify(token) is not None
    assert store.revoke(record.key_id) is True
    assert store.verify(token) is None
    assert store.revoke(record.key_id) is False
    assert store.list()[0].revoked_at is not None


def test_the_demo_key_covers_everything(tmp_path: Path) -> None:
    store = KeyStore(f"sqlite:///{tmp_path / 'k.db'}", demo_key="demo-secret")
    principal = store.verify("demo-secret")
    assert principal is not None and principal.all_jurisdictions
    assert all(principal.can(r) for r in Role)
    assert store.verify("demo-secreT") is None


def test_a_key_needs_a_scope(store: KeyStore) -> None:
    with pytest.raises(ValueError, match="jurisdictions"):
        store.create("x", [])
