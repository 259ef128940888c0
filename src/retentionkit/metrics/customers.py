"""Customer counts per period (SPEC §3): S, E, N (new + reactivated), retained, lost.

For a period [t0, t1): S = customers at t0, E = customers at t1, N = E \\ S, retained = E − N,
L = S − retained, so S − L + N = E holds exactly, per period and segment.

* activity: a customer at t bought in [t − W, t); W defaults to the reporting period, i.e. the
  customers at a period's end are the buyers of that period;
* contractual: a customer at t has a term running at t (started_at ≤ t < ended_at or no end).

"new" splits N by first-ever activity: a customer of N whose first order lies in [t0, t1)
(contractual: whose first term started in (t0, t1], the instants at which they are first
counted); the rest of N is "reactivated". ``acquired`` counts customers whose first order
(or first term) falls in [t0, t1) — the acquisition count used by new_customers and CAC, which
also counts customers who joined and left inside one short window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from retentionkit.metrics.family import CUSTOMER_SOURCE, Plan, only, resolve_tables
from retentionkit.metrics.periods import PeriodGrid
from retentionkit.metrics.query import MetricQuery

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Sequence

    import ibis.expr.types as ir

#: The customer components (SPEC §3) every customer frame holds.
CUSTOMER_COLUMNS = ("start", "end", "new", "reactivated", "retained", "lost", "acquired")


def membership(q: MetricQuery) -> ir.Table:
    """Ibis table (customer_id, t): who is a customer at each boundary instant t."""
    import ibis

    if q.customer_definition == "contractual":
        subs = q.ws.table("subscriptions")
        b = q.boundaries()
        joined = subs.join(
            b,
            [subs.started_at <= b.t, subs.ended_at.isnull() | (subs.ended_at > b.t)],
        )
        return joined.select(customer_id=joined.customer_id, t=joined.t).distinct()
    orders = q.ws.table("orders")
    if q.window_days is None:
        # the window before t is exactly the reporting period ending at t
        grid = q.grid.extended(1)
        frame = grid.frame()
        periods = ibis.memtable(frame)
        lo = ibis.literal(grid.first.to_pydatetime(), type="timestamp")
        hi = ibis.literal(grid.last.to_pydatetime(), type="timestamp")
        o = orders.filter((orders.ordered_at >= lo) & (orders.ordered_at < hi))
        per = o.select(customer_id=o.customer_id, p=q.period_of(o.ordered_at)).distinct()
        joined = per.join(periods, per.p == periods.period_start)
        return joined.select(customer_id=joined.customer_id, t=joined.period_end)
    b = q.boundaries()
    joined = orders.join(b, [orders.ordered_at >= b.window_start, orders.ordered_at < b.t])
    return joined.select(customer_id=joined.customer_id, t=joined.t).distinct()


def first_activity(q: MetricQuery) -> ir.Table:
    """Ibis table (customer_id, first_at): first order, or first term start."""
    if q.customer_definition == "contractual":
        subs = q.ws.table("subscriptions")
        return subs.group_by("customer_id").agg(first_at=subs.started_at.min())
    orders = q.ws.table("orders")
    return orders.group_by("customer_id").agg(first_at=orders.ordered_at.min())


def customer_flags(q: MetricQuery) -> ir.Table:
    """Ibis table (customer_id, period_start, period_end, in_s, in_e, is_new): one row per
    customer present at the start or end of a reported period."""
    import ibis

    members = membership(q)
    p = q.periods
    at_end = members.join(p, members.t == p.period_end).select(
        "customer_id", "period_start", s=ibis.literal(0), e=ibis.literal(1)
    )
    at_start = members.join(p, members.t == p.period_start).select(
        "customer_id", "period_start", s=ibis.literal(1), e=ibis.literal(0)
    )
    both = at_end.union(at_start)
    flags = both.group_by(["customer_id", "period_start"]).agg(in_s=both.s.max(), in_e=both.e.max())
    first = first_activity(q)
    j = flags.join(first, "customer_id").join(p, "period_start")
    if q.customer_definition == "contractual":
        is_new = (j.first_at > j.period_start) & (j.first_at <= j.period_end)
    else:
        is_new = (j.first_at >= j.period_start) & (j.first_at < j.period_end)
    return j.select("customer_id", "period_start", "in_s", "in_e", is_new=is_new.cast("int64"))


def repeat_flag(previous: ir.TimestampValue, n: ir.IntegerValue) -> ir.IntegerValue:
    """1 when the customer's running order count is ≥ 2 by this period's end (their
    second-ever order is placed), else 0, for one row per customer and period with an order:
    every row holds ≥ 1 order, so the count is ≥ 2 exactly when an earlier period has an
    order (``previous``, the lag of the period, is not null) or this one has two — no running
    sum (a window that DuckDB sums as HUGEINT, ~10 % of the customer pass)."""
    import ibis

    return cast("ir.IntegerValue", (previous.notnull() | (n >= ibis.literal(2))).cast("int64"))


def _activity_period_plan(q: MetricQuery) -> Plan:
    """S, E, N … for activity customers whose window is the reporting period (the default): the
    customers at a period's end are its buyers, at its start the buyers of the period
    before. One query: the distinct (customer, period) pairs of the orders up to the report
    end, with one window per customer giving the previous period with an order and the
    first one (whether the customer has two orders by then follows, :func:`repeat_flag`).
    Per period and segment: E = buyers, retained = buyers who also bought in the period
    before, new = buyers whose first order is in the period (= acquired); then S is E of
    the period before, lost = S − retained, N = E − retained.

    The same pass gives the order components (orders, order_amount, orders_without_amount,
    repeat_buyers; see :func:`order_columns`), so a report of customer and order KPIs
    groups the orders per customer and period once."""
    import ibis

    from retentionkit.metrics.periods import shift

    grid = q.grid.extended(1)
    orders = q.ws.table("orders")
    hi = ibis.literal(grid.last.to_pydatetime(), type="timestamp")
    o = orders.filter(orders.ordered_at < hi)
    o = o.mutate(p=q.period_of(o.ordered_at))
    per = o.group_by(["customer_id", "p"]).agg(
        n=o.count(),
        amount=o.amount.sum(),
        with_amount=o.amount.count(),
    )
    w = ibis.window(group_by="customer_id", order_by="p")
    per = per.mutate(previous_p=per.p.lag().over(w), first_p=per.p.min().over(w))
    per = per.mutate(repeat=repeat_flag(per.previous_p, per.n))
    frame = grid.frame()[["period_start"]]
    frame["previous_start"] = pd.to_datetime(
        [shift(t, grid.period, -1) for t in grid.starts]
    ).astype("datetime64[us]")
    periods = ibis.memtable(frame)
    per = q.with_segment(per)
    j = per.join(periods, per.p == periods.period_start)
    agg = j.group_by(["period_start", "segment"]).agg(
        end=j.count(),
        retained=(j.previous_p == j.previous_start).fill_null(False).cast("int64").sum(),
        new=(j.first_p == j.period_start).fill_null(False).cast("int64").sum(),
        orders=j.n.sum(),
        order_amount=j.amount.sum().cast("float64"),
        orders_without_amount=(j.n - j.with_amount).sum(),
        repeat_buyers=j.repeat.sum(),
    )
    return only(agg, lambda got: _activity_period_finish(q, grid, got))


def _activity_period_finish(q: MetricQuery, grid: PeriodGrid, got: pd.DataFrame) -> pd.DataFrame:
    """S (E of the period before), lost and N out of the per-period buyer counts."""
    got = got.copy()
    got["period_start"] = pd.to_datetime(got["period_start"]).astype("datetime64[us]")
    reported = pd.to_datetime(list(q.grid.starts)).astype("datetime64[us]")
    before = pd.to_datetime(list(grid.starts[:-1])).astype("datetime64[us]")
    segments = sorted(got["segment"].dropna().unique().tolist())
    index = pd.MultiIndex.from_product([reported, segments], names=["period_start", "segment"])
    by_key = got.set_index(["period_start", "segment"])
    counts = [
        "end",
        "retained",
        "new",
        "orders",
        "repeat_buyers",
        "orders_without_amount",
    ]
    cur = by_key.reindex(index)
    cur[counts] = cur[counts].fillna(0).astype("int64")
    prev_index = pd.MultiIndex.from_product([before, segments])
    start = by_key["end"].reindex(prev_index).fillna(0).astype("int64").to_numpy()
    out = pd.DataFrame(
        {
            "start": start,
            "end": cur["end"].to_numpy(),
            "new": cur["new"].to_numpy(),
            "retained": cur["retained"].to_numpy(),
            "lost": start - cur["retained"].to_numpy(),
            "acquired": cur["new"].to_numpy(),
            "orders": cur["orders"].to_numpy(),
            "buyers": cur["end"].to_numpy(),
            "order_amount": cur["order_amount"].to_numpy(),
            "orders_without_amount": cur["orders_without_amount"].to_numpy(),
            "repeat_buyers": cur["repeat_buyers"].to_numpy(),
        },
        index=index,
    ).reset_index()
    out["reactivated"] = out["end"] - out["retained"] - out["new"]
    return out


#: Columns of the order components (metrics.orders.order_components).
ORDER_COLUMNS = [
    "period_start",
    "segment",
    "orders",
    "buyers",
    "order_amount",
    "orders_without_amount",
    "repeat_buyers",
]


def shares_order_pass(q: MetricQuery) -> bool:
    """Whether the customer components carry the order components (activity customers with
    the reporting period as window)."""
    return q.customer_definition == "activity" and q.window_days is None


def order_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """The order components out of the customer components of :func:`shares_order_pass`
    requests: the periods and segments with buyers, like ``order_components``."""
    part = frame.loc[frame["buyers"] > 0, ORDER_COLUMNS]
    return part.reset_index(drop=True)


def customers_plan(q: MetricQuery) -> Plan:
    """S, E, new, reactivated, retained, lost, acquired per period and segment."""
    if shares_order_pass(q):
        return _activity_period_plan(q)
    flags = q.with_segment(customer_flags(q))
    n_flag = (flags.in_e == 1) & (flags.in_s == 0)
    counts = flags.group_by(["period_start", "segment"]).agg(
        start=flags.in_s.sum(),
        end=flags.in_e.sum(),
        new_and_reactivated=n_flag.cast("int64").sum(),
        new=(n_flag & (flags.is_new == 1)).cast("int64").sum(),
        retained=((flags.in_s == 1) & (flags.in_e == 1)).cast("int64").sum(),
        lost=((flags.in_s == 1) & (flags.in_e == 0)).cast("int64").sum(),
    )
    first = q.with_segment(first_activity(q))
    first = first.filter(q.in_range(first.first_at))
    acquired = first.group_by([q.period_of(first.first_at).name("period_start"), "segment"]).agg(
        acquired=first.count()
    )
    out = counts.outer_join(acquired, ["period_start", "segment"])
    out = out.select(
        period_start=out.period_start.coalesce(out.period_start_right),
        segment=out.segment.coalesce(out.segment_right),
        start=out.start,
        end=out.end,
        new_and_reactivated=out.new_and_reactivated,
        new=out.new,
        retained=out.retained,
        lost=out.lost,
        acquired=out.acquired,
    )
    return only(out, _counts_finish)


def _counts_finish(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for col in ("start", "end", "new_and_reactivated", "new", "retained", "lost", "acquired"):
        frame[col] = frame[col].fillna(0).astype("int64")
    frame["reactivated"] = frame["new_and_reactivated"] - frame["new"]
    return frame.drop(columns="new_and_reactivated")


def lifespan_grid(q: MetricQuery) -> PeriodGrid:
    """The months whose customer counts the lifespan needs: 6 before the report to its end."""
    from retentionkit.metrics.periods import make_grid, shift

    return make_grid("month", shift(q.grid.first, "month", -6), q.grid.last)


def monthly_customers_plan(q: MetricQuery) -> Plan:
    """Customer components over :func:`lifespan_grid` (one query)."""
    return customers_plan(q.with_grid(lifespan_grid(q)))


def report_customers_plan(q: MetricQuery) -> Plan:
    """The customer components of the report: a monthly report cuts them out of the monthly
    components the lifespan needs anyway (one query for both), other periods query them."""
    if q.period != "month":
        return customers_plan(q)
    return Plan(
        uses=("monthly_customers",), finish=lambda got: report_rows(q, got["monthly_customers"])
    )


def report_rows(q: MetricQuery, monthly: pd.DataFrame) -> pd.DataFrame:
    """The customer components of a monthly report cut out of the monthly customer
    components (which cover its months and 6 more): its periods, and the period/segment rows
    with any customer, as :func:`customers_plan` gives them."""
    starts = pd.to_datetime(list(q.grid.starts)).astype("datetime64[us]")
    part = monthly[pd.to_datetime(monthly["period_start"]).astype("datetime64[us]").isin(starts)]
    counts = ["start", "end", "acquired"]
    return part[(part[counts] != 0).any(axis=1)].reset_index(drop=True)


def lifespan_plan(q: MetricQuery) -> Plan:
    """The lifespan components out of the monthly customer components (no query of its
    own)."""
    return Plan(
        uses=("monthly_customers",),
        finish=lambda got: lifespan_components(q, got["monthly_customers"]),
    )


def orders_from_customers_plan(q: MetricQuery) -> Plan:
    """The order components out of the customer pass (see :func:`shares_order_pass`)."""
    return Plan(uses=("customers",), finish=lambda got: order_columns(got["customers"]))


def trailing_months(q: MetricQuery, ends: Sequence[pd.Timestamp]) -> tuple[Any, Any]:
    """[first, last) per period end (two ``datetime64[us]`` arrays): the 6 whole calendar
    months that end at or before the period end *and* that the data of the customer table
    cover (completeness rule), so a period reaching past the data (CDNOW's 1998) never
    averages months without data. Computed for every end at once (month arithmetic on
    ``datetime64[M]``): a 300-year grid has 3,600 of them."""
    import numpy as np

    from retentionkit.metrics.completeness import last_complete_month_end

    last = pd.to_datetime(list(ends)).to_numpy().astype("datetime64[M]")
    table = resolve_tables((CUSTOMER_SOURCE,), q.customer_definition)[0]
    if table in q.extents:
        cap = np.datetime64(last_complete_month_end(q.extents[table]).to_datetime64(), "M")
        last = np.minimum(last, cap)
    return (last - 6).astype("datetime64[us]"), last.astype("datetime64[us]")


def lifespan_components(q: MetricQuery, monthly: pd.DataFrame) -> pd.DataFrame:
    """Mean monthly churn rate over the 6 whole calendar months before each period end
    (ChartMogul's lifespan convention, :func:`trailing_months`), from the same customer
    counts at month grain. A week or day ending mid-month uses the 6 months before that
    month: never a month that is not over yet at the period end, nor one past the data."""
    from retentionkit.metrics import formulas

    monthly = monthly.assign(
        churn=formulas.churn_rate(monthly["lost"], monthly["start"], monthly["end"], q.churn_basis)
    )
    return trailing_means(q, monthly, {"mean_monthly_churn_rate": "churn"}, "months")


def trailing_means(
    q: MetricQuery, monthly: pd.DataFrame, means: dict[str, str], count: str | None
) -> pd.DataFrame:
    """Per reported period and segment, the mean of each monthly column ``means[name]`` over
    :func:`trailing_months` (``count``: the number of months averaged). Each segment's months
    are sorted once and every window found by binary search (no table scan per period)."""
    import numpy as np

    firsts, lasts = trailing_months(q, q.grid.ends)
    rows = []
    monthly = monthly.assign(period_start=pd.to_datetime(monthly["period_start"]))
    for seg, part in monthly.groupby("segment"):
        starts = part["period_start"].to_numpy(dtype="datetime64[us]")
        order = np.argsort(starts, kind="stable")
        starts = starts[order]
        lo = np.searchsorted(starts, firsts, side="left")  # first month >= first
        hi = np.searchsorted(starts, lasts, side="left")  # first month >= last
        values = {
            name: pd.to_numeric(part[column], errors="coerce").to_numpy(
                dtype=float, na_value=np.nan
            )[order]
            for name, column in means.items()
        }
        for i, start in enumerate(q.grid.starts):
            row: dict[str, Any] = {"period_start": start, "segment": seg}
            n = int(hi[i] - lo[i])
            for name, column_values in values.items():
                window = column_values[lo[i] : hi[i]]
                valid = window[~np.isnan(window)]
                row[name] = float(valid.mean()) if len(valid) else float("nan")
                n = len(valid)
            if count:
                row[count] = n
            rows.append(row)
    columns = ["period_start", "segment", *means, *([count] if count else [])]
    return pd.DataFrame(rows, columns=columns)
