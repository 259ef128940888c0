"""``POST /api/_local/run``: the route through which the CLI and ``rk.Workspace`` on the same
machine work while this server owns the workspace (docs/architecture.md).

Authorised only by the local token of the runtime file (header ``X-Retentionkit-Local-Token``,
compared in constant time), never by an API key; hidden from the OpenAPI schema. The body is
``{"request": request_to_json(...)}``: any type of the explicit registry
:func:`retentionkit.service.wire.request_types` (the service layer's, the goals', the surveys'
and the automations' requests), run by its own family's service function — on the write path
:meth:`WorkspaceService.write` (every lane stopped, data version bumped, cache cleared) when its
class declares ``writes = True``, else on the read path: the service layer's requests through
:meth:`WorkspaceService.request` (cached per data version and request), the features' through
:meth:`WorkspaceService.run` (uncached, as their REST routes do). ``ReportRequest`` (``retentionkit
report`` on a served workspace) is answered here: the server renders the report's HTML from its
own cache and the client writes the file.
"""

from __future__ import annotations

import hmac
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from retentionkit.runtime.client import LOCAL_ROUTE, TOKEN_HEADER

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.web.service import WorkspaceService

__all__ = ["answer", "local_router"]

log = logging.getLogger("uvicorn.error")


def local_router(token: str) -> APIRouter:
    """The local route, accepting exactly ``token``."""
    router = APIRouter(include_in_schema=False)

    @router.post(LOCAL_ROUTE)
    async def local_run(http: Request) -> JSONResponse:
        given = http.headers.get(TOKEN_HEADER, "")
        if not given or not hmac.compare_digest(given.encode(), token.encode()):
            return JSONResponse({"detail": "Wrong or missing local token."}, status_code=401)
        body = await http.json()
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(_run, http, body)

    return router


def answer(svc: WorkspaceService, request: Any) -> Any:
    """Answer a request that came over the wire with its family's service function: on the
    write path when it writes, else on the read path."""
    from retentionkit.service import ReportRequest, Request
    from retentionkit.service.wire import request_types, writes

    if isinstance(request, ReportRequest):
        from retentionkit.report import render_report

        return render_report(
            svc,
            period=request.period,
            start=request.start,
            end=request.end,
            source=Path(str(svc.db)).name if svc.db else "",
        )
    _, runner = request_types()[type(request).__name__]
    if writes(request):
        return svc.write(lambda ws: runner(ws, request))
    if isinstance(request, Request):  # the service layer's and the goals' reads: cached
        return svc.request(request)
    return svc.run(lambda ws: runner(ws, request))


def _run(http: Request, body: Any) -> JSONResponse:
    from retentionkit.errors import RetentionkitError
    from retentionkit.service.wire import answer_to_json, error_to_json, request_from_json
    from retentionkit.web.auth import app_service
    from retentionkit.web.settings import app_settings

    settings = app_settings(http.app)
    svc = app_service(http.app, settings)
    try:
        request = request_from_json(body.get("request") if isinstance(body, dict) else None)
        result = answer(svc, request)
        return JSONResponse(answer_to_json(result, svc.version))
    except RetentionkitError as exc:
        return JSONResponse({"error": error_to_json(exc)}, status_code=exc.http_status)
    except Exception as exc:  # a bug: the client reports it as an internal error
        log.exception("local request failed")
        error = {
            "type": "InternalError",
            "exception": type(exc).__name__,
            "message": str(exc),
            "exit_code": 70,
            "http_status": 500,
        }
        return JSONResponse({"error": error}, status_code=500)
