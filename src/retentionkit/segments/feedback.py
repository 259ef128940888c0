"""Segments by a customer's latest survey answer (SPEC §6; issue 15 item 6).

``latest_nps``: the customer's most recent NPS answer bucketed as Bain & Co. define the Net
Promoter Score — ``promoter`` (9–10), ``passive`` (7–8), ``detractor`` (0–6).
``latest_csat``: the most recent CSAT answer — ``satisfied`` when it is in the top two points
of the configured CSAT scale (the same rule as the csat KPI, :mod:`retentionkit.metrics.feedback`),
else ``unsatisfied``. Customers who never answered fall in the ``unknown`` segment of every
KPI split, like any customer without a segment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.workspace import Workspace

__all__ = ["latest_csat", "latest_nps"]


def _latest_score(ws: Workspace, survey: str) -> Any:
    """(customer_id, score) of each customer's most recent answer to ``survey``."""
    import ibis

    t = ws.table("survey_responses")
    answers = t.filter((t.survey == survey) & t.customer_id.notnull())
    ranked = answers.mutate(
        _rn=ibis.row_number().over(
            group_by="customer_id", order_by=[ibis.desc(answers.responded_at)]
        )
    )
    latest = ranked.filter(ranked._rn == 0)
    return latest.select("customer_id", score=latest.score.cast("float64"))


def latest_nps(ws: Workspace) -> Any:
    """``promoter`` / ``passive`` / ``detractor`` by the latest NPS answer."""
    import ibis

    s = _latest_score(ws, "nps")
    bucket = ibis.cases((s.score >= 9, "promoter"), (s.score >= 7, "passive"), else_="detractor")
    return s.select("customer_id", segment=bucket)


def latest_csat(ws: Workspace) -> Any:
    """``satisfied`` (top two points of the CSAT scale) / ``unsatisfied`` by the latest answer."""
    import ibis

    scale = ws.settings.survey_scale("csat")
    top = float(scale.max) if scale is not None else 5.0
    s = _latest_score(ws, "csat")
    bucket = ibis.cases((s.score + 1 >= top, "satisfied"), else_="unsatisfied")
    return s.select("customer_id", segment=bucket)
