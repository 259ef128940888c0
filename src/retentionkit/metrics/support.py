"""Support-ticket components: resolution time (hours, over tickets resolved in the period) and
tickets still open at the period end that were opened more than 48 hours before it."""

from __future__ import annotations

from retentionkit.metrics.family import Plan, only
from retentionkit.metrics.query import MetricQuery

MICROSECONDS_PER_HOUR = 3_600_000_000


def resolution_plan(q: MetricQuery) -> Plan:
    """Hours from opened_at to resolved_at over tickets resolved in the period."""
    t = q.ws.table("tickets")
    r = t.filter(t.resolved_at.notnull() & q.in_range(t.resolved_at))
    # exact on every backend (epoch_seconds truncates to whole seconds on Spark)
    hours = r.resolved_at.delta(r.opened_at, unit="microsecond") / MICROSECONDS_PER_HOUR
    r = q.with_segment(r.mutate(period_start=q.period_of(r.resolved_at), hours=hours))
    agg = r.group_by(["period_start", "segment"]).agg(
        resolved=r.count(), median_hours=r.hours.median(), mean_hours=r.hours.mean()
    )
    return only(agg)


def open_tickets_plan(q: MetricQuery) -> Plan:
    """Tickets open at each period end, and those opened more than 48 hours before it."""
    import ibis

    t = q.ws.table("tickets")
    p = q.periods
    j = t.join(
        p, [t.opened_at < p.period_end, t.resolved_at.isnull() | (t.resolved_at >= p.period_end)]
    )
    j = q.with_segment(
        j.mutate(stale=(j.opened_at < j.period_end - ibis.interval(hours=48)).cast("int64"))
    )
    agg = j.group_by(["period_start", "segment"]).agg(
        open_tickets=j.count(), open_over_48h=j.stale.sum()
    )
    return only(agg)
