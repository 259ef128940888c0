"""GET /api/metrics — the records of ``retentionkit metrics --format json``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Response

from retentionkit.api.routers._params import ACTIVE_WINDOW_PATTERN, MetricName, PurchaseModel
from retentionkit.api.routers._respond import records_response
from retentionkit.service import MetricRequest
from retentionkit.service.options import ChurnBasis, Compare, CustomerDefinition, Period
from retentionkit.web.auth import ReadAuth, ServiceDep

router = APIRouter(tags=["metrics"], dependencies=[ReadAuth])


@router.get("/metrics", summary="KPIs per period and segment")
async def get_metrics(
    svc: ServiceDep,
    metric: Annotated[
        list[MetricName] | None,  # type: ignore[valid-type]
        Query(description="Metric name (repeatable); default: all available."),
    ] = None,
    period: Annotated[Period, Query()] = "month",
    from_: Annotated[
        dt.date | None, Query(alias="from", description="First day (inclusive).")
    ] = None,
    to: Annotated[dt.date | None, Query(description="End day (exclusive).")] = None,
    last: Annotated[
        int | None, Query(ge=1, le=10000, description="Only the last N periods.")
    ] = None,
    segment: Annotated[str | None, Query(max_length=200)] = None,
    customer_definition: Annotated[CustomerDefinition | None, Query()] = None,
    active_window: Annotated[
        str | None,
        Query(pattern=ACTIVE_WINDOW_PATTERN, description="Activity window: period or e.g. 90d."),
    ] = None,
    churn_basis: Annotated[ChurnBasis | None, Query()] = None,
    compare: Annotated[Compare | None, Query()] = None,
    clv_model: Annotated[
        PurchaseModel | None,  # type: ignore[valid-type]
        Query(description="Compute clv from a fitted purchase model."),
    ] = None,
) -> Response:
    """Exactly the JSON records of ``retentionkit metrics --format json`` for the same
    arguments: one per metric, period and segment with value, components and health."""
    request = MetricRequest(
        metrics=tuple(metric) if metric else None,
        period=period,
        start=from_,
        end=to,
        last=last,
        segment=segment,
        customer_definition=customer_definition,
        active_window=active_window,
        churn_basis=churn_basis,
        compare=compare,
        clv_model=clv_model,
    )
    return await records_response(svc, request)
