"""GET /api/cohorts — the records of ``retentionkit cohorts --format json``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from retentionkit.api.deps import ReadAuth, ServiceDep

router = APIRouter(tags=["cohorts"], dependencies=[ReadAuth])


@router.get("/cohorts", summary="Acquisition cohorts × periods since acquisition")
def get_cohorts(
    svc: ServiceDep,
    period: Annotated[Literal["week", "month", "quarter"], Query()] = "month",
    kind: Annotated[
        Literal["customers", "unbounded", "revenue", "cumulative_revenue"], Query()
    ] = "customers",
    from_: Annotated[dt.date | None, Query(alias="from")] = None,
    to: Annotated[dt.date | None, Query()] = None,
    segment: Annotated[str | None, Query(max_length=200)] = None,
    customer_definition: Annotated[Literal["activity", "contractual"] | None, Query()] = None,
) -> Response:
    """One record per cohort (and segment) and offset: ``cohort, offset, size, value``."""
    from retentionkit.cli._common import dump_json
    from retentionkit.cohorts.render import cohort_records

    kwargs = {
        "period": period,
        "kind": kind,
        "start": from_.isoformat() if from_ else None,
        "end": to.isoformat() if to else None,
        "segment": segment or None,
        "customer_definition": customer_definition,
    }
    frame = svc.cached(("cohorts", kwargs), lambda ws: ws.cohorts(**kwargs))
    return Response(dump_json(cohort_records(frame)), media_type="application/json")
