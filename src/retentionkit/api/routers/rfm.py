"""GET /api/rfm — the per-customer RFM summary of ``retentionkit rfm --format json``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Response

from retentionkit.api.routers._respond import records_response
from retentionkit.service import RfmRequest
from retentionkit.service.options import TimeUnit
from retentionkit.web.auth import ReadAuth, ServiceDep

router = APIRouter(tags=["rfm"], dependencies=[ReadAuth])


@router.get("/rfm", summary="Per-customer frequency, recency, T and monetary value")
async def get_rfm(
    svc: ServiceDep,
    time_unit: Annotated[TimeUnit, Query()] = "week",
    observation_end: Annotated[dt.date | None, Query()] = None,
    calibration_end: Annotated[dt.date | None, Query()] = None,
) -> Response:
    request = RfmRequest(time_unit, observation_end, calibration_end)
    return await records_response(svc, request)
