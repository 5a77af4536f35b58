"""The lifecycle API: authenticated, scoped to jurisdictions, newest first, ack and silence."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from planwatch.domain.events import Status, StatusChange
from planwatch.security import KeyStore, Role
from planwatch.settings import CommonSettings
from planwatch_alerts.app import create_app
from planwatch_alerts.settings import DEFAULT_ROUTES, Settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


# Each indicator's plan as in the shipped catalog: agency names resolve in its jurisdiction.
PLANS = {"甘肃省": "gsbase", "青海省": "qinghai"}


def _change(indicator: str, jurisdiction: str, to: Status, lead: str = "省科技厅") -> StatusChange:
    return StatusChange(
        catalog_version="v",
        indicator_id=indicator,
        jurisdiction=jurisdiction,
        plan_code=PLANS[jurisdiction],
        from_status=None,
        to_status=to,
        tier=None,
        assessment={"status": to.value},
        target={"id": indicator},
        lead_agencies=(lead,),
        responsible_agencies=(lead,),
    )


@pytest.fixture
def api(tmp_path: Path, smtp_server):
    keys_url = f"sqlite:///{tmp_path / 'keys.db'}"
    store = KeyStore(keys_url)
    gansu, _ = store.create("甘肃省科技厅", ["甘肃省"], [Role.READ])
    qinghai, _ = store.create("青海省科技厅", ["青海省"], [Role.READ])
    writer, _ = store.create("甘肃省统计局", ["甘肃省"], [Role.SUBMIT])
    store.close()
    settings = Settings(
        db_url=f"sqlite:///{tmp_path / 'alerts.db'}",
        routes_file=DEFAULT_ROUTES,
        consume=False,
        smtp_port=smtp_server.port,
        common=CommonSettings(data_dir=tmp_path, keys_db_url=keys_url, demo_key="demo-key"),
    )
    app = create_app(settings, run_dispatcher=False)
    with TestClient(app) as client:
        engine = app.state.engine
        engine.handle(_change("gsbase-a", "甘肃省", Status.LIMITED_PROGRESS))
        engine.handle(_change("qinghai-b", "青海省", Status.DETERIORATION, "青海省科技厅"))
        engine.tick()
        yield client, {"gansu": gansu, "qinghai": qinghai, "writer": writer, "demo": "demo-key"}


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_alerts_need_a_key(api) -> None:
    client, _ = api
    assert client.get("/v1/alerts").status_code == 401
    assert client.get("/v1/alerts", headers=auth("nope")).status_code == 401
    assert client.get("/healthz").status_code == 200


def test_a_key_reads_only_its_jurisdictions(api) -> None:
    client, keys = api
    mine = client.get("/v1/alerts", headers=auth(keys["gansu"])).json()
    assert [a["indicator_id"] for a in mine] == ["gsbase-a"]
    assert (
        client.get("/v1/alerts?jurisdiction=青海省", headers=auth(keys["gansu"])).status_code == 403
    )
    other = client.get("/v1/alerts", headers=auth(keys["qinghai"])).json()[0]
    assert client.get(f"/v1/alerts/{other['id']}", headers=auth(keys["gansu"])).status_code == 403
    assert client.get("/v1/alerts", headers=auth(keys["writer"])).status_code == 403


def test_interface_fields_newest_first_with_notifications(api) -> None:
    client, keys = api
    found = client.get("/v1/alerts", headers=auth(keys["demo"])).json()
    assert [a["indicator_id"] for a in found] == ["qinghai-b", "gsbase-a"]
    first = found[0]
    assert {
        "id",
        "indicator_id",
        "jurisdiction",
        "status",
        "severity",
        "state",
        "agencies",
        "notifications",
    } <= set(first)
    assert first["state"] == "open" and first["agencies"] == ["青海省科技厅"]
    assert first["severity"] == "critical" and first["status"] == "deterioration"
    [sent] = first["notifications"]
    assert sent["state"] == "sent" and sent["to"][0].startswith("agency-")  # not in the registry
    assert sent["channel"] == "email" and sent["sent_at"] and sent["attempts"] == 1


def test_a_failed_delivery_is_visible(api, smtp_server) -> None:
    client, keys = api
    smtp_server.refuse_with = "554 5.7.1 rejected"
    engine = client.app.state.engine
    engine.handle(_change("gsbase-c", "甘肃省", Status.NEEDS_ACCELERATION, "省工信厅"))
    engine.tick()
    [alert] = client.get("/v1/alerts?indicator_id=gsbase-c", headers=auth(keys["gansu"])).json()
    [failed] = alert["notifications"]
    assert failed["state"] == "failed" and "554" in failed["last_error"]
    history = client.get("/v1/notifications?state=failed", headers=auth(keys["gansu"])).json()
    assert [n["id"] for n in history] == [failed["id"]]
    metrics = client.get("/metrics").text
    assert 'planwatch_alerts_notifications_total{channel="email",result="failed"} 1.0' in metrics
    assert 'planwatch_alerts_notifications_total{channel="email",result="sent"} 2.0' in metrics
    assert 'planwatch_alerts_open{severity="critical"} 1.0' in metrics


def test_notification_history_is_scoped_to_the_key(api) -> None:
    client, keys = api
    gansu = client.get("/v1/notifications", headers=auth(keys["gansu"])).json()
    everything = client.get("/v1/notifications", headers=auth(keys["demo"])).json()
    assert len(gansu) == 1 and len(everything) == 2
    assert gansu[0]["to"] == ["gs-kjt@agencies.invalid"]


def test_filters_are_checked(api) -> None:
    client, keys = api
    bad = client.get("/v1/alerts?state=closed", headers=auth(keys["demo"]))
    assert bad.status_code == 422 and "state" in bad.text
    found = client.get("/v1/alerts?severity=critical", headers=auth(keys["demo"])).json()
    assert [a["indicator_id"] for a in found] == ["qinghai-b"]
    assert client.get("/v1/alerts?agency=省科技厅", headers=auth(keys["gansu"])).json()
    assert client.get("/v1/alerts?agency=省财政厅", headers=auth(keys["gansu"])).json() == []
    assert client.get("/v1/alerts/9999", headers=auth(keys["demo"])).status_code == 404


def test_acknowledge_and_silence(api) -> None:
    client, keys = api
    alert = client.get("/v1/alerts", headers=auth(keys["gansu"])).json()[0]
    acked = client.post(
        f"/v1/alerts/{alert['id']}/ack",
        headers=auth(keys["gansu"]),
        json={"by": "张三", "comment": "已安排专项调度"},
    ).json()
    assert acked["state"] == "acknowledged" and acked["acknowledged_by"] == "张三"
    assert acked["ack_comment"] == "已安排专项调度" and acked["acknowledged_at"]
    until = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    silenced = client.post(
        f"/v1/alerts/{alert['id']}/silence",
        headers=auth(keys["gansu"]),
        json={"until": until, "reason": "统计口径调整", "by": "李四"},
    )
    assert silenced.status_code == 200 and silenced.json()["state"] == "silenced"
    assert silenced.json()["silenced_by"] == "李四"
    assert silenced.json()["silence_reason"] == "统计口径调整"
    bad = client.post(
        f"/v1/alerts/{alert['id']}/silence",
        headers=auth(keys["gansu"]),
        json={"until": "2020-01-01T00:00:00Z", "reason": "x", "by": "y"},
    )
    assert bad.status_code == 422 and "until" in bad.text
    missing = client.post(f"/v1/alerts/{alert['id']}/ack", headers=auth(keys["gansu"]), json={})
    assert missing.status_code == 422 and "by" in missing.text
    assert (
        client.get("/v1/alerts?state=silenced", headers=auth(keys["demo"])).json()[0]["id"]
        == alert["id"]
    )


def test_a_reminder_is_listed_only_when_asked_for_and_cannot_be_acknowledged(api) -> None:
    """A reminder before a due date is a notice: the boards' listing of alerts leaves it out,
    ``type=reminder`` (or ``state=notice``) shows it; nobody acknowledges or silences it."""
    client, keys = api
    engine = client.app.state.engine
    reminder = _change("gsbase-a", "甘肃省", Status.LIMITED_PROGRESS).model_copy(
        update={
            "reason": "reminder",
            "from_status": Status.LIMITED_PROGRESS,
            "assessment": None,
            "overdue_period": "2025",
            "due_date": "2026-12-30",
            "publisher": "甘肃省统计局",
        }
    )
    engine.handle(reminder)
    listed = client.get("/v1/alerts", headers=auth(keys["gansu"])).json()
    assert [a["type"] for a in listed] == ["offtrack"]
    [notice] = client.get("/v1/alerts?type=reminder", headers=auth(keys["gansu"])).json()
    assert (notice["state"], notice["agencies"]) == ("notice", ["甘肃省统计局"])
    assert client.get("/v1/alerts?state=notice", headers=auth(keys["gansu"])).json() == [notice]
    answer = client.post(
        f"/v1/alerts/{notice['id']}/ack", headers=auth(keys["gansu"]), json={"by": "张三"}
    )
    assert answer.status_code == 409 and answer.json()["type"].endswith("reminder-notice")
    until = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    answer = client.post(
        f"/v1/alerts/{notice['id']}/silence",
        headers=auth(keys["gansu"]),
        json={"until": until, "reason": "x", "by": "y"},
    )
    assert answer.status_code == 409
