"""The option vocabularies that core modules validate, declared once.

Core modules (:mod:`retentionkit.metrics.periods`, :mod:`retentionkit.churn.pipeline`,
:mod:`retentionkit.clv.rfm`, :mod:`retentionkit.clv.workflow`) and the faces' vocabulary module
(:mod:`retentionkit.service.options`) all import these tuples from here. This module imports
nothing, so the CLI can build its help texts from it at start-up.
"""

from __future__ import annotations

__all__ = ["AUTO_MODEL", "CHURN_METHODS", "PERIODS", "TIME_UNITS"]

#: ``--period``: the reporting period of KPIs.
PERIODS: tuple[str, ...] = ("day", "week", "month", "quarter", "year")
#: ``--time-unit`` of RFM summaries and CLV models.
TIME_UNITS: tuple[str, ...] = ("day", "week", "month")
#: ``churn at-risk --method``: a supervised model (subscriptions), 1 − P(alive) or automatic.
CHURN_METHODS: tuple[str, ...] = ("auto", "model", "palive")
#: ``--model auto``: the credible purchase model chosen by :mod:`retentionkit.clv.choice`.
AUTO_MODEL = "auto"
