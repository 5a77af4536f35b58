"""The built-in board: server-rendered pages with inline SVG, no JavaScript, no CDN."""

from __future__ import annotations

import html
import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from fastapi import FastAPI, Query, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from planwatch.catalog import Catalog, default_catalog
from planwatch.domain.trajectory.numbers import format_number
from planwatch.readiness import readiness_response
from planwatch_board.chart import trajectory_svg
from planwatch_board.ports import AlertsReader, SeriesReader
from planwatch_board.settings import Settings
from planwatch_board.views import STATUS_COLOURS, STATUS_ZH, indicator_page, overview

__all__ = ["alerts_from", "create_app", "reader_from"]

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
# numbers as a leader reads them: 1,800, 12.5, never 1.8e+03
TEMPLATES.env.filters["num"] = format_number
TEMPLATES.env.globals.update(colours=STATUS_COLOURS, names=STATUS_ZH)


def reader_from(settings: Settings) -> SeriesReader:
    """InfluxDB when one is configured, else the embedded store the evaluator writes."""
    if settings.influx_url:
        from planwatch_board.adapters.influxql import InfluxQLReader

        token = settings.influx_token.get_secret_value() if settings.influx_token else ""
        return InfluxQLReader(settings.influx_url, settings.influx_database, token or None)
    from planwatch_board.adapters.embedded import EmbeddedReader

    return EmbeddedReader(settings.common.data_dir / "timeseries.db")


def alerts_from(settings: Settings) -> AlertsReader | None:
    """The alerts API when one is configured (its answers show on the pages), else None."""
    if not settings.alerts_url:
        return None
    from planwatch_board.adapters.alerts_api import AlertsApiReader

    key = settings.alerts_key.get_secret_value() if settings.alerts_key else None
    return AlertsApiReader(settings.alerts_url, key or settings.common.demo_key or "")


def create_app(
    reader: SeriesReader,
    catalog: Catalog | None = None,
    alerts: AlertsReader | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> FastAPI:
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
        found = alerts.alerts(indicator_id=indicator_id) if alerts is not None else None
        return TEMPLATES.TemplateResponse(
            request,
            "indicator.html",
            {
                "page": page,
                "chart": trajectory_svg(page),
                "alerts": [a for a in found or [] if a.get("jurisdiction") == entry.jurisdiction],
                "alerts_read": found is not None,
                "alerts_configured": alerts is not None,
            },
        )

    @app.get("/reports", response_class=HTMLResponse)
    def report_page(
        request: Request,
        plan: str | None = Query(None, description="plan code"),
        jurisdiction: str | None = Query(None),
        period: str | None = Query(None, description="2025-Q3 or 2025-07"),
        format: str = Query("html", pattern="^(html|pdf|xlsx)$"),
    ) -> Response:
        """The 督查通报 of a plan or jurisdiction, as a page, PDF or XLSX."""
        from planwatch.reports.mail import last_complete_period
        from planwatch.reports.model import ReportError, build_report, report_period
        from planwatch.reports.render import render_html, write_pdf, write_xlsx

        if plan is None and jurisdiction is None:
            return TEMPLATES.TemplateResponse(
                request, "reports.html", {"plans": catalog.plans.values()}
            )
        now = clock()
        try:
            chosen = report_period(period or last_complete_period(now.date(), "quarter"))
            params = {"plan": plan} if plan else {"jurisdiction": jurisdiction or ""}
            found = alerts.alerts(**params) if alerts is not None else None
            built = build_report(
                catalog, chosen, reader.observations, found, now, plan, jurisdiction
            )
        except ReportError as exc:
            return HTMLResponse(f"<p>{html.escape(str(exc))}</p>", status_code=422)
        if format == "html":
            return HTMLResponse(render_html(built))
        out = io.BytesIO()
        (write_pdf if format == "pdf" else write_xlsx)(built, out)
        media = {
            "pdf": "application/pdf",
            "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }[format]
        name = f"report-{plan or 'jurisdiction'}-{chosen.label}.{format}"
        return Response(
            out.getvalue(),
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    return app
