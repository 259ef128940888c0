"""GET /api/metrics — the records of ``retentionkit metrics --format json``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from retentionkit.api.deps import ReadAuth, ServiceDep

router = APIRouter(tags=["metrics"], dependencies=[ReadAuth])

Period = Literal["day", "week", "month", "quarter", "year"]


def metric_kwargs(
    metric: list[str] | None,
    period: str,
    from_: dt.date | None,
    to: dt.date | None,
    last: int | None,
    segment: str | None,
    customer_definition: str | None,
    active_window: str | None,
    churn_basis: str | None,
    compare: str | None,
) -> dict[str, Any]:
    """The keyword arguments of ``Workspace.metrics`` the CLI passes for the same flags."""
    return {
        "metric": list(metric) or None if metric else None,
        "period": period,
        "start": from_.isoformat() if from_ else None,
        "end": to.isoformat() if to else None,
        "last": last,
        "segment": segment or None,
        "customer_definition": customer_definition,
        "active_window": active_window or None,
        "churn_basis": churn_basis,
        "compare": compare,
    }


@router.get("/metrics", summary="KPIs per period and segment")
def get_metrics(
    svc: ServiceDep,
    metric: Annotated[
        list[str] | None, Query(description="Metric name (repeatable); default: all available.")
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
    customer_definition: Annotated[Literal["activity", "contractual"] | None, Query()] = None,
    active_window: Annotated[
        str | None, Query(max_length=20, description="Activity window, e.g. 90d.")
    ] = None,
    churn_basis: Annotated[Literal["start", "end"] | None, Query()] = None,
    compare: Annotated[Literal["previous", "year"] | None, Query()] = None,
) -> Response:
    """Exactly the JSON records of ``retentionkit metrics --format json`` for the same
    arguments: one per metric, period and segment with value, components and health."""
    from retentionkit.cli._common import dump_json
    from retentionkit.cli.metrics_cmd import records

    kwargs = metric_kwargs(
        metric,
        period,
        from_,
        to,
        last,
        segment,
        customer_definition,
        active_window,
        churn_basis,
        compare,
    )
    frame = svc.metrics(**kwargs)
    return Response(dump_json(records(frame)), media_type="application/json")
