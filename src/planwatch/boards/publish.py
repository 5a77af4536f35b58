"""Publish datasource, folder and dashboards to Grafana through its HTTP API, idempotently.

Each object is read first and written only when it differs, so a second run changes nothing
(and Grafana's dashboard version does not move).
"""

from __future__ import annotations

from typing import Any

from grafana_client import GrafanaApi
from grafana_client.client import GrafanaClientError

from planwatch.boards.grafana import DATASOURCE_UID, build_all

__all__ = ["FOLDER_UID", "publish"]

FOLDER_UID = "planwatch"
_DS_KEYS = ("name", "type", "url", "access", "jsonData")


def _datasource(influx_url: str, database: str, token: str | None) -> dict[str, Any]:
    ds: dict[str, Any] = {
        "uid": DATASOURCE_UID,
        "name": "planwatch InfluxDB",
        "type": "influxdb",
        "access": "proxy",
        "url": influx_url,
        "jsonData": {"dbName": database, "httpMode": "POST", "httpHeaderName1": "Authorization"},
    }
    if token:
        ds["secureJsonData"] = {"httpHeaderValue1": f"Token {token}"}
    return ds


def _missing(exc: GrafanaClientError) -> bool:
    return getattr(exc, "status_code", None) == 404


def publish(
    api: GrafanaApi, influx_url: str, database: str = "planwatch", token: str | None = None
) -> list[str]:
    """Bring Grafana in line with the repository; return what was changed."""
    changes: list[str] = []
    wanted = _datasource(influx_url, database, token)
    try:
        current = api.datasource.get_datasource_by_uid(DATASOURCE_UID)
    except GrafanaClientError as exc:
        if not _missing(exc):
            raise
        api.datasource.create_datasource(wanted)
        changes.append(f"datasource {DATASOURCE_UID} created")
    else:
        if any(current.get(k) != wanted[k] for k in _DS_KEYS) or token:
            api.datasource.update_datasource_by_uid(DATASOURCE_UID, wanted)
            changes.append(f"datasource {DATASOURCE_UID} updated")
    try:
        api.folder.get_folder(FOLDER_UID)
    except GrafanaClientError as exc:
        if not _missing(exc):
            raise
        api.folder.create_folder("planwatch", uid=FOLDER_UID)
        changes.append(f"folder {FOLDER_UID} created")
    for name, board in build_all().items():
        try:
            existing = api.dashboard.get_dashboard(board["uid"])["dashboard"]
        except GrafanaClientError as exc:
            if not _missing(exc):
                raise
            existing = None
        comparable = {k: v for k, v in (existing or {}).items() if k not in ("id", "version")}
        if comparable != {k: v for k, v in board.items() if k != "version"}:
            api.dashboard.update_dashboard(
                {"dashboard": {**board, "id": None}, "folderUid": FOLDER_UID, "overwrite": True}
            )
            changes.append(f"dashboard {name} ({board['uid']}) written")
    return changes
