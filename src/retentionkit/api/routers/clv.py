"""GET /api/clv — per-customer CLV predictions, as ``retentionkit clv predict --format json``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Response

from retentionkit.api.routers._respond import records_response
from retentionkit.service import ClvPredictRequest
from retentionkit.service.options import (
    AUTO_MODEL,
    TimeUnit,
    clv_model_names,
    literal,
    purchase_model_choices,
)
from retentionkit.web.auth import ReadAuth, ServiceDep

router = APIRouter(tags=["clv"], dependencies=[ReadAuth])

PurchaseModel = literal(purchase_model_choices())
SpendModel = literal(clv_model_names("spend"))


@router.get("/clv", summary="Expected purchases, P(alive), expected spend and CLV per customer")
async def get_clv(
    svc: ServiceDep,
    horizon: Annotated[float, Query(gt=0, le=10000, description="Horizon in time units.")] = 52,
    model: Annotated[PurchaseModel, Query()] = AUTO_MODEL,  # type: ignore[valid-type]
    spend_model: Annotated[SpendModel, Query()] = "gamma-gamma",  # type: ignore[valid-type]
    time_unit: Annotated[TimeUnit, Query()] = "week",
    observation_end: Annotated[dt.date | None, Query()] = None,
    margin: Annotated[float, Query(gt=0, le=1)] = 1.0,
    discount_rate: Annotated[
        float | None,
        Query(
            ge=0,
            le=10,
            description="Annual discount rate (default: annual_discount_rate of "
            "retentionkit.toml, 0.1268 = 1 % a month).",
        ),
    ] = None,
    penalizer: Annotated[float, Query(ge=0)] = 0.0,
) -> Response:
    request = ClvPredictRequest(
        horizon=horizon,
        model=model,
        spend_model=spend_model,
        time_unit=time_unit,
        observation_end=observation_end,
        margin=margin,
        discount_rate=discount_rate,
        penalizer=penalizer,
    )
    return await records_response(svc, request)
