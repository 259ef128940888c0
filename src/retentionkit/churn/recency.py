"""Churn risk by the recency-ratio rule (:mod:`retentionkit.clv.recency`: risk = 1 − 2^(−k/5)
for a customer silent for k usual gaps between purchase days), for order data on which no
probabilistic purchase model is credible and the supervised model is not good enough.

Value at risk = risk × the customer's revenue in the 365 days before the scoring date × gross
margin (what a year of their custom is worth).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.workspace import Workspace

__all__ = ["recency_ratio_risk"]


def recency_ratio_risk(ws: Workspace, when: pd.Timestamp, margin: float) -> pd.DataFrame:
    """customer_id, risk, value_at_risk, reasons by the recency-ratio rule (module docstring)."""
    import ibis

    from retentionkit.clv.recency import RecencyRatioModel
    from retentionkit.clv.rfm import rfm_summary

    summary = rfm_summary(ws, "day", (when - pd.Timedelta(days=1)).date())
    x, t_x, big_t = (summary[c].to_numpy(dtype="float64") for c in ("frequency", "recency", "T"))
    rule = RecencyRatioModel().fit(x, t_x, big_t)
    silence, ratio = big_t - t_x, rule.silence_ratio(x, t_x, big_t)
    risk = 1.0 - rule.conditional_probability_alive(x, t_x, big_t)
    orders = ws.table("orders")
    start = ibis.timestamp((when - pd.Timedelta(days=365)).to_pydatetime())
    recent = orders.filter(
        (orders.ordered_at >= start) & (orders.ordered_at < ibis.timestamp(when.to_pydatetime()))
    )
    revenue = recent.group_by("customer_id").agg(revenue=recent.amount.sum()).execute()
    by_id = dict(zip(revenue["customer_id"].astype(str), revenue["revenue"], strict=False))
    ids = summary["customer_id"].astype(str)
    yearly = np.array([float(by_id.get(i) or 0.0) for i in ids])
    reasons = [
        [
            f"no order for {s:.0f} days, {k:.1f}× their usual gap"
            + ("" if n > 0 else " (the shop's typical gap: one purchase so far)"),
            "recency-ratio rule",
        ]
        for s, k, n in zip(silence, ratio, x, strict=True)
    ]
    return pd.DataFrame(
        {
            "customer_id": ids.to_numpy(),
            "risk": risk,
            "value_at_risk": np.maximum(yearly, 0.0) * margin * risk,
            "reasons": reasons,
        }
    )
