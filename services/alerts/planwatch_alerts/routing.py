"""Alert routing from declarative YAML, in the spirit of Prometheus Alertmanager.

A route tree: each route matches labels (plan, jurisdiction, agency, indicator, severity, type)
and names a receiver; children inherit ``group_by``, ``group_wait``, ``group_interval`` and
``repeat_interval`` from their parent; the first matching child wins unless it says
``continue: true``. The receiver ``lead-agency`` is resolved per alert: the lead agency
addressed, the co-responsible agencies copied, as the catalog says. Contacts are configuration.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Contact", "Inhibition", "Receiver", "Route", "Routing", "RoutingConfig", "load_routing"]

LEAD_AGENCY = "lead-agency"
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d)$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str | float | int) -> timedelta:
    if isinstance(text, int | float):
        return timedelta(seconds=float(text))
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"duration {text!r}: use a number and ms, s, m, h or d (e.g. 30s, 4h)")
    return timedelta(seconds=float(match[1]) * _UNITS[match[2]])


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Contact(_Model):
    email: list[str] = Field(default_factory=list)
    apprise: list[str] = Field(default_factory=list)  # json://, dingtalk://, wecombot://, …


class Receiver(_Model):
    name: str
    email: list[str] = Field(default_factory=list)
    apprise: list[str] = Field(default_factory=list)


class Route(_Model):
    receiver: str | None = None
    match: dict[str, str | list[str]] = Field(default_factory=dict)
    group_by: list[str] | None = None
    group_wait: str | None = None
    group_interval: str | None = None
    repeat_interval: str | None = None
    continue_: bool = Field(False, alias="continue")
    routes: list[Route] = Field(default_factory=list)


class Inhibition(_Model):
    source_match: dict[str, str] = Field(default_factory=dict)
    target_match: dict[str, str] = Field(default_factory=dict)
    equal: list[str] = Field(default_factory=list)


class Escalation(_Model):
    after: str = "72h"
    severities: list[str] = Field(default_factory=lambda: ["critical"])
    receiver: str


class RoutingConfig(_Model):
    route: Route
    receivers: list[Receiver] = Field(default_factory=list)
    contacts: dict[str, Contact] = Field(default_factory=dict)  # by agency id or name
    default_email: str | None = "{agency_id}@agencies.invalid"
    inhibit_rules: list[Inhibition] = Field(default_factory=list)
    escalation: Escalation | None = None


@dataclass(frozen=True)
class Decision:
    receiver: str
    group_by: tuple[str, ...]
    group_wait: timedelta
    group_interval: timedelta
    repeat_interval: timedelta


def _matches(route: Route, labels: Mapping[str, Any]) -> bool:
    for key, wanted in route.match.items():
        have = labels.get(key)
        options = wanted if isinstance(wanted, list) else [wanted]
        values = have if isinstance(have, list | tuple) else [have]
        if not any(str(v) in options for v in values):
            return False
    return True


class Routing:
    def __init__(self, config: RoutingConfig) -> None:
        self.config = config
        self.receivers = {r.name: r for r in config.receivers}
        root = config.route
        if root.receiver is None:
            raise ValueError("route.receiver: the root route needs a receiver")
        self._defaults = {
            "group_by": root.group_by or ["agency"],
            "group_wait": root.group_wait or "30s",
            "group_interval": root.group_interval or "5m",
            "repeat_interval": root.repeat_interval or "24h",
        }
        for name in self._receiver_names(root):
            if name != LEAD_AGENCY and name not in self.receivers:
                raise ValueError(f"route.receiver: unknown receiver {name!r}")

    def _receiver_names(self, route: Route) -> Iterator[str]:
        if route.receiver:
            yield route.receiver
        for child in route.routes:
            yield from self._receiver_names(child)

    def route(self, labels: Mapping[str, Any]) -> list[Decision]:
        """The receivers of an alert with these labels (the root's when no child matches)."""
        return self._walk(self.config.route, labels, dict(self._defaults), None)

    def _walk(
        self,
        route: Route,
        labels: Mapping[str, Any],
        inherited: dict[str, Any],
        receiver: str | None,
    ) -> list[Decision]:
        settings = dict(inherited)
        for key in ("group_by", "group_wait", "group_interval", "repeat_interval"):
            if getattr(route, key) is not None:
                settings[key] = getattr(route, key)
        receiver = route.receiver or receiver
        found: list[Decision] = []
        for child in route.routes:
            if _matches(child, labels):
                found += self._walk(child, labels, settings, receiver)
                if not child.continue_:
                    break
        if found:
            return found
        return [
            Decision(
                receiver=receiver or LEAD_AGENCY,
                group_by=tuple(settings["group_by"]),
                group_wait=parse_duration(settings["group_wait"]),
                group_interval=parse_duration(settings["group_interval"]),
                repeat_interval=parse_duration(settings["repeat_interval"]),
            )
        ]

    def contact(self, agency_id: str, agency_name: str) -> Contact:
        found = self.config.contacts.get(agency_id) or self.config.contacts.get(agency_name)
        if found is not None:
            return found
        pattern = self.config.default_email
        return Contact(email=[pattern.format(agency_id=agency_id)] if pattern else [])


def load_routing(path: Path) -> Routing:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Routing(RoutingConfig.model_validate(data))
