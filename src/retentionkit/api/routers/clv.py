"""GET /api/clv — per-customer CLV predictions, as ``retentionkit clv predict --format json``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from retentionkit.api.deps import ReadAuth, ServiceDep

router = APIRouter(tags=["clv"], dependencies=[ReadAuth])


@router.get("/clv", summary="Expected purchases, P(alive), expected spend and CLV per customer")
def get_clv(
    svc: ServiceDep,
    horizon: Annotated[float, Query(gt=0, le=10000, description="Horizon in time units.")] = 52,
    model: Annotated[Literal["bgnbd", "mbgnbd", "paretonbd"], Query()] = "bgnbd",
    spend_model: Annotated[Literal["gamma-gamma"], Query()] = "gamma-gamma",
    time_unit: Annotated[Literal["day", "week", "month"], Query()] = "week",
    observation_end: Annotated[dt.date | None, Query()] = None,
    margin: Annotated[float, Query(gt=0, le=1)] = 1.0,
    discount_rate: Annotated[float, Query(ge=0, le=1)] = 0.01,
    penalizer: Annotated[float, Query(ge=0)] = 0.0,
) -> Response:
    from retentionkit.cli._common import dump_json, frame_records

    kwargs = {
        "horizon": horizon,
        "model": model,
        "spend_model": spend_model,
        "time_unit": time_unit,
        "observation_end": observation_end.isoformat() if observation_end else None,
        "margin": margin,
        "discount_rate": discount_rate,
        "penalizer": penalizer,
    }
    frame = svc.cached(("clv", kwargs), lambda ws: ws.clv(**kwargs), lane="slow")
    return Response(dump_json(frame_records(frame)), media_type="application/json")
