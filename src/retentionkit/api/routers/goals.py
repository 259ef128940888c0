"""/api/goals — the CLI's ``goals`` commands over HTTP (writes need an admin key).

Thin: each route builds the same request object as the CLI (so the same validation and the
same one-sentence errors), runs it through the workspace service (reads cached, writes with
every lane stopped) and answers the JSON ``--format json`` prints. ``serve``'s daily
evaluation is started by the composition root (:mod:`retentionkit.server.daily`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response

from retentionkit.service.serialize import dump_json
from retentionkit.web.auth import AdminAuth, ReadAuth, ServiceDep

router = APIRouter(tags=["goals"])

_ADD_EXAMPLE = {
    "name": "retention",
    "metric": "crr",
    "target": 70,
    "by": "2025-12-31",
    "period": "month",
    "start": "2025-01-01",
    "owner": "Ana",
}


def _json(value: Any, status_code: int = 200) -> Response:
    return Response(dump_json(value), status_code=status_code, media_type="application/json")


def _read(svc: Any, request: Any) -> Response:
    """A read request's answer, cached per data version (the request is the key)."""
    return _json(svc.request(request).report)


def _write(svc: Any, request: Any, status_code: int = 200) -> Response:
    """A write request's answer; the service's cache is cleared after it."""
    from retentionkit.service import run

    return _json(svc.write(lambda ws: run(ws, request).report), status_code)


@router.get("/goals", summary="Every goal with its latest evaluation", dependencies=[ReadAuth])
def list_goals(svc: ServiceDep) -> Response:
    """The records of ``retentionkit goals list --format json``."""
    from retentionkit.goals import GoalListRequest

    return _read(svc, GoalListRequest())


@router.get("/goals/{name}", summary="A goal with its history", dependencies=[ReadAuth])
def show_goal(name: str, svc: ServiceDep) -> Response:
    """``retentionkit goals show NAME --format json``: goal, history, series, forecast fan."""
    from retentionkit.goals import GoalShowRequest, build_request

    return _read(svc, build_request(GoalShowRequest, name=name))


@router.post("/goals", summary="Add a goal", status_code=201, dependencies=[AdminAuth])
def add_goal(
    svc: ServiceDep,
    body: Annotated[dict[str, Any], Body(examples=[_ADD_EXAMPLE])],
) -> Response:
    """``retentionkit goals add``: keys name, metric, target, by, period, segment
    (ATTRIBUTE=VALUE), customer_definition, start, start_value, direction, owner, note, kind."""
    from retentionkit.goals import GoalAddRequest, build_request

    return _write(svc, build_request(GoalAddRequest, **body), status_code=201)


@router.post("/goals/evaluate", summary="Evaluate every goal", dependencies=[AdminAuth])
def evaluate_goals(svc: ServiceDep, as_of: Annotated[dt.date | None, Query()] = None) -> Response:
    """``retentionkit goals evaluate [--as-of DATE] --format json``."""
    from retentionkit.goals import GoalEvaluateRequest, build_request

    return _write(svc, build_request(GoalEvaluateRequest, as_of=as_of))


@router.patch("/goals/{name}", summary="Change a goal", dependencies=[AdminAuth])
def update_goal(
    name: str,
    svc: ServiceDep,
    body: Annotated[dict[str, Any], Body(examples=[{"target": 75, "note": "raised"}])],
) -> Response:
    """``retentionkit goals update NAME``: keys current, target, by, direction, owner, note,
    as_of."""
    from retentionkit.goals import GoalUpdateRequest, build_request

    return _write(svc, build_request(GoalUpdateRequest, **{**body, "name": name}))


@router.delete("/goals/{name}", summary="Delete a goal and its history", dependencies=[AdminAuth])
def delete_goal(name: str, svc: ServiceDep) -> Response:
    """``retentionkit goals delete NAME``."""
    from retentionkit.goals import GoalDeleteRequest, build_request

    return _write(svc, build_request(GoalDeleteRequest, name=name))
