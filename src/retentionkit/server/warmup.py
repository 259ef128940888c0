"""The dashboard's cache warm-up (module of :mod:`retentionkit.server`, without FastAPI, so
``serve`` can start the overview's warm-up before it imports the web app): the overview first,
then each lane's other pages, visitors first (docs/web.md, Speed)."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.web.service import WorkspaceService

__all__ = ["start_first_page", "warm_lane"]

log = logging.getLogger("uvicorn.error")  # shown by uvicorn's default log config


def warm_lane(svc: WorkspaceService, lane: str, first_page: threading.Event) -> None:
    """Compute the default dashboard pages once, so the first visitor does not wait. The main
    lane renders the overview first, and only then may the slow lane start its model fits
    (CLV, churn): on two cores a fit beside it would hold up the first page. A visitor's own
    request does not queue behind the warm-up: it runs next, after at most the warm-up calls
    already running (:meth:`WorkspaceService.in_background`)."""
    started = time.perf_counter()
    try:
        _warm_pages(svc, lane, first_page)
    except Exception as exc:  # no data yet, a broken file …: pages will say so themselves
        log.info("dashboard cache warm-up (%s lane) stopped: %s", lane, exc)
    else:
        took = time.perf_counter() - started
        if svc.closing:
            log.info("dashboard cache warm-up (%s lane) stopped: shutting down", lane)
        else:
            log.info("dashboard cache warmed (%s lane) in %.1f s", lane, took)


def _warm_pages(svc: WorkspaceService, lane: str, first_page: threading.Event) -> None:
    """The overview first, as any visitor would (everyone waits for it); then the lane's
    other pages in the background: a visitor's call goes first."""
    from retentionkit.pages import warm, warm_first

    if lane == "main":
        try:
            warm_first(svc)
        finally:
            first_page.set()
    else:
        first_page.wait()
    with svc.in_background():
        warm(svc, lane)


def start_first_page(svc: WorkspaceService) -> threading.Event:
    """Start the main lane's warm-up (the overview first, then the lane's other pages) in a daemon
    thread now, before the app is built; the returned event is set once the overview is
    rendered (pass it to :func:`retentionkit.server.create_app`, whose start-up then starts
    the slow lane only). ``serve`` calls this right after taking the workspace file: the
    overview's pass over the orders then runs in DuckDB (which releases the GIL) while this
    process imports and builds the web app, instead of after it (docs/web.md, Start-up). On
    the first start after a write (no cached answer on the current data) the engine is
    connected here first, in the calling thread: imports hold Python's lock, so the
    thread's import of Ibis would otherwise be interleaved with the app's imports and the
    pass would start no earlier. A restart on the same data leaves it unloaded (its first
    page is read from the result cache)."""
    import retentionkit.pages  # noqa: F401  (the pages and pandas: here, for the same reason)
    from retentionkit.service.result_cache import holds_answers

    if not svc.run(holds_answers):
        svc.run(lambda ws: ws.con)
    first_page = threading.Event()
    threading.Thread(target=warm_lane, args=(svc, "main", first_page), daemon=True).start()
    return first_page
