"""``POST /api/_local/run``: the route through which the CLI and ``rk.Workspace`` on the same
machine work while this server owns the workspace (docs/architecture.md).

Authorised only by the local token of the runtime file (header ``X-Retentionkit-Local-Token``,
compared in constant time), never by an API key; hidden from the OpenAPI schema. The body is
``{"request": request_to_json(...)}``; writes (ingest, load-dir) go through
:meth:`WorkspaceService.write` (every lane stopped, data version bumped, cache cleared), reads
through :meth:`WorkspaceService.request` (cached per data version and request).
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from retentionkit.runtime.client import LOCAL_ROUTE, TOKEN_HEADER
from retentionkit.service import IngestRequest, LoadDirRequest

__all__ = ["WRITES", "local_router"]

log = logging.getLogger("uvicorn.error")

#: Request types that write: they run through ``WorkspaceService.write``.
WRITES = (IngestRequest, LoadDirRequest)
#: The goal requests that write (retentionkit.goals, imported on demand).
GOAL_WRITES = frozenset(
    {"GoalAddRequest", "GoalUpdateRequest", "GoalDeleteRequest", "GoalEvaluateRequest"}
)


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


def _run(http: Request, body: Any) -> JSONResponse:
    from retentionkit.errors import RetentionkitError
    from retentionkit.service import run
    from retentionkit.service.wire import error_to_json, request_from_json, result_to_json
    from retentionkit.web.auth import app_service
    from retentionkit.web.settings import get_settings

    settings = http.app.dependency_overrides.get(get_settings, get_settings)()
    svc = app_service(http.app, settings)
    try:
        request = request_from_json(body.get("request") if isinstance(body, dict) else None)
        if isinstance(request, WRITES) or type(request).__name__ in GOAL_WRITES:
            result = svc.write(lambda ws: run(ws, request))
        else:
            result = svc.request(request)
        return JSONResponse(result_to_json(result, svc.version))
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
