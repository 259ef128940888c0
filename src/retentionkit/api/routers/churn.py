"""GET /api/churn/at-risk — customers at risk with risk, value at risk, reasons and segment."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from retentionkit.api.deps import ReadAuth, ServiceDep

router = APIRouter(tags=["churn"], dependencies=[ReadAuth])


@router.get("/churn/at-risk", summary="Customers most likely to leave, with reasons")
def get_at_risk(
    svc: ServiceDep,
    as_of: Annotated[dt.date | None, Query(description="Score as of this day.")] = None,
    horizon: Annotated[
        str, Query(max_length=20, pattern=r"^\d+d?$", description="e.g. 90d")
    ] = "90d",
    top: Annotated[int | None, Query(ge=1, le=1_000_000)] = 100,
    method: Annotated[Literal["auto", "model", "palive"], Query()] = "auto",
    sort: Annotated[Literal["value_at_risk", "risk"], Query()] = "value_at_risk",
    min_risk: Annotated[
        str,
        Query(
            max_length=12,
            pattern=r"^(average|0(\.\d+)?|1(\.0+)?)$",
            description="'average' (riskier than the average customer) or a number from 0 to 1",
        ),
    ] = "average",
) -> Response:
    """``Workspace.churn``: for order data risk = 1 − P(alive); for subscriptions a supervised
    model; value at risk = CLV × risk; the main reasons per customer."""
    from retentionkit.cli._common import dump_json, frame_records

    kwargs = {
        "as_of": as_of.isoformat() if as_of else None,
        "horizon": horizon,
        "top": top,
        "method": method,
        "sort": sort,
        "min_risk": min_risk,
    }
    frame = svc.cached(("churn", kwargs), lambda ws: ws.churn(**kwargs), lane="slow")
    return Response(dump_json(frame_records(frame)), media_type="application/json")
