"""Model-based CLV components for the ``clv`` metric (option ``clv_model``).

With ``clv_model="bgnbd"`` (or mbgnbd, paretonbd) the ``clv`` metric of a period is the mean
predicted 12-month CLV (the purchase model + Gamma-Gamma, weekly, lifetimes' discounted monthly
cash flows at the monthly rate compounding to ``annual_discount_rate`` of retentionkit.toml —
by default (1.01^12 − 1), i.e. 0.01 a month —, times the request's gross margin) of the
customers at the period end, with both models fitted on the orders up to the period end. The
per-customer summary comes from the engine (:mod:`retentionkit.clv.rfm`); the fitting happens
in memory on it, once per period.
"""

from __future__ import annotations

import pandas as pd

from retentionkit.config import monthly_rate
from retentionkit.metrics.customers import customer_flags
from retentionkit.metrics.family import Plan, only
from retentionkit.metrics.query import MetricQuery

COLUMNS = ["period_start", "segment", "model_clv", "model_customers"]


def model_clv_plan(q: MetricQuery) -> Plan:
    """The customers at each period end (one query), then per period the fitted models'
    mean predicted CLV over them (``model_clv``) and their number (``model_customers``)."""
    flags = q.with_segment(customer_flags(q))
    members = flags.filter(flags.in_e == 1).select("customer_id", "period_start", "segment")
    return only(members, lambda got: model_clv_components(q, got))


def model_clv_components(q: MetricQuery, members: pd.DataFrame) -> pd.DataFrame:
    """Fit and predict at each period end; a period with too little history stays
    undefined."""
    from retentionkit.clv import workflow
    from retentionkit.errors import ModelFitError

    model = str(q.options["clv_model"])
    members = members.copy()
    members["period_start"] = pd.to_datetime(members["period_start"]).astype("datetime64[us]")
    rows = []
    for start, end in zip(q.grid.starts, q.grid.ends, strict=True):
        observation_end = (pd.Timestamp(end) - pd.Timedelta(days=1)).date()
        try:
            pred = workflow.predict(
                q.ws,
                model=model,
                horizon=52,
                time_unit="week",
                observation_end=observation_end,
                margin=q.margin,
                discount_rate=monthly_rate(q.settings.annual_discount_rate),
            )
        except ModelFitError:
            continue  # too little history at this period end: the value stays undefined
        active = members[members["period_start"] == pd.Timestamp(start)]
        merged = active.merge(pred[["customer_id", "clv"]], on="customer_id", how="inner")
        for segment, part in merged.groupby("segment"):
            rows.append(
                {
                    "period_start": pd.Timestamp(start),
                    "segment": segment,
                    "model_clv": float(part["clv"].mean()),
                    "model_customers": len(part),
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)
