"""The lock files pin, with hashes, a version of every dependency that pyproject.toml allows."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[3]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;\\]+)", re.M)
LOCKS = {
    "base.txt": [],
    "postgres.txt": ["postgres"],
    "dev.txt": ["dev", "postgres", "grafana", "local"],
}


def _pins(name: str) -> dict[str, str]:
    text = (ROOT / "requirements" / name).read_text(encoding="utf-8")
    return {canonicalize_name(m.group(1)): m.group(2) for m in PIN.finditer(text)}


def _wanted(extras: list[str]) -> list[Requirement]:
    found = [Requirement(r) for r in PYPROJECT["dependencies"]]
    for extra in extras:
        for spec in PYPROJECT["optional-dependencies"][extra]:
            requirement = Requirement(spec)
            if canonicalize_name(requirement.name) != "planwatch":
                found.append(requirement)
    return found


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_dependency_is_pinned_within_its_bounds(lock: str) -> None:
    pins = _pins(lock)
    for requirement in _wanted(LOCKS[lock]):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{lock} does not pin {name}: run make lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{lock}: {name}=={pins[name]} is outside {requirement.specifier}: run make lock"
        )


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_pin_has_a_hash(lock: str) -> None:
    text = (ROOT / "requirements" / lock).read_text(encoding="utf-8")
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    for block in blocks:
        if "==" in block:
            assert "--hash=sha256:" in block, block.splitlines()[0]


def test_the_images_share_the_versions_of_ci() -> None:
    dev = _pins("dev.txt")
    for lock in ("base.txt", "postgres.txt"):
        for name, version in _pins(lock).items():
            assert dev.get(name) == version, f"{lock}: {name}=={version}, dev.txt: {dev.get(name)}"


def test_the_test_servers_stay_out_of_the_images() -> None:
    for lock in ("base.txt", "postgres.txt"):
        pins = _pins(lock)
        for name in ("aiosmtpd", "kafka-python", "grafana-client", "pytest", "testcontainers"):
            assert name not in pins, f"{lock} pins {name}"
