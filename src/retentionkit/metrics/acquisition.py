"""Acquisition-cost components: costs in the period with the per-category breakdown.

Costs are split by segment only when the segment scheme is ``channel`` and the cost lines
carry a channel (CAC per channel; cost lines without a channel go to ``unknown``). Costs cannot
be attributed to any other segment scheme (country, plan …), so there the costs and CAC of
each segment are unknown (null) — never a separate "all" row beside the segments.
"""

from __future__ import annotations

import pandas as pd

from retentionkit.metrics.query import ALL_SEGMENT, MetricQuery


def cost_components(q: MetricQuery) -> pd.DataFrame:
    import ibis

    c = q.ws.table("acquisition_costs")
    c = c.filter(q.in_range(c.incurred_on))
    if q.segment == "channel" and "channel" in c.columns:
        seg = c.channel.cast("string").fill_null("unknown")
    elif q.segment is None:
        seg = ibis.literal(ALL_SEGMENT)
    else:  # costs carry no such attribute
        return pd.DataFrame(columns=["period_start", "segment", "costs", "costs_by_category"])
    c = c.mutate(period_start=q.period_of(c.incurred_on), segment=seg)
    by_cat = q.run(
        c.group_by(["period_start", "segment", "category"]).agg(
            amount=c.amount.sum().cast("float64")
        )
    )
    if by_cat.empty:
        return pd.DataFrame(columns=["period_start", "segment", "costs", "costs_by_category"])
    rows = []
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
