"""GET /api/segments — per-segment summary (or each customer's segment)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Response

from retentionkit.api.deps import ReadAuth, ServiceDep

router = APIRouter(tags=["segments"], dependencies=[ReadAuth])


@router.get("/segments", summary="Customers, revenue and KPIs per segment")
def get_segments(
    svc: ServiceDep,
    scheme: Annotated[
        str, Query(max_length=200, description="rfm, rfm_score, clv_tier or an attribute.")
    ] = "rfm",
    as_of: Annotated[dt.date | None, Query()] = None,
    per_customer: Annotated[bool, Query(description="Each customer's segment instead.")] = False,
) -> Response:
    """The records of ``retentionkit segments --scheme SCHEME --format json``."""
    from retentionkit.cli._common import dump_json, frame_records

    kwargs = {
        "scheme": scheme,
        "as_of": as_of.isoformat() if as_of else None,
        "per_customer": per_customer,
    }
    frame = svc.cached(
        ("segments", kwargs),
        lambda ws: ws.segments(scheme, as_of=kwargs["as_of"], per_customer=per_customer),
        lane="slow" if scheme == "clv_tier" else "main",
    )
    return Response(dump_json(frame_records(frame)), media_type="application/json")
