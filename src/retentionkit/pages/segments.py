"""The segments page: customers, revenue and KPIs per segment of a scheme."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from retentionkit.pages import charts
from retentionkit.pages.common import (
    Filters,
    currency_of,
    fmt_value,
    money_column,
    segment_options,
)
from retentionkit.service.requests import SegmentRequest

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.web.service import WorkspaceService


SEGMENT_SCHEMES = ("rfm", "rfm_score", "clv_tier")


def build(svc: WorkspaceService, f: Filters) -> dict[str, Any]:
    scheme = f.segment or "rfm"
    frame = svc.request(SegmentRequest(scheme)).frame
    currency = currency_of(svc)
    labels = frame["segment"].astype(str).tolist()
    figures = [
        charts.bars(
            f"Customers and revenue by {scheme} segment (% of total)",
            labels,
            {
                "Customers": frame["share"].tolist(),
                "Revenue": frame["revenue_share"].tolist(),
            },
            stacked=False,
            horizontal=True,
            height=max(260, 40 * len(labels) + 90),
        )
    ]
    rows = []
    records = frame.to_dict("records")
    revenue = money_column([rec.get("revenue") for rec in records])
    aov = money_column([rec.get("average_order_value") for rec in records])
    for i, rec in enumerate(records):
        rows.append(
            {
                "segment": rec["segment"],
                "customers": fmt_value(rec.get("customers"), "count"),
                "share": fmt_value(rec.get("share"), "%"),
                "revenue": revenue[i],
                "revenue_share": fmt_value(rec.get("revenue_share"), "%"),
                "orders": fmt_value(rec.get("orders_per_customer"), "ratio"),
                "aov": aov[i],
                "recency": fmt_value(rec.get("days_since_last_order"), "ratio"),
            }
        )
    options = list(SEGMENT_SCHEMES) + [o for o in segment_options(svc) if o not in SEGMENT_SCHEMES]
    return {
        "figures": figures,
        "rows": rows,
        "scheme": scheme,
        "segment": scheme,
        "segment_options": options,
        "currency": currency,
    }
