"""The web app's composition root: ``create_app(settings)`` builds the FastAPI application from
the REST API's routers (:mod:`retentionkit.api`, under ``/api``), the dashboard's pages
(:mod:`retentionkit.dashboard`, under ``/``), the static assets and the OpenAPI docs at
``/docs``. This is the one package allowed to import both faces; they share
:mod:`retentionkit.web` and never import each other.

Errors (:mod:`retentionkit.web.errors`): a :class:`~retentionkit.errors.RetentionkitError`
becomes its ``http_status`` with ``{"detail": message}``; invalid query or form parameters
become 422 with the reason. Dashboard pages render the same errors as an HTML page.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from fastapi.responses import FileResponse

from retentionkit.pages.render import STATIC_DIR
from retentionkit.server.daily import start_daily_evaluation
from retentionkit.server.warmup import warm_lane
from retentionkit.web.assets import plotly_js_path
from retentionkit.web.errors import ERROR_RESPONSES, install_handlers
from retentionkit.web.settings import WebSettings, app_settings

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.web.service import WorkspaceService

__all__ = ["create_app"]

log = logging.getLogger("uvicorn.error")  # shown by uvicorn's default log config


def swagger_ui_dir() -> Path:
    """The Swagger UI 5 assets of the installed swagger-ui-py package (reads OpenAPI 3.1;
    the old swagger-ui-bundle 1.1.0 shipped Swagger UI 3, which cannot)."""
    import swagger_ui

    return Path(swagger_ui.__file__).resolve().parent / "static"


def _automations(app: FastAPI, settings: WebSettings, stop: threading.Event) -> None:
    """Plan and deliver automations once a minute as the workspace's writer (a no-op while
    the workspace has no active rule); 50 deliveries per write so pages are not held up."""
    from retentionkit.automations.service import RunAutomations, has_active_rules, run
    from retentionkit.web.auth import app_service

    svc = app_service(app, settings)
    while not stop.wait(60):
        try:
            if not svc.run(has_active_rules):
                continue
            out = svc.write(lambda ws: run(ws, RunAutomations(limit=50)))
            while out["sent"] + out["failed"] + out["dead"] + out["skipped"] == 50:
                out = svc.write(lambda ws: run(ws, RunAutomations(plan=False, limit=50)))
        except Exception as exc:  # a bad rule or file must not stop the server
            log.warning("automations run failed: %s", exc)


def create_app(
    settings: WebSettings | None = None,
    *,
    local_token: str | None = None,
    service: WorkspaceService | None = None,
    first_page: threading.Event | None = None,
) -> FastAPI:
    """The retentionkit web application for ``settings`` (default: :func:`get_settings`).
    With ``local_token`` (``serve`` passes its runtime file's), the hidden local route
    :mod:`retentionkit.server.local` lets the CLI and ``rk.Workspace`` work through it.
    ``service``: the workspace service of ``settings`` made beforehand (``serve``'s, whose
    main-lane warm-up :func:`~retentionkit.server.warmup.start_first_page` started with
    ``first_page``)."""
    from fastapi.staticfiles import StaticFiles

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from retentionkit.web.auth import app_service

        current = app_settings(app)
        if current.warm_cache and current.has_workspace:
            svc = app_service(app, current)
            lanes = ("slow",) if first_page is not None else ("main", "slow")  # main: begun
            event = first_page if first_page is not None else threading.Event()
            for lane in lanes:
                threading.Thread(target=warm_lane, args=(svc, lane, event), daemon=True).start()
        stop_goals = start_daily_evaluation(app, current)  # serve: goals once a day
        stop = threading.Event()  # serve: automations once a minute
        if current.has_workspace:
            args = (app, current, stop)
            threading.Thread(target=_automations, args=args, daemon=True).start()
        yield
        stop_goals.set()
        stop.set()
        for svc in list(app.state.services.values()):
            svc.close()

    app = FastAPI(
        title="retentionkit",
        description="Customer-retention analytics: KPIs, cohorts, CLV, churn risk, segments.",
        lifespan=lifespan,
        docs_url=None,  # served below from the installed swagger-ui-py: no CDN, offline
    )
    app.state.services = {}
    app.state.keystores = {}
    if settings is not None:
        app.state.settings = settings
        if service is not None:
            app.state.services[settings] = service
    install_handlers(app)

    if local_token:
        from retentionkit.server.local import local_router

        app.include_router(local_router(local_token))

    from retentionkit.api.routers import routers

    for router in routers():
        app.include_router(router, prefix="/api", responses=ERROR_RESPONSES)

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(
            plotly_js_path(),
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    from fastapi.openapi.docs import get_swagger_ui_html

    app.mount("/static/swagger", StaticFiles(directory=swagger_ui_dir()), name="swagger")

    @app.get("/docs", include_in_schema=False)
    def swagger_docs() -> Any:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="retentionkit API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/swagger/favicon-32x32.png",
        )

    @app.get("/api/health", tags=["meta"], summary="Liveness check")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    from retentionkit.dashboard.web import router as pages

    app.include_router(pages)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
