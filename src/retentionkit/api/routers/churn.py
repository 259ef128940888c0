"""GET /api/churn/at-risk — customers at risk with risk, value at risk, reasons and segment."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Response

from retentionkit.api.routers._respond import records_response
from retentionkit.service import ChurnAtRiskRequest
from retentionkit.service.options import (
    AUTO_MODEL,
    ChurnMethod,
    ChurnSort,
    literal,
    purchase_model_choices,
)
from retentionkit.web.auth import ReadAuth, ServiceDep

PurchaseModel = literal(purchase_model_choices())

router = APIRouter(tags=["churn"], dependencies=[ReadAuth])


@router.get("/churn/at-risk", summary="Customers most likely to leave, with reasons")
async def get_at_risk(
    svc: ServiceDep,
    as_of: Annotated[dt.date | None, Query(description="Score as of this day.")] = None,
    horizon: Annotated[
        str, Query(max_length=20, pattern=r"^\d+d?$", description="e.g. 90d")
    ] = "90d",
    top: Annotated[int | None, Query(ge=1, le=1_000_000)] = 100,
    method: Annotated[ChurnMethod, Query()] = "auto",
    sort: Annotated[ChurnSort, Query()] = "value_at_risk",
    min_risk: Annotated[
        str,
        Query(
            max_length=12,
            pattern=r"^(average|0(\.\d+)?|1(\.0+)?)$",
            description="'average' (riskier than the average customer) or a number from 0 to 1",
        ),
    ] = "average",
    model: Annotated[PurchaseModel, Query()] = AUTO_MODEL,  # type: ignore[valid-type]
) -> Response:
    """``Workspace.churn``: for order data risk = 1 − P(alive); for subscriptions a supervised
    model; value at risk = CLV × risk; the main reasons per customer."""
    request = ChurnAtRiskRequest(
        as_of=as_of,
        horizon=horizon,
        top=top,
        method=method,
        sort=sort,
        min_risk=min_risk,
        model=model,
    )
    return await records_response(svc, request)
