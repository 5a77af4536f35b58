"""API keys: issued once, stored hashed, scoped to jurisdictions, revocable at once.

A key reads ``pw_<key id>_<secret>``. Only the SHA-256 of the secret is stored; the secret is
high-entropy (32 random bytes), so a fast hash is enough and a slow KDF would only cost latency
on every request. Comparison is constant-time. Every check reads the store, so a revoked key
stops working on the next request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

import sqlalchemy as sa

__all__ = ["ALL_JURISDICTIONS", "KeyRecord", "KeyStore", "Principal", "Role"]

ALL_JURISDICTIONS = "*"
_PREFIX = "pw"


class Role(StrEnum):
    SUBMIT = "submit"  # push figures for its jurisdictions
    READ = "read"  # read alerts of its jurisdictions
    ADMIN = "admin"  # acknowledge and silence alerts


@dataclass(frozen=True)
class Principal:
    """Who is calling: the bureau or agency a key was issued to, and what it may do."""

    key_id: str
    owner: str
    jurisdictions: frozenset[str]
    roles: frozenset[Role]

    @property
    def all_jurisdictions(self) -> bool:
        return ALL_JURISDICTIONS in self.jurisdictions

    def covers(self, jurisdiction: str) -> bool:
        return self.all_jurisdictions or jurisdiction in self.jurisdictions

    def can(self, role: Role) -> bool:
        return role in self.roles


@dataclass(frozen=True)
class KeyRecord:
    key_id: str
    owner: str
    jurisdictions: tuple[str, ...]
    roles: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None = field(default=None)


_metadata = sa.MetaData()
_keys = sa.Table(
    "api_keys",
    _metadata,
    sa.Column("key_id", sa.String(32), primary_key=True),
    sa.Column("owner", sa.String(200), nullable=False),
    sa.Column("secret_sha256", sa.String(64), nullable=False),
    sa.Column("jurisdictions", sa.Text, nullable=False),  # newline-separated
    sa.Column("roles", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class KeyStore:
    """Keys in a SQL database (SQLite file by default, PostgreSQL by URL)."""

    def __init__(self, url: str, demo_key: str | None = None) -> None:
        self._engine = sa.create_engine(url, future=True)
        _metadata.create_all(self._engine)
        # The demo key of `make run`: valid for every jurisdiction, never stored.
        self._demo_digest = _digest(demo_key) if demo_key else None

    def create(
        self,
        owner: str,
        jurisdictions: Iterable[str],
        roles: Iterable[Role] = (Role.SUBMIT, Role.READ),
    ) -> tuple[str, KeyRecord]:
        """Issue a key; the returned token is shown once and never stored."""
        scope = tuple(sorted(set(jurisdictions)))
        if not scope:
            raise ValueError("jurisdictions: a key needs at least one jurisdiction (or '*')")
        key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        record = KeyRecord(
            key_id=key_id,
            owner=owner,
            jurisdictions=scope,
            roles=tuple(sorted({Role(r).value for r in roles})),
            created_at=datetime.now(UTC),
        )
        with self._engine.begin() as conn:
            conn.execute(
                _keys.insert().values(
                    key_id=key_id,
                    owner=owner,
                    secret_sha256=_digest(secret),
                    jurisdictions="\n".join(record.jurisdictions),
                    roles="\n".join(record.roles),
                    created_at=record.created_at,
                )
            )
        return f"{_PREFIX}_{key_id}_{secret}", record

    def list(self) -> list[KeyRecord]:
        with self._engine.connect() as conn:
            rows = conn.execute(sa.select(_keys).order_by(_keys.c.created_at)).all()
        return [
            KeyRecord(
                key_id=r.key_id,
                owner=r.owner,
                jurisdictions=tuple(r.jurisdictions.split("\n")),
                roles=tuple(r.roles.split("\n")),
                created_at=r.created_at,
                revoked_at=r.revoked_at,
            )
            for r in rows
        ]

    def revoke(self, key_id: str) -> bool:
        with self._engine.begin() as conn:
            result = conn.execute(
                _keys.update()
                .where(_keys.c.key_id == key_id, _keys.c.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
            )
        return bool(result.rowcount)

    def verify(self, token: str) -> Principal | None:
        """The principal of a valid, unrevoked key; None for anything else."""
        if self._demo_digest and hmac.compare_digest(_digest(token), self._demo_digest):
            return Principal(
                key_id="demo",
                owner="demo",
                jurisdictions=frozenset({ALL_JURISDICTIONS}),
                roles=frozenset(Role),
            )
        parts = token.split("_", 2)
        if len(parts) != 3 or parts[0] != _PREFIX:
            return None
        _, key_id, secret = parts
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(_keys).where(_keys.c.key_id == key_id)).first()
        if row is None or row.revoked_at is not None:
            # Compare anyway so an unknown id costs the same time as a wrong secret.
            hmac.compare_digest(_digest(secret), "0" * 64)
            return None
        if not hmac.compare_digest(_digest(secret), row.secret_sha256):
            return None
        return Principal(
            key_id=row.key_id,
            owner=row.owner,
            jurisdictions=frozenset(row.jurisdictions.split("\n")),
            roles=frozenset(Role(r) for r in row.roles.split("\n")),
        )

    def close(self) -> None:
        self._engine.dispose()
