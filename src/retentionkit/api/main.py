"""The web app: ``create_app(settings)`` builds the FastAPI application (REST API under
``/api``, dashboard pages under ``/``, OpenAPI docs at ``/docs``).

Errors: a :class:`~retentionkit.errors.RetentionkitError` becomes its ``http_status`` with
``{"detail": message}``; invalid query or form parameters become 422 with the reason. Dashboard
pages render the same errors as an HTML page.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from retentionkit.api.settings import WebSettings, get_settings
from retentionkit.errors import AuthError, RetentionkitError

__all__ = ["create_app", "plotly_js_path"]

log = logging.getLogger("uvicorn.error")  # shown by uvicorn's default log config
STATIC_DIR = Path(__file__).resolve().parents[1] / "dashboard" / "static"


def plotly_js_path() -> Path:
    """``plotly.min.js`` shipped inside the installed plotly package (no CDN)."""
    import importlib.util

    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover
        raise RuntimeError("the plotly package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(("/api", "/docs", "/openapi")) and "text/html" in (
        request.headers.get("accept", "")
    )


def _reason(errors: list[Any]) -> str:
    parts = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("query", "body", "path", "form")]
        where = ".".join(loc) or "request"
        parts.append(f"{where}: {err.get('msg', 'invalid value')}")
    return "Invalid parameter " + "; ".join(parts) + "."


def _error_response(request: Request, status: int, message: str) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if _wants_html(request):
        from retentionkit.dashboard.web import render_error

        return render_error(request, status, message, headers=headers)
    return JSONResponse({"detail": message}, status_code=status, headers=headers)


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(RetentionkitError)
    async def _library_error(request: Request, exc: RetentionkitError) -> Response:
        status = exc.http_status if not isinstance(exc, AuthError) else 401
        return _error_response(request, status, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if _wants_html(request):
            return _error_response(request, 422, _reason(list(exc.errors())))
        return JSONResponse(
            {"detail": _reason(list(exc.errors())), "errors": _plain(exc.errors())},
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return _error_response(request, exc.status_code, str(exc.detail))


def _plain(errors: Any) -> list[dict[str, Any]]:
    return [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type", "")}
        for e in errors
    ]


def _warm(app: FastAPI, settings: WebSettings, lane: str) -> None:
    """Compute the default dashboard pages once, so the first visitor does not wait."""
    from retentionkit.api.deps import _registry_lock
    from retentionkit.api.service import WorkspaceService
    from retentionkit.dashboard.views import warm

    with _registry_lock:
        svc = app.state.services.get(settings)
        if svc is None:
            svc = app.state.services[settings] = WorkspaceService(
                settings.db, config=settings.config_path
            )
    started = time.perf_counter()
    try:
        warm(svc, lane)
    except Exception as exc:  # no data yet, a broken file …: pages will say so themselves
        log.info("dashboard cache warm-up (%s lane) stopped: %s", lane, exc)
    else:
        took = time.perf_counter() - started
        log.info("dashboard cache warmed (%s lane) in %.1f s", lane, took)


def create_app(settings: WebSettings | None = None) -> FastAPI:
    """The retentionkit web application for ``settings`` (default: :func:`get_settings`)."""
    from fastapi.staticfiles import StaticFiles

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        current = app.dependency_overrides.get(get_settings, get_settings)()
        if current.warm_cache and Path(current.db).exists():
            for lane in ("main", "slow"):
                threading.Thread(target=_warm, args=(app, current, lane), daemon=True).start()
        stop_goals = goals.start_daily_evaluation(app, current)  # serve: goals once a day
        yield
        stop_goals.set()
        for svc in list(app.state.services.values()):
            svc.close()

    app = FastAPI(
        title="retentionkit",
        description="Customer-retention analytics: KPIs, cohorts, CLV, churn risk, segments.",
        lifespan=lifespan,
        docs_url=None,  # served below from the installed swagger-ui-bundle: no CDN, offline
    )
    app.state.services = {}
    app.state.keystores = {}
    if settings is not None:
        app.dependency_overrides[get_settings] = lambda: settings
    _install_handlers(app)

    from retentionkit.api.routers import goals, ingest, metrics

    app.include_router(metrics.router, prefix="/api")
    app.include_router(ingest.router, prefix="/api")
    app.include_router(goals.router, prefix="/api")
    for name in optional_routers():
        module = __import__(f"retentionkit.api.routers.{name}", fromlist=["router"])
        app.include_router(module.router, prefix="/api")

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(
            plotly_js_path(),
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    import swagger_ui_bundle
    from fastapi.openapi.docs import get_swagger_ui_html

    app.mount(
        "/static/swagger", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger"
    )

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


def optional_routers() -> list[str]:
    """Routers whose library function exists in this installation."""
    import importlib.util

    from retentionkit.dashboard.views import available_features

    features = available_features()
    return [
        name
        for name in ("cohorts", "rfm", "clv", "churn", "segments")
        if name in features and importlib.util.find_spec(f"retentionkit.api.routers.{name}")
    ]
