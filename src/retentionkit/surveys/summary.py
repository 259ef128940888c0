"""One survey's results: answers, response rate, its score with a 95 % interval, comments.

* NPS = 100·(P − D)/n; its standard error is 100·√((p + d − (p − d)²)/n) with p, d the
  promoter and detractor shares (the variance of a −1/0/+1 score; Rocks, "The Net Promoter
  Score margin of error", 2016). Interval: NPS ± 1.96·SE, clipped to [−100, 100].
* CSAT = satisfied / n (top two points of the scale) with the Wilson score interval
  (Wilson 1927), in %.
* custom: the mean score ± 1.96·s/√n.
* response rate = customers who answered through a link / customers sent a link
  (``survey_links``); webhook answers count as answers, not in the rate.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from retentionkit.backends import sql
from retentionkit.surveys.definitions import Survey

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.workspace import Workspace

__all__ = ["Z95", "score_interval", "summarize"]

Z95 = 1.959964


def score_interval(survey: Survey, scores: list[float]) -> dict[str, Any]:
    """``{"metric", "value", "low", "high"}`` of ``scores`` for ``survey``'s type."""
    n = len(scores)
    if survey.type == "nps":
        metric = "nps"
    elif survey.type == "csat":
        metric = "csat"
    else:
        metric = "mean_score"
    if n == 0:
        return {"metric": metric, "value": None, "low": None, "high": None}
    if survey.type == "nps":
        p = sum(s >= 9 for s in scores) / n
        d = sum(s <= 6 for s in scores) / n
        value = 100 * (p - d)
        se = 100 * math.sqrt(max(p + d - (p - d) ** 2, 0.0) / n)
        low, high = max(-100.0, value - Z95 * se), min(100.0, value + Z95 * se)
    elif survey.type == "csat":
        k = sum(s + 1 >= survey.scale_max for s in scores)
        phat = k / n
        denom = 1 + Z95**2 / n
        centre = (phat + Z95**2 / (2 * n)) / denom
        half = Z95 * math.sqrt(phat * (1 - phat) / n + Z95**2 / (4 * n * n)) / denom
        value, low, high = 100 * phat, 100 * (centre - half), 100 * (centre + half)
    else:
        value = sum(scores) / n
        sd = math.sqrt(sum((s - value) ** 2 for s in scores) / (n - 1)) if n > 1 else 0.0
        low, high = value - Z95 * sd / math.sqrt(n), value + Z95 * sd / math.sqrt(n)
    return {
        "metric": metric,
        "value": round(value, 2),
        "low": round(low, 2),
        "high": round(high, 2),
    }


def summarize(ws: Workspace, survey: Survey, comments: int = 5) -> dict[str, Any]:
    """Counts, response rate, score with interval and the latest comments of ``survey``."""
    con = ws.con
    answers: list[tuple[Any, ...]] = []
    if ws.has_table("survey_responses") and "survey_name" in con.table("survey_responses").columns:
        answers = sql(
            con,
            "SELECT score, customer_id, touchpoint, comment, responded_at FROM survey_responses "
            "WHERE survey_name = ? ORDER BY responded_at DESC",
            [survey.name],
        ).fetchall()
    sent = sql(
        con,
        "SELECT count(*), count(DISTINCT customer_id) FROM survey_links WHERE survey = ?",
        [survey.name],
    ).fetchone()
    answered = len({a[1] for a in answers if a[2] == "link" and a[1] is not None})
    latest = [
        {
            "responded_at": a[4].isoformat(timespec="seconds") + "Z",
            "customer_id": a[1],
            "score": a[0],
            "comment": a[3],
        }
        for a in answers
        if a[3]
    ][:comments]
    return {
        "survey": survey.name,
        "type": survey.type,
        "scale": f"{survey.scale_min}-{survey.scale_max}",
        "answers": len(answers),
        "links_sent": int(sent[0]),
        "customers_sent": int(sent[1]),
        "customers_answered": answered,
        "response_rate": round(answered / sent[1], 4) if sent[1] else None,
        **score_interval(survey, [float(a[0]) for a in answers]),
        "latest_comments": latest,
    }
