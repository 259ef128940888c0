"""Per-segment summary: who is in each segment, what they bring, how they buy.

The population is the customers with at least one order on or before the as-of day (default:
the day of the last order); amounts are order amounts up to that day. Per segment:

* ``customers`` and ``share`` (% of the customers);
* ``revenue`` and ``revenue_share`` (% of the revenue);
* ``orders_per_customer`` (orders / customers), ``average_order_value`` (revenue / orders) and
  ``days_since_last_order`` (mean over the segment's customers, as of the as-of day).

A scheme is ``rfm`` (named RFM segments, as of the as-of day), ``rfm_score`` (the three
digits), or anything :func:`retentionkit.segments.resolve.segment_table` resolves (a customer
attribute such as ``country``; customers without a value are ``unknown``). One Ibis
expression computes the table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from retentionkit.workspace import Workspace

__all__ = ["SUMMARY_COLUMNS", "segment_customers", "segment_summary", "segment_summary_expr"]

SUMMARY_COLUMNS: tuple[str, ...] = (
    "segment",
    "customers",
    "share",
    "revenue",
    "revenue_share",
    "orders_per_customer",
    "average_order_value",
    "days_since_last_order",
)


def _customers_expr(ws: Workspace, scheme: str, as_of: Any) -> Any:
    """Per customer: customer_id, orders, revenue, recency_days, segment."""
    from retentionkit.metrics.query import UNKNOWN_SEGMENT
    from retentionkit.segments.rfm import customer_stats_expr, rfm_scores_expr

    if scheme in ("rfm", "rfm_score"):
        scored = rfm_scores_expr(ws, as_of)
        return scored.select(
            "customer_id",
            orders=scored.frequency,
            revenue=scored.monetary,
            recency_days=scored.recency_days,
            segment=scored.segment if scheme == "rfm" else scored.rfm_score,
        )
    from retentionkit.segments.resolve import segment_table

    seg = segment_table(ws, scheme)
    stats = customer_stats_expr(ws, as_of)
    joined = stats.left_join(seg, stats.customer_id == seg.customer_id)
    return joined.select(
        stats.customer_id,
        stats.orders,
        stats.revenue,
        stats.recency_days,
        segment=joined.segment.cast("string").fill_null(UNKNOWN_SEGMENT),
    )


def segment_summary_expr(ws: Workspace, scheme: str = "rfm", as_of: Any = None) -> Any:
    """The expression of :func:`segment_summary` (nothing is executed)."""
    from retentionkit.schema.contracts import MONEY_DIGITS

    cust = _customers_expr(ws, scheme, as_of)
    g = cust.group_by("segment").agg(
        customers=cust.count(),
        # the customers' exact revenues added as doubles, rounded back to the amounts' 4
        # decimals: the same bits on every run (schema/contracts.py: MONEY_DIGITS)
        revenue=cust.revenue.sum().round(MONEY_DIGITS),
        orders=cust.orders.sum(),
        days_since_last_order=cust.recency_days.mean(),
    )
    customers = g.customers.cast("float64")
    return g.select(
        "segment",
        customers=g.customers.cast("int64"),
        share=customers / customers.sum().over() * 100.0,
        revenue=g.revenue,
        revenue_share=g.revenue / g.revenue.sum().over().round(MONEY_DIGITS) * 100.0,
        orders_per_customer=g.orders.cast("float64") / customers,
        average_order_value=g.revenue / g.orders.cast("float64"),
        days_since_last_order=g.days_since_last_order,
    )


def segment_summary(ws: Workspace, scheme: str = "rfm", as_of: Any = None) -> pd.DataFrame:
    """One row per segment with :data:`SUMMARY_COLUMNS`; RFM segments in grid order (best
    first), other schemes by revenue (largest first)."""
    from retentionkit.errors import ConfigError
    from retentionkit.segments.rfm import RFM_SEGMENTS

    frame = segment_summary_expr(ws, scheme, as_of).execute()
    if frame.empty:
        raise ConfigError(
            f"No customer has an order on or before {as_of}; choose a later --as-of."
            if as_of is not None
            else "The orders table is empty; ingest orders first."
        )
    if scheme == "rfm":
        rank = {name: i for i, name in enumerate(RFM_SEGMENTS)}
        frame = frame.sort_values("segment", key=lambda s: s.map(rank))
    elif scheme == "rfm_score":
        frame = frame.sort_values("segment", ascending=False)
    else:
        frame = frame.sort_values(["revenue", "segment"], ascending=[False, True])
    return frame.reset_index(drop=True)[list(SUMMARY_COLUMNS)]


def segment_customers(ws: Workspace, scheme: str = "rfm", as_of: Any = None) -> pd.DataFrame:
    """Each customer's segment: the full RFM score table for ``rfm``/``rfm_score``,
    otherwise ``customer_id, orders, revenue, recency_days, segment``."""
    if scheme in ("rfm", "rfm_score"):
        from retentionkit.segments.rfm import rfm_scores

        return rfm_scores(ws, as_of)
    frame = _customers_expr(ws, scheme, as_of).order_by("customer_id").execute()
    return frame.reset_index(drop=True)
