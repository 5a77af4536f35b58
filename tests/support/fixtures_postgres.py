"""A PostgreSQL 15 server for the tests (Debian's binaries, a temporary cluster on loopback).

PostgreSQL cannot run as root: as root it runs as the ``postgres`` user. Where there are no
binaries, or no such user to run them as, the tests that need it skip, saying why.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.net import free_port


def _binary(name: str) -> str | None:
    """On the PATH, or where Debian's postgresql package puts it (not on the PATH)."""
    found = shutil.which(name)
    if found is None:
        candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
        found = str(candidates[-1]) if candidates else None
    return found


def _as_postgres(*args: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """``postgresql+psycopg://planwatch@127.0.0.1:<port>/postgres`` of a fresh cluster."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("no PostgreSQL binaries (apt-get install postgresql)")
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("PostgreSQL refuses root and there is no postgres user")
    root = Path(tempfile.mkdtemp(prefix="planwatch-pg-"))
    if os.geteuid() == 0:
        os.chown(root, owner.pw_uid, owner.pw_gid)
    data, port = root / "data", free_port()
    subprocess.run(
        _as_postgres(initdb, "-D", str(data), "-A", "trust", "-U", "planwatch"),
        check=True,
        capture_output=True,
    )
    options = f"-h 127.0.0.1 -p {port} -k {root}"
    subprocess.run(
        _as_postgres(pg_ctl, "start", "-w", "-D", str(data), "-o", options, "-l", f"{root}/log"),
        check=True,
        capture_output=True,
        timeout=60,
    )
    try:
        yield f"postgresql+psycopg://planwatch@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_postgres(pg_ctl, "stop", "-D", str(data), "-m", "fast"),
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(root, ignore_errors=True)
