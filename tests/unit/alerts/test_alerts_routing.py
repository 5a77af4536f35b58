"""Routing YAML: inheritance, first match and ``continue``, contacts, errors naming the field."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from planwatch_alerts.routing import (
    LEAD_AGENCY,
    Routing,
    RoutingConfig,
    RoutingError,
    load_routing,
    parse_duration,
)

REPO = Path(__file__).resolve().parents[3]
LABELS = {
    "plan": "gsbase",
    "jurisdiction": "甘肃省",
    "agency": ["省科技厅", "省财政厅"],
    "indicator": "gsbase-rd-expenditure",
    "severity": "major",
    "type": "offtrack",
}


def routing(route: dict[str, Any], **extra: Any) -> Routing:
    return Routing(RoutingConfig.model_validate({"route": route, **extra}))


def test_children_inherit_the_timings_and_override_what_they_set() -> None:
    r = routing(
        {
            "receiver": LEAD_AGENCY,
            "group_by": ["agency", "plan"],
            "group_wait": "1m",
            "group_interval": "10m",
            "repeat_interval": "12h",
            "routes": [
                {
                    "match": {"jurisdiction": "甘肃省"},
                    "group_wait": "5s",
                    "routes": [
                        {"match": {"severity": ["major", "critical"]}, "repeat_interval": "2h"}
                    ],
                }
            ],
        }
    )
    [d] = r.route(LABELS)
    assert d.receiver == LEAD_AGENCY and d.group_by == ("agency", "plan")
    assert (d.group_wait_s, d.group_interval_s, d.repeat_interval_s) == (5, 600, 7200)
    [other] = r.route({**LABELS, "jurisdiction": "青海省"})
    assert (other.group_wait_s, other.repeat_interval_s) == (60, 43200)


def test_the_first_matching_child_wins_unless_it_continues() -> None:
    receivers = [{"name": n, "email": [f"{n}@x.invalid"]} for n in ("a", "b", "c")]
    route = {
        "receiver": "c",
        "routes": [
            {"match": {"agency": "省财政厅"}, "receiver": "a"},  # a list label: any value
            {"match": {"plan": "gsbase"}, "receiver": "b"},
        ],
    }
    assert [d.receiver for d in routing(route, receivers=receivers).route(LABELS)] == ["a"]
    route["routes"][0]["continue"] = True
    assert [d.receiver for d in routing(route, receivers=receivers).route(LABELS)] == ["a", "b"]
    nothing = {**LABELS, "agency": ["省工信厅"], "plan": "baiyin"}
    assert [d.receiver for d in routing(route, receivers=receivers).route(nothing)] == ["c"]


def test_regular_expression_matchers() -> None:
    r = routing(
        {"receiver": LEAD_AGENCY, "routes": [{"match_re": {"indicator": "gsbase-.*"},
                                               "group_wait": "0s"}]}
    )  # fmt: skip
    assert r.route(LABELS)[0].group_wait_s == 0
    assert r.route({**LABELS, "indicator": "baiyin-x"})[0].group_wait_s == 30


def test_contacts_by_id_by_name_then_the_default_pattern() -> None:
    r = routing(
        {"receiver": LEAD_AGENCY},
        contacts={
            "gs-kjt": {"email": ["kjt@x.invalid"]},
            "甘肃省统计局": {"email": ["t@x.invalid"]},
        },
        default_email="{agency_id}@agencies.invalid",
    )
    assert r.contact("gs-kjt", "省科技厅").email == ["kjt@x.invalid"]
    assert r.contact("agency-1234", "甘肃省统计局").email == ["t@x.invalid"]
    assert r.contact("gs-czt", "省财政厅").email == ["gs-czt@agencies.invalid"]


@pytest.mark.parametrize(
    ("text", "seconds"), [("0s", 0), ("250ms", 0.25), ("30s", 30), ("5m", 300), ("4h", 14400),
                          ("1.5d", 129600)]
)  # fmt: skip
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"route": {"receiver": LEAD_AGENCY, "group_wait": "soon"}}, "route.group_wait"),
        ({"route": {"receiver": LEAD_AGENCY, "routes": [{"match": {"colour": "red"}}]}},
         "unknown label(s) ['colour']"),
        ({"route": {"receiver": "nobody"}}, "unknown receiver 'nobody'"),
        ({"route": {}}, "route.receiver: the root route needs a receiver"),
        ({"route": {"receiver": LEAD_AGENCY}, "receivers": [{"name": "x", "apprise": ["nope"]}]},
         "receivers.0.apprise"),
        ({"route": {"receiver": LEAD_AGENCY}, "escalation": {"receiver": "boss"}},
         "unknown receiver 'boss'"),
        ({"route": {"receiver": LEAD_AGENCY, "grup_by": ["agency"]}}, "route.grup_by"),
        ({"route": {"receiver": LEAD_AGENCY, "routes": [{"match_re": {"plan": "("}}]}},
         "not a regular expression"),
    ],
)  # fmt: skip
def test_a_bad_file_names_the_field(tmp_path: Path, config: dict[str, Any], expected: str) -> None:
    path = tmp_path / "routes.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RoutingError) as raised:
        load_routing(path)
    assert str(path) in str(raised.value) and expected in str(raised.value)


@pytest.mark.parametrize("name", ["routes.yml", "routes.example.yml"])
def test_the_shipped_files_load(name: str) -> None:
    r = load_routing(REPO / "deploy" / "alerts" / name)
    assert r.route(LABELS) and r.config.inhibit_rules and r.config.escalation is not None


def test_every_field_of_the_example_has_a_comment_above_it() -> None:
    lines = (REPO / "deploy" / "alerts" / "routes.example.yml").read_text("utf-8").splitlines()
    key = re.compile(r"^\s*(- )?[A-Za-z_][\w-]*:")
    for i, line in enumerate(lines):
        if key.match(line):
            assert i and lines[i - 1].strip().startswith("#"), (
                f"routes.example.yml line {i + 1}: no comment above {line.strip()!r}"
            )


def test_chat_robot_urls_are_understood_by_apprise() -> None:
    r = routing(
        {"receiver": LEAD_AGENCY},
        receivers=[{"name": "chat", "apprise": ["dingtalk://abcdef0123456789/",
                                                "wecombot://0123456789abcdef",
                                                "json://127.0.0.1:9/hook"]}],
    )  # fmt: skip
    assert len(r.receivers["chat"].apprise) == 3
