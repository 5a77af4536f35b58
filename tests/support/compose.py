"""The production compose file as docker compose reads it, for tests without a Docker engine.

``rendered(env)`` interpolates ``${NAME}``, ``${NAME:-default}`` and ``${NAME:?message}`` the way
compose does (the variables of ``env``; an unset required one raises ``MissingVariable``);
``Dockerfile`` reads what an image sets up: its ``ENV``, its ``USER``, the folders its ``RUN``
lines create and hand to that user, and the module it runs.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "COMPOSE",
    "ENV_EXAMPLE",
    "ROOT",
    "Dockerfile",
    "MissingVariable",
    "compose_schema",
    "env_file",
    "rendered",
    "service_environment",
]

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
_VAR = re.compile(r"\$\{([A-Za-z0-9_]+)(?:(:?[-?])([^}]*))?\}")


class MissingVariable(ValueError):
    pass


def env_file(path: Path = ENV_EXAMPLE, **overrides: str) -> dict[str, str]:
    """NAME=value lines of an env file (comments and blank lines skipped), then ``overrides``."""
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.lstrip().startswith("#"):
            values[name.strip()] = value
    return {**values, **overrides}


def _interpolate(text: str, env: dict[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        name, op, arg = m.group(1), m.group(2), m.group(3)
        value = env.get(name)
        empty = value is None or (op is not None and op.startswith(":") and value == "")
        if op and op.endswith("-"):
            return arg if empty else str(value)
        if op and op.endswith("?"):
            if empty:
                raise MissingVariable(f"{name}: {arg}")
            return str(value)
        return value or ""

    return _VAR.sub(one, text)


def _walk(node: Any, env: dict[str, str]) -> Any:
    if isinstance(node, str):
        return _interpolate(node, env)
    if isinstance(node, list):
        return [_walk(v, env) for v in node]
    if isinstance(node, dict):
        return {k: _walk(v, env) for k, v in node.items()}
    return node


def rendered(env: dict[str, str]) -> dict[str, Any]:
    """The compose file with its anchors merged and its variables filled from ``env``."""
    raw = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    return _walk(raw, env)  # type: ignore[no-any-return]


def service_environment(service: dict[str, Any], env_file_values: dict[str, str]) -> dict[str, str]:
    """What a container of ``service`` starts with: its image's ENV, then the env_file, then
    ``environment`` (the order in which compose lets each override the one before)."""
    result: dict[str, str] = {}
    build = service.get("build")
    if build:
        result.update(Dockerfile.of(service).env)
    if service.get("env_file"):
        result.update(env_file_values)
    result.update({k: str(v) for k, v in (service.get("environment") or {}).items()})
    return result


@cache
def compose_schema() -> dict[str, Any]:
    """The compose specification's JSON schema, as check-jsonschema vendors it."""
    from importlib.util import find_spec

    spec = find_spec("check_jsonschema")
    assert spec is not None and spec.submodule_search_locations, "check-jsonschema is missing"
    folder = Path(next(iter(spec.submodule_search_locations)))
    path = folder / "builtin_schemas" / "vendor" / "compose-spec.json"
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@dataclass
class Dockerfile:
    path: Path
    env: dict[str, str] = field(default_factory=dict)
    user: str | None = None
    created: set[str] = field(default_factory=set)
    owned: dict[str, str] = field(default_factory=dict)  # path -> owner
    copied: list[tuple[list[str], str]] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, service: dict[str, Any]) -> Dockerfile:
        build = service["build"]
        context = ROOT / build.get("context", ".")
        return cls.read(context / build.get("dockerfile", "Dockerfile"))

    @classmethod
    def read(cls, path: Path) -> Dockerfile:
        text = path.read_text(encoding="utf-8").replace("\\\n", " ")
        d = cls(path)
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            keyword, _, rest = line.partition(" ")
            keyword = keyword.upper()
            if keyword == "ENV":
                for item in shlex.split(rest):
                    name, _, value = item.partition("=")
                    d.env[name] = value
            elif keyword == "USER":
                d.user = rest.strip()
            elif keyword == "COPY":
                parts = [p for p in shlex.split(rest) if not p.startswith("--")]
                d.copied.append((parts[:-1], parts[-1]))
            elif keyword == "RUN":
                d.runs.append(rest)
                for command in re.split(r"&&|;", rest):
                    words = shlex.split(command)
                    if words[:2] == ["mkdir", "-p"]:
                        d.created.update(words[2:])
                    elif words[:1] == ["chown"]:
                        args = [w for w in words[1:] if not w.startswith("-")]
                        owner = args[0].split(":")[0]
                        d.owned.update(dict.fromkeys(args[1:], owner))
            elif keyword in ("CMD", "ENTRYPOINT"):
                d.cmd = json.loads(rest)
        return d
