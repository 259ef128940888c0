"""The option vocabularies that core modules validate, declared once.

Core modules (:mod:`retentionkit.metrics.periods`, :mod:`retentionkit.churn.pipeline`,
:mod:`retentionkit.clv.rfm`, :mod:`retentionkit.clv.workflow`) and the faces' vocabulary module
(:mod:`retentionkit.service.options`) all import these tuples from here. This module imports
nothing, so the CLI can build its help texts from it at start-up.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["AUTO_MODEL", "CHURN_METHODS", "PERIODS", "TIME_UNITS", "period_label"]

#: ``--period``: the reporting period of KPIs.
PERIODS: tuple[str, ...] = ("day", "week", "month", "quarter", "year")
#: ``--time-unit`` of RFM summaries and CLV models.
TIME_UNITS: tuple[str, ...] = ("day", "week", "month")
#: ``churn at-risk --method``: a supervised model (subscriptions), 1 − P(alive) or automatic.
CHURN_METHODS: tuple[str, ...] = ("auto", "model", "palive")
#: ``--model auto``: the credible purchase model chosen by :mod:`retentionkit.clv.choice`.
AUTO_MODEL = "auto"


def period_label(start: object, period: str) -> str:
    """A short label for the period starting at ``start``: 2024-03, 2024-Q1, 2024, or the
    day for weeks and days. ``start`` is a date, a datetime (a pandas Timestamp is one) or
    ISO text; anything else (a numpy datetime64) goes through pandas."""
    if isinstance(start, str):
        day: dt.date = dt.datetime.fromisoformat(start)
    elif isinstance(start, dt.date):  # datetime and pd.Timestamp are dates too
        day = start
    else:
        import pandas as pd

        day = pd.Timestamp(start)
    if period == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if period == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if period == "year":
        return str(day.year)
    return f"{day.year:04d}-{day.month:02d}-{day.day:02d}"
