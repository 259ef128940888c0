"""MRR components from subscription terms (ChartMogul's conventions).

MRR at t = Σ mrr of the terms running at t (started_at ≤ t < ended_at, or no end). Movements
compare each customer's MRR at the period start t0 and end t1: 0 → > 0 is new (first term
ever) or reactivation; > 0 → 0 churn; up expansion; down contraction — so cancelling one of two
subscriptions is contraction, not churn. MRR₁ = MRR₀ + new + reactivation + expansion −
contraction − churned holds exactly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from retentionkit.metrics.family import Plan, only
from retentionkit.metrics.query import MetricQuery

if TYPE_CHECKING:  # pragma: no cover
    import ibis.expr.types as ir


def _where(condition: ir.BooleanValue, value: object, other: object) -> ir.NumericColumn:
    """``value`` where ``condition`` holds, else ``other`` (a numeric column to sum)."""
    import ibis

    return cast("ir.NumericColumn", ibis.ifelse(condition, value, other))


def mrr_plan(q: MetricQuery) -> Plan:
    """MRR at both ends of each period and its movements, per period and segment."""
    import ibis

    subs = q.ws.table("subscriptions")
    b = q.boundaries()
    running = subs.join(b, [subs.started_at <= b.t, subs.ended_at.isnull() | (subs.ended_at > b.t)])
    per_customer = running.group_by(["customer_id", "t"]).agg(mrr=running.mrr.sum().cast("float64"))
    p = q.periods
    at_start = per_customer.join(p, per_customer.t == p.period_start).select(
        "customer_id", "period_start", m0=per_customer.mrr, m1=ibis.literal(0.0)
    )
    at_end = per_customer.join(p, per_customer.t == p.period_end).select(
        "customer_id", "period_start", m0=ibis.literal(0.0), m1=per_customer.mrr
    )
    both = at_start.union(at_end)
    moves = both.group_by(["customer_id", "period_start"]).agg(m0=both.m0.sum(), m1=both.m1.sum())
    first = subs.group_by("customer_id").agg(first_at=subs.started_at.min())
    moves = moves.join(first, "customer_id").join(p, "period_start")
    moves = q.with_segment(moves)
    up = moves.m1 - moves.m0
    starts = (moves.m0 == 0) & (moves.m1 > 0)
    is_first = (moves.first_at > moves.period_start) & (moves.first_at <= moves.period_end)
    zero = ibis.literal(0.0)
    agg = moves.group_by(["period_start", "segment"]).agg(
        start_mrr=moves.m0.sum(),
        mrr=moves.m1.sum(),
        paying_start=(moves.m0 > 0).cast("int64").sum(),
        paying_customers=(moves.m1 > 0).cast("int64").sum(),
        new_mrr=_where(starts & is_first, moves.m1, zero).sum(),
        reactivation_mrr=_where(starts & ~is_first, moves.m1, zero).sum(),
        expansion_mrr=_where((moves.m0 > 0) & (moves.m1 > moves.m0), up, zero).sum(),
        contraction_mrr=_where((moves.m1 > 0) & (moves.m1 < moves.m0), -up, zero).sum(),
        churned_mrr=_where((moves.m0 > 0) & (moves.m1 == 0), moves.m0, zero).sum(),
        new_subscribers=(starts & is_first).cast("int64").sum(),
        churned_subscribers=((moves.m0 > 0) & (moves.m1 == 0)).cast("int64").sum(),
    )
    return only(agg)


def renewal_plan(q: MetricQuery) -> Plan:
    """Terms due in the period (ended_at in [t0, t1)) and those renewed: the next term of the
    same subscription starts within the grace period after the end."""
    import ibis

    subs = q.ws.table("subscriptions")
    grace = int(q.options.get("renewal_grace_days", q.settings.renewal_grace_days))
    due = subs.filter(subs.ended_at.notnull() & q.in_range(subs.ended_at))
    nxt = subs.select(n_sub=subs.subscription_id, n_term=subs.term_id, n_start=subs.started_at)
    joined = due.left_join(
        nxt,
        [
            due.subscription_id == nxt.n_sub,
            due.term_id != nxt.n_term,
            nxt.n_start >= due.ended_at,
            nxt.n_start <= due.ended_at + ibis.interval(days=grace),
        ],
    )
    per_term = joined.group_by(["term_id", "customer_id", "ended_at"]).agg(
        renewed=joined.n_term.notnull().max()
    )
    per_term = q.with_segment(per_term.mutate(period_start=q.period_of(per_term.ended_at)))
    agg = per_term.group_by(["period_start", "segment"]).agg(
        due=per_term.count(), renewed=per_term.renewed.cast("int64").sum()
    )
    return only(agg)
