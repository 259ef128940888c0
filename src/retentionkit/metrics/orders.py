"""Order-based components per period and segment: orders, buyers, amounts, repeat buyers,
returns, time to second purchase, time between purchases, processing time.

Conventions (SPEC §4 defaults): buyers = customers with an order in the period;
repeat buyers = buyers whose second-ever order was placed before the period end;
time_to_second_purchase over customers whose second order is in the period;
time_between_purchases over consecutive pairs whose later order is in the period;
order_processing_time over orders delivered in the period. Durations in days.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from retentionkit.metrics.customers import repeat_flag
from retentionkit.metrics.family import Frames, Plan, merge, only
from retentionkit.metrics.query import MetricQuery

if TYPE_CHECKING:  # pragma: no cover
    import ibis.expr.types as ir

MICROSECONDS_PER_DAY = 86_400_000_000

#: The returns components (empty without a returns table).
RETURN_COLUMNS = ["returns", "returned_amount", "returned_quantity", "returns_with_quantity"]


def _days_between(later: ir.TimestampValue, earlier: ir.TimestampValue) -> ir.NumericValue:
    """Exact days between two timestamps: an integer count of microseconds, divided once
    (``epoch_seconds`` truncates to whole seconds on Spark, so it is not used)."""
    return later.delta(earlier, unit="microsecond") / MICROSECONDS_PER_DAY


def _until_report_end(q: MetricQuery) -> ir.Table:
    """Orders before the end of the reported range: the whole history a window needs (first
    orders, earlier orders) and nothing after, so the range filter runs before any window."""
    import ibis

    orders = q.ws.table("orders")
    hi = ibis.literal(q.grid.last.to_pydatetime(), type="timestamp")
    return orders.filter(orders.ordered_at < hi)


def orders_plan(q: MetricQuery) -> Plan:
    """orders, buyers, order_amount, orders_without_amount, repeat_buyers per period and
    segment (the sold quantity of the return rate is :func:`sold_plan`'s).

    One pass: orders grouped per customer and period; a buyer is a repeat buyer when the
    running count of their orders up to that period is ≥ 2, i.e. their second-ever order was
    placed before the period end (:func:`~retentionkit.metrics.customers.repeat_flag`)."""
    import ibis

    o = _until_report_end(q)
    o = o.mutate(period_start=q.period_of(o.ordered_at))
    per = o.group_by(["customer_id", "period_start"]).agg(
        n=o.count(),
        amount=o.amount.sum(),
        with_amount=o.amount.count(),
    )
    previous = per.period_start.lag().over(
        ibis.window(group_by="customer_id", order_by="period_start")
    )
    per = per.mutate(repeat=repeat_flag(previous, per.n))
    lo = ibis.literal(q.grid.first.to_pydatetime(), type="timestamp")
    per = q.with_segment(per.filter(per.period_start >= lo))
    agg = per.group_by(["period_start", "segment"]).agg(
        orders=per.n.sum(),
        buyers=per.count(),
        order_amount=per.amount.sum().cast("float64"),
        orders_without_amount=(per.n - per.with_amount).sum(),
        repeat_buyers=per.repeat.sum(),
    )
    return only(agg, _orders_finish)


def _orders_finish(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["repeat_buyers"] = frame["repeat_buyers"].fillna(0).astype("int64")
    frame["orders_without_amount"] = frame["orders_without_amount"].fillna(0).astype("int64")
    return frame


def sold_plan(q: MetricQuery) -> Plan:
    """sold_quantity and orders_with_quantity per period (by order date) and segment, for the
    return rate only: a plain group-by of the orders in range, so the passes that group
    orders per customer (and window over them) carry no quantity when no return rate is
    asked for."""
    o = q.ws.table("orders")
    o = q.with_segment(o.filter(q.in_range(o.ordered_at)))
    agg = o.group_by([q.period_of(o.ordered_at).name("period_start"), "segment"]).agg(
        sold_quantity=o.quantity.sum().cast("float64"),
        orders_with_quantity=o.quantity.count(),
    )
    return only(agg)


def returns_plan(q: MetricQuery) -> Plan:
    """returned_amount and returned_quantity per period (by return date) and segment; no
    rows without a returns table."""
    if not q.ws.has_table("returns"):
        empty = pd.DataFrame(columns=["period_start", "segment", *RETURN_COLUMNS])
        return Plan(finish=lambda got: empty)
    r = q.ws.table("returns")
    r = r.filter(q.in_range(r.returned_at))
    r = q.with_segment(r.mutate(period_start=q.period_of(r.returned_at)))
    agg = r.group_by(["period_start", "segment"]).agg(
        returns=r.count(),
        returned_amount=r.amount.sum().cast("float64"),
        returned_quantity=r.quantity.sum().cast("float64"),
        returns_with_quantity=r.quantity.count(),
    )
    return only(agg)


def revenue_plan(q: MetricQuery) -> Plan:
    """Order amounts and returned amounts, out of the order and returns components."""
    return Plan(uses=("orders", "returns"), finish=revenue_components)


def revenue_components(got: Frames) -> pd.DataFrame:
    """orders, order_amount and returned_amount per period and segment."""
    base = got["orders"][
        ["period_start", "segment", "orders", "order_amount", "orders_without_amount"]
    ]
    frame = merge(base, got["returns"][["period_start", "segment", "returned_amount"]])
    frame["returned_amount"] = frame["returned_amount"].fillna(0.0)
    frame["order_amount"] = frame["order_amount"].fillna(0.0)
    frame["orders"] = frame["orders"].fillna(0).astype("int64")
    frame["orders_without_amount"] = frame["orders_without_amount"].fillna(0).astype("int64")
    return frame


def return_rate_plan(q: MetricQuery) -> Plan:
    """Returned / sold, out of the order, sold and returns components."""
    return Plan(uses=("orders", "sold", "returns"), finish=return_rate_components)


def return_rate_components(got: Frames) -> pd.DataFrame:
    """Returned / sold by quantity; by amount when quantities are missing (``basis`` says)."""
    base = got["orders"]
    sold = merge(
        base[["period_start", "segment", "orders"]].assign(sold_amount=base["order_amount"]),
        got["sold"],
    )
    frame = merge(sold, got["returns"])
    for col in RETURN_COLUMNS:
        frame[col] = frame[col].astype("float64").fillna(0.0)
    for col in ("sold_quantity", "sold_amount", "orders_with_quantity", "orders"):
        frame[col] = frame[col].fillna(0.0)
    by_quantity = (frame["orders_with_quantity"] == frame["orders"]) & (
        frame["returns_with_quantity"] == frame["returns"]
    )
    frame["basis"] = by_quantity.map({True: "quantity", False: "amount"})
    frame["returned"] = frame["returned_quantity"].where(by_quantity, frame["returned_amount"])
    frame["sold"] = frame["sold_quantity"].where(by_quantity, frame["sold_amount"])
    return frame[["period_start", "segment", "returned", "sold", "basis"]]


def pairs_plan(q: MetricQuery) -> Plan:
    """Consecutive orders of each customer, in one window: over pairs whose later order is in
    the period, ``pairs`` with their median and mean days (time between purchases), and over
    the customers whose second order is in the period, ``customers`` with the median and mean
    days from the first to the second order (time to second purchase)."""
    import ibis

    o = _until_report_end(q)
    w = ibis.window(group_by="customer_id", order_by=[o.ordered_at, o.order_id])
    o = o.mutate(previous_at=o.ordered_at.lag().over(w), rn=ibis.row_number().over(w))
    pairs = o.filter(o.previous_at.notnull() & q.in_range(o.ordered_at))
    days = _days_between(pairs.ordered_at, pairs.previous_at)
    second = pairs.rn == 1  # row_number counts from 0: the customer's second order
    pairs = q.with_segment(
        pairs.mutate(
            period_start=q.period_of(pairs.ordered_at),
            days=days,
            second=second.cast("int64"),
            # null unless the second order: median/mean skip nulls (Ibis's median(where=…)
            # does not compile on Spark: percentile's percentage becomes non-constant)
            second_days=ibis.ifelse(second, days, ibis.null("float64")),
        )
    )
    agg = pairs.group_by(["period_start", "segment"]).agg(
        pairs=pairs.count(),
        median_days=pairs.days.median(),
        mean_days=pairs.days.mean(),
        customers=pairs.second.sum(),
        second_median_days=pairs.second_days.median(),
        second_mean_days=pairs.second_days.mean(),
    )
    return only(agg, _pairs_finish)


def _pairs_finish(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["customers"] = frame["customers"].fillna(0).astype("int64")
    return frame


def second_purchase_plan(q: MetricQuery) -> Plan:
    """Days from first to second order, over customers whose second order is in the period."""
    return Plan(uses=("pairs",), finish=lambda got: second_purchase_components(got["pairs"]))


def second_purchase_components(pairs: pd.DataFrame) -> pd.DataFrame:
    """The second-order columns of the pair components, renamed."""
    frame = pairs[pairs["customers"] > 0]
    return frame[
        ["period_start", "segment", "customers", "second_median_days", "second_mean_days"]
    ].rename(columns={"second_median_days": "median_days", "second_mean_days": "mean_days"})


def gaps_plan(q: MetricQuery) -> Plan:
    """Days between consecutive orders, over pairs whose later order is in the period."""
    cols = ["period_start", "segment", "pairs", "median_days", "mean_days"]
    return Plan(uses=("pairs",), finish=lambda got: got["pairs"][cols])


def processing_plan(q: MetricQuery) -> Plan:
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
    return only(agg)
