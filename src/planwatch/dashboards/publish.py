"""Publish datasources, folder and dashboards to Grafana through its HTTP API, idempotently.

Two datasources, as the provisioning files declare them: InfluxDB for the leadership boards and
Prometheus for the service-health board (the services' own ``/metrics``).

Each object is read first and written only when it differs, so a second run changes nothing
(and Grafana's dashboard version does not move). Grafana never returns a secret it stores, so
the datasource carries a short fingerprint of the InfluxDB token in ``jsonData``: a changed
token is written, an unchanged one is not. Objects provisioned from files (read-only in
Grafana) are left alone and reported.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from grafana_client import GrafanaApi
from grafana_client.client import GrafanaClientError

from planwatch.dashboards.grafana import DATASOURCE_UID, build_all
from planwatch.dashboards.health import PROMETHEUS_UID

__all__ = [
    "FOLDER_TITLE",
    "FOLDER_UID",
    "PublishReport",
    "publish",
    "wanted_datasource",
    "wanted_prometheus",
]

FOLDER_UID = "planwatch"
FOLDER_TITLE = "planwatch"
_DS_KEYS = ("name", "type", "url", "access", "jsonData")


@dataclass
class PublishReport:
    changed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # provisioned, read-only in Grafana


def _fingerprint(token: str) -> str:
    # 16 hex digits of SHA-256 say whether the token changed without revealing it
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def wanted_datasource(influx_url: str, database: str, token: str | None) -> dict[str, Any]:
    """The datasource as the provisioning file declares it, with the pinned uid."""
    json_data: dict[str, Any] = {"dbName": database, "httpMode": "POST"}
    ds: dict[str, Any] = {
        "uid": DATASOURCE_UID,
        "name": "planwatch InfluxDB",
        "type": "influxdb",
        "access": "proxy",
        "url": influx_url,
        "jsonData": json_data,
    }
    if token:
        json_data.update(httpHeaderName1="Authorization", tokenFingerprint=_fingerprint(token))
        ds["secureJsonData"] = {"httpHeaderValue1": f"Token {token}"}
    return ds


def wanted_prometheus(prometheus_url: str) -> dict[str, Any]:
    """The Prometheus datasource of deploy/grafana/provisioning/datasources/prometheus.yaml."""
    return {
        "uid": PROMETHEUS_UID,
        "name": "planwatch Prometheus",
        "type": "prometheus",
        "access": "proxy",
        "url": prometheus_url,
        "jsonData": {},
    }


def _get(call: Any, *args: Any) -> Any | None:
    """The object, or None when Grafana answers 404."""
    try:
        return call(*args)
    except GrafanaClientError as exc:
        if getattr(exc, "status_code", None) == 404:
            return None
        raise


def _datasource(api: GrafanaApi, wanted: dict[str, Any], report: PublishReport) -> None:
    uid = wanted["uid"]
    current = _get(api.datasource.get_datasource_by_uid, uid)
    if current is None:
        api.datasource.create_datasource(wanted)
        report.changed.append(f"datasource {uid} created")
    elif current.get("readOnly"):
        report.skipped.append(f"datasource {uid} is provisioned: left as is")
    elif any(current.get(k) != wanted[k] for k in _DS_KEYS):
        api.datasource.update_datasource_by_uid(uid, {**current, **wanted})
        report.changed.append(f"datasource {uid} updated")


def _folder(api: GrafanaApi, report: PublishReport) -> None:
    if _get(api.folder.get_folder, FOLDER_UID) is None:
        api.folder.create_folder(FOLDER_TITLE, uid=FOLDER_UID)
        report.changed.append(f"folder {FOLDER_UID} created")


def _differs(existing: dict[str, Any], board: dict[str, Any]) -> bool:
    # Grafana adds its own id and counts versions: neither is ours to compare
    def ours(d: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in d.items() if k not in ("id", "version")}

    return ours(existing) != ours(board)


def _dashboards(api: GrafanaApi, report: PublishReport) -> None:
    for name, board in build_all().items():
        found = _get(api.dashboard.get_dashboard, board["uid"]) or {}
        meta, existing = found.get("meta", {}), found.get("dashboard")
        if meta.get("provisioned"):
            report.skipped.append(f"dashboard {name} is provisioned: left as is")
            continue
        if existing is None or meta.get("folderUid") != FOLDER_UID or _differs(existing, board):
            api.dashboard.update_dashboard(
                {"dashboard": {**board, "id": None}, "folderUid": FOLDER_UID, "overwrite": True}
            )
            report.changed.append(f"dashboard {name} ({board['uid']}) written")


def publish(
    api: GrafanaApi,
    influx_url: str,
    database: str = "planwatch",
    token: str | None = None,
    prometheus_url: str | None = "http://prometheus:9090",
) -> PublishReport:
    """Bring Grafana in line with the repository; report what was changed and left alone.

    ``prometheus_url`` None leaves the Prometheus datasource out (the service-health board then
    shows no data until one with its uid exists)."""
    report = PublishReport()
    _datasource(api, wanted_datasource(influx_url, database, token), report)
    if prometheus_url:
        _datasource(api, wanted_prometheus(prometheus_url), report)
    _folder(api, report)
    _dashboards(api, report)
    return report
