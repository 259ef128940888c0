"""GET /api/segments — per-segment summary (or each customer's segment)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Response

from retentionkit.api.routers._respond import records_response
from retentionkit.service import SegmentRequest
from retentionkit.web.auth import ReadAuth, ServiceDep

router = APIRouter(tags=["segments"], dependencies=[ReadAuth])


@router.get("/segments", summary="Customers, revenue and KPIs per segment")
async def get_segments(
    svc: ServiceDep,
    scheme: Annotated[
        str, Query(max_length=200, description="rfm, rfm_score, clv_tier or an attribute.")
    ] = "rfm",
    as_of: Annotated[dt.date | None, Query()] = None,
    per_customer: Annotated[bool, Query(description="Each customer's segment instead.")] = False,
) -> Response:
    """The records of ``retentionkit segments --scheme SCHEME --format json``."""
    request = SegmentRequest(scheme, as_of=as_of, per_customer=per_customer)
    return await records_response(svc, request)
