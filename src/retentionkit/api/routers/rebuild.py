"""POST /api/rebuild — the CLI's ``rebuild`` over HTTP (admin key): recompute every cached
answer of the workspace from the raw tables, compare, and unless ``check`` replace all derived
data (docs/performance.md). It runs on the server's write path, so the server's in-memory cache
is emptied too."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from retentionkit.web.auth import AdminAuth, ServiceDep

router = APIRouter(tags=["rebuild"], dependencies=[AdminAuth])


@router.post("/rebuild", summary="Recompute and verify the derived data")
async def rebuild(
    svc: ServiceDep,
    check: bool = Query(False, description="Only recompute and compare; change nothing."),
) -> dict[str, Any]:
    """``{"checked": n, "differ": [...], "removed": n, "recomputed": n}``: how many cached
    answers were recomputed and compared, the ones that differed (none unless the cache was
    damaged), and without ``check`` how many derived files were replaced."""
    from retentionkit.service import RebuildRequest, run

    request = RebuildRequest(check=check)
    report: dict[str, Any] = await run_in_threadpool(svc.write, lambda ws: run(ws, request).report)
    return report
