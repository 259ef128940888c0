"""Acquisition-cohort tables (SPEC §5) as one Ibis expression.

A customer's **cohort** is the period (ISO week, month or quarter) of their first order —
or, with the *contractual* customer definition, of the start of their first subscription
term. For each cohort and **offset** k (periods since the cohort period; 0 = the cohort period):

* ``customers`` — share of the cohort active in period k, in %: with an order in period k
  (activity), or with a term running at any time in period k (contractual: the term
  [started_at, ended_at) overlaps the period; a running term has no end);
* ``unbounded`` — share of the cohort active in period k *or any later period* up to the data
  end, in % (so it never rises with k and is ≥ ``customers``);
* ``revenue`` — the cohort's revenue in period k / its revenue in period 0 × 100. Revenue is
  the sum of order amounts (activity; returns are not subtracted) or, contractual, the terms'
  MRR pro rata to the time each term runs within the period (``mrr × days / 30.4375``);
* ``cumulative_revenue`` — the cohort's revenue in periods 0 … k divided by the cohort size
  (money per customer).

Only offsets whose period has started before the data end appear (the triangle). The data end
is the last event before ``end`` (``--to``, exclusive; events from then on are ignored): the
last order (activity) or the last term start (contractual; terms scheduled to end later do not
stretch the table into the future). A ``--to`` after the data adds no empty offsets.
``start`` (``--from``) keeps the cohorts whose period contains or follows it. Periods are
computed on the stored UTC timestamps.

Every number is computed by one expression: the customer's periods of activity (with revenue)
→ the customer's first and last period → cohort sizes × the offsets 0 … data end (``range``
+ ``unnest``) → left joins of the activity counts, revenue and last-activity counts, with
window sums for ``unbounded`` and ``cumulative_revenue``. Nothing runs in pandas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from retentionkit.clv.rfm import DAYS_PER_UNIT
from retentionkit.errors import ConfigError, MissingTableError
from retentionkit.service.options import (
    COHORT_KINDS,
    COHORT_PERIODS,
    CUSTOMER_DEFINITIONS,
    check_choice,
)

if TYPE_CHECKING:  # pragma: no cover
    import ibis.expr.types as ir
    import pandas as pd

    from retentionkit.workspace import Workspace

__all__ = ["COHORT_KINDS", "COHORT_PERIODS", "cohort_expr", "cohort_table"]

#: Days per month for pro-rata subscription revenue (the mean Gregorian month).
_MONDAY = (1970, 1, 5)  # the ISO week index counts weeks from this Monday


def check_options(period: str, kind: str, definition: str) -> None:
    check_choice(period, COHORT_PERIODS, "--period")
    check_choice(kind, COHORT_KINDS, "--kind")
    check_choice(definition, CUSTOMER_DEFINITIONS, "--customer-definition")


def period_index(ts: Any, period: str) -> Any:
    """Integer index of the period holding timestamp ``ts`` (consecutive periods differ by 1)."""
    import ibis

    if period == "month":
        return ts.year().cast("int64") * 12 + ts.month().cast("int64") - 1
    if period == "quarter":
        return ts.year().cast("int64") * 4 + ts.quarter().cast("int64") - 1
    monday = ts.truncate("W").cast("date")
    return monday.delta(ibis.date(*_MONDAY), unit="day").cast("int64") // 7


def period_start(idx: Any, period: str) -> Any:
    """First day (a date) of the period with index ``idx``."""
    import ibis

    if period == "month":
        return ibis.date(idx // 12, idx % 12 + 1, 1)
    if period == "quarter":
        return ibis.date(idx // 4, (idx % 4) * 3 + 1, 1)
    return ibis.date(*_MONDAY) + (idx * 7).as_interval("D")


def _resolve_definition(ws: Workspace, definition: str | None) -> str:
    if definition is not None:
        return definition
    chosen = ws.settings.customer_definition
    if chosen == "activity" and not ws.has_table("orders") and ws.has_table("subscriptions"):
        return "contractual"
    return chosen


def _activity(ws: Workspace, period: str, hi: Any) -> tuple[Any, Any]:
    """(customer_id, idx, revenue) per customer and period with an order; the last index."""
    import ibis

    t = ws.table("orders")
    if hi is not None:
        t = t.filter(t.ordered_at < ibis.literal(hi, type="timestamp"))
    # the data end: the last order (before --to); a later --to adds no empty offsets
    end_idx = period_index(t.ordered_at.max().as_scalar(), period)
    # the stored decimal amounts summed exactly, then one rounding to a double (a sum of
    # doubles adds in an order a parallel aggregation changes from run to run)
    acts = (
        t.mutate(idx=period_index(t.ordered_at, period))
        .group_by(["customer_id", "idx"])
        .agg(revenue=lambda x: x.amount.sum().cast("float64"))
    )
    return acts, end_idx


def _contractual(ws: Workspace, period: str, hi: Any) -> tuple[Any, Any]:
    """(customer_id, idx, revenue) per customer and period with a running term; the last index."""
    import ibis
    import pandas as pd

    s = ws.table("subscriptions")
    one_us = ibis.interval(microseconds=1)
    if hi is not None:
        end_ts = ibis.literal(hi, type="timestamp")
        s = s.filter(s.started_at < end_ts)
    else:
        end_ts = s.started_at.max().as_scalar()
    # the data end: the last term start (before --to); a later --to adds no empty offsets
    end_idx = period_index(s.started_at.max().as_scalar(), period)
    s = s.filter(s.ended_at.isnull() | (s.ended_at > s.started_at))
    last_idx = ibis.least(
        ibis.coalesce(period_index(s.ended_at - one_us, period), end_idx), end_idx
    )
    # one row per term and period it runs in: a range join with the (few) period indices,
    # which every backend runs the same (Spark's explode of ibis.range lost rows)
    s = s.mutate(first_idx=period_index(s.started_at, period), last_idx=last_idx)
    bounds = s.aggregate(lo=s.first_idx.min(), hi=s.last_idx.max()).execute()
    lo, hi_idx = bounds["lo"].iloc[0], bounds["hi"].iloc[0]
    if pd.isna(lo) or pd.isna(hi_idx):
        lo, hi_idx = 0, -1
    indices = ibis.memtable({"idx": list(range(int(lo), int(hi_idx) + 1))}, schema={"idx": "int64"})
    terms = s.join(indices, (indices.idx >= s.first_idx) & (indices.idx <= s.last_idx))
    terms = terms.mutate(stop=ibis.least(ibis.coalesce(terms.ended_at, end_ts), end_ts))
    p_start = period_start(terms.idx, period).cast("timestamp")
    p_end = period_start(terms.idx + 1, period).cast("timestamp")
    # Ibis types least/greatest as a bare Value; these are timestamps
    stop = cast("ir.TimestampValue", ibis.least(terms.stop, p_end))
    begin = cast("ir.TimestampValue", ibis.greatest(terms.started_at, p_start))
    seconds = stop.epoch_seconds() - begin.epoch_seconds()
    terms = terms.mutate(
        revenue=terms.mrr.cast("float64")
        * ibis.greatest(seconds, 0).cast("float64")
        / (DAYS_PER_UNIT["month"] * 86400.0)
    )
    acts = terms.group_by(["customer_id", "idx"]).agg(revenue=terms.revenue.sum())
    return acts, end_idx


def cohort_expr(
    ws: Workspace,
    *,
    period: str = "month",
    kind: str = "customers",
    start: Any = None,
    end: Any = None,
    segment: str | None = None,
    customer_definition: str | None = None,
) -> Any:
    """The Ibis expression of :func:`cohort_table` (columns ``[segment,] cohort, offset, size,
    value``); nothing is executed."""
    import ibis

    from retentionkit.metrics.periods import parse_date
    from retentionkit.metrics.query import UNKNOWN_SEGMENT

    definition = _resolve_definition(ws, customer_definition)
    check_options(period, kind, definition)
    lo = parse_date(start, "--from")
    hi = parse_date(end, "--to")
    if lo is not None and hi is not None and hi <= lo:
        raise ConfigError(f"--to {hi.date()} must be after --from {lo.date()}.")
    table = "orders" if definition == "activity" else "subscriptions"
    if not ws.has_table(table):
        raise MissingTableError(
            f"Cohorts with the {definition} customer definition need the {table} table, which "
            f"is not loaded; ingest it first with 'retentionkit ingest {table} FILE'."
        )
    hi_py = None if hi is None else hi.to_pydatetime()
    if definition == "activity":
        acts, end_idx = _activity(ws, period, hi_py)
    else:
        acts, end_idx = _contractual(ws, period, hi_py)

    cust = acts.group_by("customer_id").agg(cohort_idx=acts.idx.min(), last_idx=acts.idx.max())
    if lo is not None:
        lo_lit = ibis.literal(lo.to_pydatetime(), type="timestamp")
        cust = cust.filter(cust.cohort_idx >= period_index(lo_lit, period))
    keys = ["cohort_idx"]
    if segment is not None:
        from retentionkit.segments.resolve import segment_table

        seg = segment_table(ws, segment)
        joined = cust.left_join(seg, cust.customer_id == seg.customer_id)
        cust = joined.select(
            cust.customer_id,
            cust.cohort_idx,
            cust.last_idx,
            segment=joined.segment.cast("string").fill_null(UNKNOWN_SEGMENT),
        )
        keys = ["segment", "cohort_idx"]

    sizes = cust.group_by(keys).agg(size=cust.count())
    grid = sizes.mutate(offset=ibis.range(0, end_idx - sizes.cohort_idx + 1, 1).unnest())

    act = acts.join(cust, "customer_id")
    act = act.mutate(offset=act.idx - act.cohort_idx)
    revenue = act.revenue.sum()
    if definition == "activity":
        # the customers' exact amounts added as doubles, rounded back to the amounts' 4
        # decimals: the same bits on every run (schema/contracts.py: MONEY_DIGITS); pro-rated MRR
        # (contractual) has no such grid and is left as summed
        from retentionkit.schema.contracts import MONEY_DIGITS

        revenue = revenue.round(MONEY_DIGITS)
    per = act.group_by([*keys, "offset"]).agg(active=act.count(), revenue=revenue)
    lasts = cust.group_by([*keys, cust.last_idx - cust.cohort_idx]).agg(n_last=cust.count())
    lasts = lasts.rename(offset=lasts.columns[len(keys)])

    g = grid.left_join(per, [*keys, "offset"]).select(
        *[grid[k] for k in keys],
        grid.offset,
        grid.size,
        active=ibis.coalesce(per.active, 0),
        revenue=ibis.coalesce(per.revenue, 0.0),
    )
    g = g.left_join(lasts, [*keys, "offset"]).select(
        *[g[k] for k in keys],
        g.offset,
        g.size,
        g.active,
        g.revenue,
        n_last=ibis.coalesce(lasts.n_last, 0),
    )
    size = g.size.cast("float64")
    if kind == "customers":
        value = g.active.cast("float64") / size * 100.0
    elif kind == "unbounded":
        later = ibis.window(
            group_by=keys, order_by=ibis.desc(g.offset), preceding=None, following=0
        )
        value = g.n_last.sum().over(later).cast("float64") / size * 100.0
    elif kind == "revenue":
        first = cast("ir.NumericColumn", ibis.ifelse(g.offset == 0, g.revenue, 0.0))
        base = first.sum().over(group_by=keys)
        value = ibis.ifelse(base == 0, ibis.null("float64"), g.revenue / base * 100.0)
    else:
        upto = ibis.window(group_by=keys, order_by=g.offset, preceding=None, following=0)
        value = g.revenue.sum().over(upto) / size

    out = g.select(
        *(["segment"] if segment is not None else []),
        cohort=period_start(g.cohort_idx, period),
        offset=g.offset.cast("int64"),
        size=g.size.cast("int64"),
        value=value.cast("float64"),
    )
    return out.order_by([*(["segment"] if segment is not None else []), "cohort", "offset"])


def cohort_table(
    ws: Workspace,
    *,
    period: str = "month",
    kind: str = "customers",
    start: Any = None,
    end: Any = None,
    segment: str | None = None,
    customer_definition: str | None = None,
) -> pd.DataFrame:
    """Cohort × offset table as a DataFrame: ``[segment,] cohort, offset, size, value`` (one
    row per cohort and offset of the triangle; ``cohort`` is the first day of the cohort
    period as a datetime). See the module docstring for the kinds."""
    import pandas as pd

    expr = cohort_expr(
        ws,
        period=period,
        kind=kind,
        start=start,
        end=end,
        segment=segment,
        customer_definition=customer_definition,
    )
    frame = expr.execute().reset_index(drop=True)
    if frame.empty:
        where = []
        if start is not None:
            where.append(f"from {start}")
        if end is not None:
            where.append(f"before {end}")
        span = " ".join(where) if where else "in the data"
        raise ConfigError(f"No customer was acquired {span}; choose another --from/--to range.")
    frame["cohort"] = pd.to_datetime(frame["cohort"]).astype("datetime64[us]")
    return frame
