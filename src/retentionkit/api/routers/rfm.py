"""GET /api/rfm — the per-customer RFM summary of ``retentionkit rfm --format json``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from retentionkit.api.deps import ReadAuth, ServiceDep

router = APIRouter(tags=["rfm"], dependencies=[ReadAuth])


@router.get("/rfm", summary="Per-customer frequency, recency, T and monetary value")
def get_rfm(
    svc: ServiceDep,
    time_unit: Annotated[Literal["day", "week", "month"], Query()] = "week",
    observation_end: Annotated[dt.date | None, Query()] = None,
    calibration_end: Annotated[dt.date | None, Query()] = None,
) -> Response:
    from retentionkit.cli._common import dump_json, frame_records

    kwargs = {
        "time_unit": time_unit,
        "observation_end": observation_end.isoformat() if observation_end else None,
        "calibration_end": calibration_end.isoformat() if calibration_end else None,
    }
    frame = svc.cached(("rfm", kwargs), lambda ws: ws.rfm(**kwargs))
    return Response(dump_json(frame_records(frame)), media_type="application/json")
