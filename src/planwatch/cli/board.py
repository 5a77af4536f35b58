"""``planwatch grafana build|publish``: dashboards as code, and their publication."""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["register"]

grafana_app = typer.Typer(help="Grafana dashboards: build the provisioning JSON, publish.")
DEFAULT_DIR = Path(__file__).resolve().parents[3] / "deploy" / "grafana" / "dashboards"


@grafana_app.command("build")
def build(out: Path = typer.Option(DEFAULT_DIR, help="folder of the dashboard JSON files")) -> None:
    """Write one JSON file per dashboard (what deploy/ provisions)."""
    from planwatch.dashboards.grafana import write_all

    for path in write_all(out):
        typer.echo(f"wrote {path}")


@grafana_app.command("publish")
def publish(
    url: str = typer.Option(..., envvar="GRAFANA_URL", help="Grafana base URL"),
    token: str | None = typer.Option(None, envvar="GRAFANA_TOKEN", help="service account token"),
    user: str | None = typer.Option(None, envvar="GRAFANA_ADMIN_USER"),
    password: str | None = typer.Option(None, envvar="GRAFANA_ADMIN_PASSWORD"),
    influx_url: str = typer.Option("http://influxdb:8086", envvar="INFLUXDB_URL"),
    database: str = typer.Option("planwatch", envvar="INFLUXDB_BUCKET"),
    influx_token: str | None = typer.Option(None, envvar="INFLUXDB_TOKEN"),
    prometheus_url: str = typer.Option(
        "http://prometheus:9090",
        envvar="PROMETHEUS_URL",
        help="Prometheus of the service-health board ('' leaves that datasource out)",
    ),
) -> None:
    """Push datasources, folder and dashboards; running it twice changes nothing."""
    from grafana_client import GrafanaApi

    from planwatch.dashboards.publish import publish as run

    credential: str | tuple[str, str]
    if token:
        credential = token
    elif user and password:
        credential = (user, password)
    else:
        typer.echo("credentials: give --token or --user and --password", err=True)
        raise typer.Exit(2)
    api = GrafanaApi.from_url(url, credential=credential)
    report = run(api, influx_url, database, influx_token, prometheus_url or None)
    for line in [*report.changed, *report.skipped]:
        typer.echo(line)
    if not report.changed:
        typer.echo("Grafana is up to date: nothing changed")


def register(app: typer.Typer) -> None:
    app.add_typer(grafana_app, name="grafana")
