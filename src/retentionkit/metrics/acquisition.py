"""Acquisition-cost components: costs in the period with the per-category breakdown.

Costs are split by segment only when the segment scheme is ``channel`` and the cost lines
carry a channel (CAC per channel; cost lines without a channel go to ``unknown``). Costs cannot
be attributed to any other segment scheme (country, plan …), so there the costs and CAC of
each segment are unknown (null) — never a separate "all" row beside the segments.
"""

from __future__ import annotations

import pandas as pd

from retentionkit.metrics.family import Plan, only
from retentionkit.metrics.query import ALL_SEGMENT, UNKNOWN_SEGMENT, MetricQuery

COLUMNS = ["period_start", "segment", "costs", "costs_by_category"]


def costs_plan(q: MetricQuery) -> Plan:
    """Costs per period, segment and category (one query), summed with the breakdown."""
    import ibis

    c = q.ws.table("acquisition_costs")
    c = c.filter(q.in_range(c.incurred_on))
    if q.segment == "channel" and "channel" in c.columns:
        seg = c.channel.cast("string").fill_null(UNKNOWN_SEGMENT)
    elif q.segment is None:
        seg = ibis.literal(ALL_SEGMENT)
    else:  # costs carry no such attribute
        return Plan(finish=lambda got: pd.DataFrame(columns=COLUMNS))
    c = c.mutate(period_start=q.period_of(c.incurred_on), segment=seg)
    by_cat = c.group_by(["period_start", "segment", "category"]).agg(
        amount=c.amount.sum().cast("float64")
    )
    return only(by_cat, _costs_finish)


def _costs_finish(by_cat: pd.DataFrame) -> pd.DataFrame:
    """Costs per period and segment with ``costs_by_category`` {category: amount}."""
    if by_cat.empty:
        return pd.DataFrame(columns=COLUMNS)
    rows = []
    by_cat = by_cat.sort_values("category", kind="stable")  # the same key order every run
    for (start, segment), part in by_cat.groupby(["period_start", "segment"]):
        rows.append(
            {
                "period_start": start,
                "segment": segment,
                "costs": float(part["amount"].sum()),
                "costs_by_category": {
                    str(k): float(v) for k, v in zip(part["category"], part["amount"], strict=True)
                },
            }
        )
    return pd.DataFrame(rows)
