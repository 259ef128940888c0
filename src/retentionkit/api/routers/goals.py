"""/api/goals — the CLI's ``goals`` commands over HTTP (writes need an admin key), and the
daily evaluation loop that ``serve`` starts from the app's lifespan.

Thin: each route builds the same request object as the CLI (so the same validation and the
same one-sentence errors) and calls one function of :mod:`retentionkit.goals`.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, FastAPI, Query

from retentionkit.api.deps import AdminAuth, ReadAuth, ServiceDep
from retentionkit.api.settings import WebSettings

router = APIRouter(tags=["goals"])
log = logging.getLogger("uvicorn.error")

_ADD_EXAMPLE = {
    "name": "retention",
    "metric": "crr",
    "target": 70,
    "by": "2025-12-31",
    "period": "month",
    "start": "2025-01-01",
    "owner": "Ana",
}


@router.get("/goals", summary="Every goal with its latest evaluation", dependencies=[ReadAuth])
def list_goals(svc: ServiceDep) -> list[dict[str, Any]]:
    """The records of ``retentionkit goals list --format json``."""
    from retentionkit.goals import list_goals as run

    return svc.cached(("goals", "list"), run)


@router.get("/goals/{name}", summary="A goal with its history", dependencies=[ReadAuth])
def show_goal(name: str, svc: ServiceDep) -> dict[str, Any]:
    """``retentionkit goals show NAME --format json``: goal, history, series, forecast fan."""
    from retentionkit.goals import GoalShowRequest, build_request
    from retentionkit.goals import show_goal as run

    req = build_request(GoalShowRequest, name=name)
    return svc.cached(("goals", "show", name), lambda ws: run(ws, req))


@router.post("/goals", summary="Add a goal", status_code=201, dependencies=[AdminAuth])
def add_goal(
    svc: ServiceDep,
    body: Annotated[dict[str, Any], Body(examples=[_ADD_EXAMPLE])],
) -> dict[str, Any]:
    """``retentionkit goals add``: keys name, metric, target, by, period, segment
    (ATTRIBUTE=VALUE), customer_definition, start, start_value, direction, owner, note, kind."""
    from retentionkit.goals import GoalAddRequest, build_request
    from retentionkit.goals import add_goal as run

    req = build_request(GoalAddRequest, **body)
    return svc.write(lambda ws: run(ws, req))


@router.post("/goals/evaluate", summary="Evaluate every goal", dependencies=[AdminAuth])
def evaluate_goals(
    svc: ServiceDep, as_of: Annotated[dt.date | None, Query()] = None
) -> list[dict[str, Any]]:
    """``retentionkit goals evaluate [--as-of DATE] --format json``."""
    from retentionkit.goals import GoalEvaluateRequest, build_request
    from retentionkit.goals import evaluate_goals as run

    req = build_request(GoalEvaluateRequest, as_of=as_of)
    return svc.write(lambda ws: run(ws, req))


@router.patch("/goals/{name}", summary="Change a goal", dependencies=[AdminAuth])
def update_goal(
    name: str,
    svc: ServiceDep,
    body: Annotated[dict[str, Any], Body(examples=[{"target": 75, "note": "raised"}])],
) -> dict[str, Any]:
    """``retentionkit goals update NAME``: keys current, target, by, direction, owner, note,
    as_of."""
    from retentionkit.goals import GoalUpdateRequest, build_request
    from retentionkit.goals import update_goal as run

    req = build_request(GoalUpdateRequest, **{**body, "name": name})
    return svc.write(lambda ws: run(ws, req))


@router.delete("/goals/{name}", summary="Delete a goal and its history", dependencies=[AdminAuth])
def delete_goal(name: str, svc: ServiceDep) -> dict[str, Any]:
    from retentionkit.goals import GoalDeleteRequest, build_request
    from retentionkit.goals import delete_goal as run

    req = build_request(GoalDeleteRequest, name=name)
    return svc.write(lambda ws: run(ws, req))


# -- serve: evaluate the goals once a day ----------------------------------------------------
def _seconds_to_midnight() -> float:
    now = dt.datetime.now(dt.UTC)
    tomorrow = dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return (tomorrow - now).total_seconds() + 60


def _daily(app: FastAPI, settings: WebSettings, stop: threading.Event) -> None:
    """At start-up, then a minute after every UTC midnight: evaluate every goal as of today
    (a no-op without goals; idempotent per day)."""
    from retentionkit.api.deps import _registry_lock
    from retentionkit.api.service import WorkspaceService
    from retentionkit.goals import evaluate_daily, has_goals

    while not stop.is_set():
        if Path(settings.db).exists():
            with _registry_lock:
                svc = app.state.services.get(settings)
                if svc is None:
                    svc = app.state.services[settings] = WorkspaceService(
                        settings.db, config=settings.config_path
                    )
            try:
                if svc.run(has_goals):
                    done = svc.write(evaluate_daily) or []
                    log.info("goals evaluated as of today: %d", len(done))
            except Exception as exc:  # keep serving; the next day tries again
                log.warning("daily goal evaluation failed: %s", exc)
        stop.wait(_seconds_to_midnight())


def start_daily_evaluation(app: FastAPI, settings: WebSettings) -> threading.Event:
    """Start the daily loop in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=_daily, args=(app, settings, stop), daemon=True).start()
    return stop
