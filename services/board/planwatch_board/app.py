"""The built-in board: server-rendered pages with inline SVG, no JavaScript, no CDN."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from planwatch.catalog import Catalog, default_catalog
from planwatch_board.chart import trajectory_svg
from planwatch_board.data import STATUS_COLOURS, STATUS_ZH, BoardData
from planwatch_board.settings import Settings

__all__ = ["create_app"]

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def create_app(settings: Settings, catalog: Catalog | None = None) -> FastAPI:
    catalog = catalog or default_catalog()
    data = BoardData(catalog, settings.common.data_dir / "timeseries.db")
    app = FastAPI(title="planwatch board", docs_url=None, redoc_url=None)
    common = {"colours": STATUS_COLOURS, "names": STATUS_ZH}

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", response_class=HTMLResponse)
    def overview(request: Request) -> HTMLResponse:
        views = data.overview()
        counts = Counter(v.status for v in views)
        plans = []
        for code, plan in catalog.plans.items():
            by_jurisdiction: dict[str, list] = {}
            for v in views:
                if v.entry.plan_code == code:
                    by_jurisdiction.setdefault(v.entry.jurisdiction, []).append(v)
            plans.append((plan, sorted(by_jurisdiction.items())))
        order = [s for s in STATUS_COLOURS if s in counts]
        return TEMPLATES.TemplateResponse(
            request,
            "overview.html",
            {**common, "plans": plans, "counts": [(s, counts[s]) for s in order]},
        )

    @app.get("/indicators/{indicator_id}", response_class=HTMLResponse)
    def indicator(request: Request, indicator_id: str) -> HTMLResponse:
        entry = catalog.get(indicator_id)
        if entry is None:
            raise HTTPException(404, f"unknown indicator id {indicator_id!r}")
        view = data.indicator(entry)
        latest = view.latest or {}
        chart = trajectory_svg(
            entry, view.observations, latest.get("projected"), latest.get("target_year")
        )
        return TEMPLATES.TemplateResponse(
            request, "indicator.html", {**common, "entry": entry, "view": view, "chart": chart}
        )

    return app
