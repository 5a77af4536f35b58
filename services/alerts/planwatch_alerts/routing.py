"""Alert routing from declarative YAML, in the spirit of Prometheus Alertmanager.

A route tree: each route matches labels (plan, jurisdiction, agency, indicator, severity, type)
and names a receiver; children inherit ``group_by``, ``group_wait``, ``group_interval`` and
``repeat_interval`` from their parent; the first matching child wins unless it says
``continue: true``. The receiver ``lead-agency`` is resolved per alert: the lead agency
addressed, the co-responsible agencies copied, as the catalog says. Contacts are configuration.
``deploy/alerts/routes.example.yml`` documents every field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

__all__ = [
    "LABELS",
    "LEAD_AGENCY",
    "Contact",
    "Decision",
    "Escalation",
    "Inhibition",
    "Receiver",
    "Route",
    "Routing",
    "RoutingConfig",
    "RoutingError",
    "load_routing",
    "parse_duration",
]

LEAD_AGENCY = "lead-agency"
LABELS = ("plan", "jurisdiction", "agency", "indicator", "severity", "type")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d)$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


class RoutingError(ValueError):
    """The routing file is wrong; the message names the file, the field and the problem."""


def parse_duration(text: str | float | int) -> timedelta:
    if isinstance(text, int | float):
        return timedelta(seconds=float(text))
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"duration {text!r}: use a number and ms, s, m, h or d (e.g. 30s, 4h)")
    return timedelta(seconds=float(match[1]) * _UNITS[match[2]])


def _check_apprise(urls: list[str]) -> list[str]:
    import apprise  # only when a file is loaded: the library is large

    for url in urls:
        if apprise.Apprise.instantiate(url) is None:
            raise ValueError(f"{url!r} is not an apprise URL apprise can send to")
    return urls


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Contact(_Model):
    email: list[str] = Field(default_factory=list)
    apprise: list[str] = Field(default_factory=list)  # json://, dingtalk://, wecombot://, …

    @field_validator("apprise")
    @classmethod
    def _sendable(cls, value: list[str]) -> list[str]:
        return _check_apprise(value)


class Receiver(Contact):
    name: str


def _labels_known(value: Mapping[str, Any]) -> Mapping[str, Any]:
    unknown = sorted(set(value) - set(LABELS))
    if unknown:
        raise ValueError(f"unknown label(s) {unknown}; labels are {list(LABELS)}")
    return value


class Route(_Model):
    receiver: str | None = None
    match: dict[str, str | list[str]] = Field(default_factory=dict)
    match_re: dict[str, str] = Field(default_factory=dict)
    group_by: list[str] | None = None
    group_wait: str | None = None
    group_interval: str | None = None
    repeat_interval: str | None = None
    continue_: bool = Field(False, alias="continue")
    routes: list[Route] = Field(default_factory=list)

    @field_validator("match", "match_re")
    @classmethod
    def _known(cls, value: dict[str, Any]) -> dict[str, Any]:
        return dict(_labels_known(value))

    @field_validator("match_re")
    @classmethod
    def _compiles(cls, value: dict[str, str]) -> dict[str, str]:
        for key, pattern in value.items():
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{key}: {pattern!r} is not a regular expression ({exc})") from exc
        return value

    @field_validator("group_by")
    @classmethod
    def _group_labels(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            _labels_known(dict.fromkeys(value))
        return value

    @field_validator("group_wait", "group_interval", "repeat_interval")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value


class Inhibition(_Model):
    source_match: dict[str, str] = Field(default_factory=dict)
    target_match: dict[str, str] = Field(default_factory=dict)
    equal: list[str] = Field(default_factory=list)

    @field_validator("source_match", "target_match")
    @classmethod
    def _known(cls, value: dict[str, str]) -> dict[str, str]:
        return dict(_labels_known(value))


class Escalation(_Model):
    after: str = "72h"
    severities: list[str] = Field(default_factory=lambda: ["critical"])
    receiver: str
    # any alert nobody answered this long after it opened goes to the receiver too
    unanswered_after: str | None = None

    @field_validator("after", "unanswered_after")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None:
            parse_duration(value)
        return value


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
    group_wait_s: float
    group_interval_s: float
    repeat_interval_s: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Decision:
        return cls(**{**data, "group_by": tuple(data["group_by"])})


def matches(match: Mapping[str, Any], labels: Mapping[str, Any], regex: bool = False) -> bool:
    """Every key matches; a list label (agency) matches when one of its values does."""
    for key, wanted in match.items():
        have = labels.get(key)
        values = have if isinstance(have, list | tuple) else [have]
        if regex:
            ok = any(re.fullmatch(wanted, str(v)) for v in values)
        else:
            options = wanted if isinstance(wanted, list) else [wanted]
            ok = any(str(v) in options for v in values)
        if not ok:
            return False
    return True


class Routing:
    def __init__(self, config: RoutingConfig) -> None:
        self.config = config
        self.receivers = {r.name: r for r in config.receivers}
        root = config.route
        if root.receiver is None:
            raise RoutingError("route.receiver: the root route needs a receiver")
        if root.match or root.match_re:
            raise RoutingError("route.match: the root route matches every alert; match nothing")
        self._defaults = {
            "group_by": root.group_by or ["agency"],
            "group_wait": root.group_wait or "30s",
            "group_interval": root.group_interval or "5m",
            "repeat_interval": root.repeat_interval or "24h",
        }
        names = list(self._receiver_names(root))
        if config.escalation is not None:
            names.append(config.escalation.receiver)
        for name in names:
            if name != LEAD_AGENCY and name not in self.receivers:
                raise RoutingError(
                    f"receiver: unknown receiver {name!r}; define it under receivers"
                )

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
            if matches(child.match, labels) and matches(child.match_re, labels, regex=True):
                found += self._walk(child, labels, settings, receiver)
                if not child.continue_:
                    break
        if found:
            return found
        return [
            Decision(
                receiver=receiver or LEAD_AGENCY,
                group_by=tuple(settings["group_by"]),
                group_wait_s=parse_duration(settings["group_wait"]).total_seconds(),
                group_interval_s=parse_duration(settings["group_interval"]).total_seconds(),
                repeat_interval_s=parse_duration(settings["repeat_interval"]).total_seconds(),
            )
        ]

    def contact(self, agency_id: str, agency_name: str) -> Contact:
        found = self.config.contacts.get(agency_id) or self.config.contacts.get(agency_name)
        if found is not None:
            return found
        pattern = self.config.default_email
        return Contact(email=[pattern.format(agency_id=agency_id)] if pattern else [])

    def inhibitors(self, labels: Mapping[str, Any]) -> list[Inhibition]:
        """The inhibition rules whose target side this alert matches."""
        return [r for r in self.config.inhibit_rules if matches(r.target_match, labels)]


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc if p not in ("function-after", "str"))


def load_routing(path: Path) -> Routing:
    """Read and check a routing file; a mistake raises ``RoutingError`` naming the field."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RoutingError(f"{path}: cannot read the routing file: {exc}") from exc
    try:
        return Routing(RoutingConfig.model_validate(data))
    except ValidationError as exc:
        problems = "; ".join(f"{_where(e['loc'])}: {e['msg']}" for e in exc.errors())
        raise RoutingError(f"{path}: {problems}") from exc
    except RoutingError as exc:
        raise RoutingError(f"{path}: {exc}") from exc
