"""GET /api/cohorts — the records of ``retentionkit cohorts --format json``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Response

from retentionkit.api.routers._respond import records_response
from retentionkit.service import CohortRequest
from retentionkit.service.options import CohortKind, CohortPeriod, CustomerDefinition
from retentionkit.web.auth import ReadAuth, ServiceDep

router = APIRouter(tags=["cohorts"], dependencies=[ReadAuth])


@router.get("/cohorts", summary="Acquisition cohorts × periods since acquisition")
async def get_cohorts(
    svc: ServiceDep,
    period: Annotated[CohortPeriod, Query()] = "month",
    kind: Annotated[CohortKind, Query()] = "customers",
    from_: Annotated[dt.date | None, Query(alias="from")] = None,
    to: Annotated[dt.date | None, Query()] = None,
    segment: Annotated[str | None, Query(max_length=200)] = None,
    customer_definition: Annotated[CustomerDefinition | None, Query()] = None,
) -> Response:
    """One record per cohort (and segment) and offset: ``cohort, offset, size, value``."""
    request = CohortRequest(
        period=period,
        kind=kind,
        start=from_,
        end=to,
        segment=segment,
        customer_definition=customer_definition,
    )
    return await records_response(svc, request)
