"""The built-in board: server-rendered pages with inline SVG, no JavaScript, no CDN."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from planwatch.catalog import Catalog, default_catalog
from planwatch.readiness import readiness_response
from planwatch_board.chart import trajectory_svg
from planwatch_board.ports import SeriesReader
from planwatch_board.settings import Settings
from planwatch_board.views import STATUS_COLOURS, STATUS_ZH, indicator_page, overview

__all__ = ["create_app", "reader_from"]

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.globals.update(colours=STATUS_COLOURS, names=STATUS_ZH)


def reader_from(settings: Settings) -> SeriesReader:
    """InfluxDB when one is configured, else the embedded store the evaluator writes."""
    if settings.influx_url:
        from planwatch_board.adapters.influxql import InfluxQLReader

        token = settings.influx_token.get_secret_value() if settings.influx_token else ""
        return InfluxQLReader(settings.influx_url, settings.influx_database, token or None)
    from planwatch_board.adapters.embedded import EmbeddedReader

    return EmbeddedReader(settings.common.data_dir / "timeseries.db")


def create_app(reader: SeriesReader, catalog: Catalog | None = None) -> FastAPI:
    catalog = catalog or default_catalog()
    app = FastAPI(title="planwatch board", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> Response:
        """Ready when the time series answer the query of the overview page."""
        return await readiness_response({"series": lambda: reader.latest("assessment")})

    @app.get("/", response_class=HTMLResponse)
    def overview_page(request: Request) -> HTMLResponse:
        return TEMPLATES.TemplateResponse(
            request, "overview.html", {"view": overview(catalog, reader)}
        )

    @app.get("/indicators/{indicator_id}", response_class=HTMLResponse)
    def indicator(request: Request, indicator_id: str) -> HTMLResponse:
        entry = catalog.get(indicator_id)
        if entry is None:
            return TEMPLATES.TemplateResponse(
                request, "not_found.html", {"indicator_id": indicator_id}, status_code=404
            )
        page = indicator_page(entry, reader)
        return TEMPLATES.TemplateResponse(
            request, "indicator.html", {"page": page, "chart": trajectory_svg(page)}
        )

    return app
