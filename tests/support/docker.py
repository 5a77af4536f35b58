"""Whether a Docker engine answers here (testcontainers needs one; CI here has none)."""

from __future__ import annotations

import shutil
from functools import cache

__all__ = ["docker_available"]


@cache
def docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False
