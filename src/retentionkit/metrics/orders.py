"""Order-based components per period and segment: orders, buyers, amounts, repeat buyers,
returns, time to second purchase, time between purchases, processing time.

Conventions (SPEC §4 defaults): buyers = customers with an order in the period;
repeat buyers = buyers whose second-ever order was placed before the period end;
time_to_second_purchase over customers whose second order is in the period;
time_between_purchases over consecutive pairs whose later order is in the period;
order_processing_time over orders delivered in the period. Durations in days.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from retentionkit.metrics.query import MetricQuery

SECONDS_PER_DAY = 86400.0
MICROSECONDS_PER_DAY = 86_400_000_000


def _days_between(later: Any, earlier: Any) -> Any:
    """Exact days between two timestamps: an integer count of microseconds, divided once
    (``epoch_seconds`` truncates to whole seconds on Spark, so it is not used)."""
    return later.delta(earlier, unit="microsecond") / MICROSECONDS_PER_DAY


def _merge(frames: list[pd.DataFrame]) -> pd.DataFrame:
    out = None
    for frame in frames:
        if frame is None:
            continue
        out = (
            frame if out is None else out.merge(frame, on=["period_start", "segment"], how="outer")
        )
    return out if out is not None else pd.DataFrame(columns=["period_start", "segment"])


def order_components(q: MetricQuery) -> pd.DataFrame:
    """orders, buyers, order_amount, repeat_buyers per period and segment."""
    import ibis

    orders = q.ws.table("orders")
    ranked = orders.mutate(
        rn=ibis.row_number().over(
            group_by="customer_id", order_by=[orders.ordered_at, orders.order_id]
        )
    )
    second = ranked.filter(ranked.rn == 1).select(
        second_customer=ranked.customer_id, second_at=ranked.ordered_at
    )
    in_range = orders.filter(q.in_range(orders.ordered_at))
    joined = in_range.left_join(second, in_range.customer_id == second.second_customer)
    ranked = joined.select(*in_range.columns, "second_at")
    o = ranked.filter(q.in_range(ranked.ordered_at))
    o = q.with_segment(o.mutate(period_start=q.period_of(o.ordered_at)))
    p = q.periods
    o = o.join(p, "period_start")
    per_buyer = o.group_by(["period_start", "segment", "customer_id"]).agg(
        n=o.count(),
        amount=o.amount.sum(),
        repeat=(o.second_at.notnull() & (o.second_at < o.period_end)).max(),
    )
    agg = per_buyer.group_by(["period_start", "segment"]).agg(
        orders=per_buyer.n.sum(),
        buyers=per_buyer.count(),
        order_amount=per_buyer.amount.sum().cast("float64"),
        repeat_buyers=per_buyer.repeat.cast("int64").sum(),
    )
    frame = q.run(agg)
    return frame


def returns_components(q: MetricQuery) -> pd.DataFrame | None:
    """returned_amount and returned_quantity per period (by return date) and segment."""
    if not q.ws.has_table("returns"):
        return None
    r = q.ws.table("returns")
    r = r.filter(q.in_range(r.returned_at))
    r = q.with_segment(r.mutate(period_start=q.period_of(r.returned_at)))
    agg = r.group_by(["period_start", "segment"]).agg(
        returns=r.count(),
        returned_amount=r.amount.sum().cast("float64"),
        returned_quantity=r.quantity.sum().cast("float64"),
        returns_with_quantity=r.quantity.count(),
    )
    return q.run(agg)


def sold_quantity_components(q: MetricQuery) -> pd.DataFrame:
    orders = q.ws.table("orders")
    o = orders.filter(q.in_range(orders.ordered_at))
    o = q.with_segment(o.mutate(period_start=q.period_of(o.ordered_at)))
    agg = o.group_by(["period_start", "segment"]).agg(
        sold_quantity=o.quantity.sum().cast("float64"),
        orders_with_quantity=o.quantity.count(),
        sold_amount=o.amount.sum().cast("float64"),
        orders=o.count(),
    )
    return q.run(agg)


def revenue_components(q: MetricQuery) -> pd.DataFrame:
    base = order_components(q)[["period_start", "segment", "orders", "order_amount"]]
    ret = returns_components(q)
    frame = _merge(
        [base, ret[["period_start", "segment", "returned_amount"]] if ret is not None else None]
    )
    if "returned_amount" not in frame:
        frame["returned_amount"] = 0.0
    frame["returned_amount"] = frame["returned_amount"].fillna(0.0)
    frame["order_amount"] = frame["order_amount"].fillna(0.0)
    frame["orders"] = frame["orders"].fillna(0).astype("int64")
    return frame


def return_rate_components(q: MetricQuery) -> pd.DataFrame:
    """Returned / sold by quantity; by amount when quantities are missing (``basis`` says)."""
    sold = sold_quantity_components(q)
    ret = returns_components(q)
    frame = _merge([sold, ret])
    for col in ("returned_quantity", "returned_amount", "returns", "returns_with_quantity"):
        if col not in frame:
            frame[col] = 0.0
        frame[col] = frame[col].fillna(0.0)
    for col in ("sold_quantity", "sold_amount", "orders_with_quantity", "orders"):
        frame[col] = frame[col].fillna(0.0)
    by_quantity = (frame["orders_with_quantity"] == frame["orders"]) & (
        frame["returns_with_quantity"] == frame["returns"]
    )
    frame["basis"] = by_quantity.map({True: "quantity", False: "amount"})
    frame["returned"] = frame["returned_quantity"].where(by_quantity, frame["returned_amount"])
    frame["sold"] = frame["sold_quantity"].where(by_quantity, frame["sold_amount"])
    return frame[["period_start", "segment", "returned", "sold", "basis"]]


def second_purchase_components(q: MetricQuery) -> pd.DataFrame:
    """Days from first to second order, over customers whose second order is in the period."""
    import ibis

    orders = q.ws.table("orders")
    ranked = orders.mutate(
        rn=ibis.row_number().over(
            group_by="customer_id", order_by=[orders.ordered_at, orders.order_id]
        )
    )
    two = ranked.filter(ranked.rn <= 1)
    pairs = two.group_by("customer_id").agg(
        first_at=two.ordered_at.min(), second_at=two.ordered_at.max(), n=two.count()
    )
    pairs = pairs.filter((pairs.n == 2) & q.in_range(pairs.second_at))
    pairs = q.with_segment(
        pairs.mutate(
            period_start=q.period_of(pairs.second_at),
            days=_days_between(pairs.second_at, pairs.first_at),
        )
    )
    agg = pairs.group_by(["period_start", "segment"]).agg(
        customers=pairs.count(), median_days=pairs.days.median(), mean_days=pairs.days.mean()
    )
    return q.run(agg)


def gap_components(q: MetricQuery) -> pd.DataFrame:
    """Days between consecutive orders, over pairs whose later order is in the period."""
    orders = q.ws.table("orders")
    lagged = orders.mutate(
        previous_at=orders.ordered_at.lag().over(
            group_by="customer_id", order_by=[orders.ordered_at, orders.order_id]
        )
    )
    pairs = lagged.filter(lagged.previous_at.notnull() & q.in_range(lagged.ordered_at))
    pairs = q.with_segment(
        pairs.mutate(
            period_start=q.period_of(pairs.ordered_at),
            days=_days_between(pairs.ordered_at, pairs.previous_at),
        )
    )
    agg = pairs.group_by(["period_start", "segment"]).agg(
        pairs=pairs.count(), median_days=pairs.days.median(), mean_days=pairs.days.mean()
    )
    return q.run(agg)


def processing_components(q: MetricQuery) -> pd.DataFrame:
    """Days from ordered_at to delivered_at over orders delivered in the period."""
    orders = q.ws.table("orders")
    d = orders.filter(orders.delivered_at.notnull() & q.in_range(orders.delivered_at))
    d = q.with_segment(
        d.mutate(
            period_start=q.period_of(d.delivered_at),
            days=_days_between(d.delivered_at, d.ordered_at),
        )
    )
    agg = d.group_by(["period_start", "segment"]).agg(
        delivered=d.count(), median_days=d.days.median(), mean_days=d.days.mean()
    )
    return q.run(agg)
