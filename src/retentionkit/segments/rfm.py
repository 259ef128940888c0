"""RFM scores and named RFM segments (docs/segments.md), as one Ibis expression.

As of a day (``as_of``, inclusive; default the day of the last order), for every customer with
at least one order on or before it:

* ``recency_days`` — days from the last order day to the as-of day (0 = bought that day);
* ``frequency`` — number of orders; ``monetary`` — sum of their amounts;
* ``r_score``, ``f_score``, ``m_score`` — quintile scores 1–5: customers are ranked from worst
  (longest ago, fewest orders, least money) to best and
  ``score = 1 + ⌊5 · (rank − 1) / (n − 1)⌋`` (capped at 5), with ``rank`` the rank of the first
  of a group of ties — so ties share a score, and each score holds about a fifth of the
  customers when there are few ties (frequency has many, most customers buying once);
* ``fm_score`` — the mean of F and M rounded half up, ``(f + m + 1) // 2``;
* ``rfm_score`` — the three digits, e.g. ``"545"``;
* ``segment`` — the named segment of the R × FM grid below (every cell has exactly one name).

::

    FM \\ R      1            2             3                4                   5
      5      can't lose   can't lose    loyal            loyal               champions
      4      at risk      at risk       loyal            loyal               champions
      3      at risk      at risk       need attention   potential loyalists potential loyalists
      2      lost         hibernating   about to sleep   potential loyalists potential loyalists
      1      lost         hibernating   about to sleep   promising           new
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, cast

from retentionkit.errors import MissingTableError

if TYPE_CHECKING:  # pragma: no cover
    import ibis.expr.types as ir
    import pandas as pd

    from retentionkit.workspace import Workspace

__all__ = [
    "RFM_SEGMENTS",
    "register_schemes",
    "rfm_scores",
    "rfm_scores_expr",
    "segment_of",
]

#: Named segments, best first (the order of reports).
RFM_SEGMENTS: tuple[str, ...] = (
    "champions",
    "loyal",
    "potential loyalists",
    "new",
    "promising",
    "need attention",
    "about to sleep",
    "at risk",
    "can't lose",
    "hibernating",
    "lost",
)


def segment_of(r: int, fm: int) -> str:
    """The named segment of grid cell (R score, FM score); the rules of the expression."""
    if r <= 2:
        if fm == 5:
            return "can't lose"
        if fm >= 3:
            return "at risk"
        return "lost" if r == 1 else "hibernating"
    if r == 3:
        if fm >= 4:
            return "loyal"
        return "need attention" if fm == 3 else "about to sleep"
    if fm >= 4:
        return "champions" if r == 5 else "loyal"
    if fm >= 2:
        return "potential loyalists"
    return "new" if r == 5 else "promising"


def _segment_expr(r: Any, fm: Any) -> Any:
    import ibis

    return ibis.cases(
        ((r <= 2) & (fm == 5), "can't lose"),
        ((r <= 2) & (fm >= 3), "at risk"),
        ((r == 1), "lost"),
        ((r == 2), "hibernating"),
        ((r == 3) & (fm >= 4), "loyal"),
        ((r == 3) & (fm == 3), "need attention"),
        ((r == 3), "about to sleep"),
        ((r == 5) & (fm >= 4), "champions"),
        ((fm >= 4), "loyal"),
        ((fm >= 2), "potential loyalists"),
        ((r == 5), "new"),
        else_="promising",
    )


def _as_day(value: Any) -> dt.date | None:
    from retentionkit.metrics.periods import parse_date

    ts = parse_date(value, "--as-of")
    return None if ts is None else ts.date()


def customer_stats_expr(ws: Workspace, as_of: Any = None) -> Any:
    """Per customer with an order on or before ``as_of``: ``customer_id, orders, revenue,
    last_day, recency_days``."""
    import ibis

    if not ws.has_table("orders"):
        raise MissingTableError(
            "RFM scores and segment summaries need the orders table, which is not loaded; "
            "ingest it first with 'retentionkit ingest orders FILE'."
        )
    o = ws.table("orders")
    o = o.mutate(day=o.ordered_at.cast("date"))
    day = _as_day(as_of)
    if day is not None:
        ref: Any = ibis.date(day)
        o = o.filter(o.day <= ref)
    else:
        ref = o.day.max().as_scalar()
    # the stored decimal amounts summed exactly, then one rounding to a double: a sum of
    # doubles adds in an order a parallel aggregation changes from run to run, so most
    # customers' revenue differed in its last bits between two runs (and a tie of two
    # customers' monetary values could break either way in the scores)
    per = o.group_by("customer_id").agg(
        orders=o.count(), revenue=o.amount.sum().cast("float64"), last_day=o.day.max()
    )
    return per.mutate(recency_days=ref.delta(per.last_day, unit="day").cast("int64"))


def _score(worst_first: Any, n: Any) -> Any:
    import ibis

    rank = ibis.rank().over(order_by=worst_first)  # 0-based, ties share the lowest rank
    ranked = cast("ir.IntegerColumn", rank.cast("int64"))  # Ibis types cast() as Value
    raw = (ranked * 5) // cast("ir.IntegerValue", ibis.greatest(n - 1, 1))
    return ibis.least(raw + 1, 5).cast("int64")


def rfm_scores_expr(ws: Workspace, as_of: Any = None) -> Any:
    """The expression of :func:`rfm_scores` (nothing is executed)."""
    import ibis

    per = customer_stats_expr(ws, as_of)
    n = per.count().over()
    scored = per.mutate(
        r_score=_score(ibis.desc(per.recency_days), n),
        f_score=_score(per.orders, n),
        m_score=_score(per.revenue, n),
    )
    fm = (scored.f_score + scored.m_score + 1) // 2
    scored = scored.mutate(fm_score=fm.cast("int64"))
    return scored.select(
        "customer_id",
        "recency_days",
        frequency=scored.orders.cast("int64"),
        monetary=scored.revenue,
        r_score=scored.r_score,
        f_score=scored.f_score,
        m_score=scored.m_score,
        fm_score=scored.fm_score,
        rfm_score=scored.r_score.cast("string")
        .concat(scored.f_score.cast("string"))
        .concat(scored.m_score.cast("string")),
        segment=_segment_expr(scored.r_score, scored.fm_score),
    ).order_by("customer_id")


def rfm_scores(ws: Workspace, as_of: Any = None) -> pd.DataFrame:
    """Per customer: ``customer_id, recency_days, frequency, monetary, r_score, f_score,
    m_score, fm_score, rfm_score, segment`` (see the module docstring)."""
    frame = rfm_scores_expr(ws, as_of).execute().reset_index(drop=True)
    frame["customer_id"] = frame["customer_id"].astype(str)
    return frame


def _rfm_scheme(ws: Workspace) -> Any:
    return rfm_scores_expr(ws).select("customer_id", "segment")


def _rfm_score_scheme(ws: Workspace) -> Any:
    expr = rfm_scores_expr(ws)
    return expr.select("customer_id", segment=expr.rfm_score)


def register_schemes() -> None:
    """Register ``rfm`` (named segment) and ``rfm_score`` ("545") as segment schemes."""
    from retentionkit.segments.resolve import register_scheme

    register_scheme("rfm", _rfm_scheme)
    register_scheme("rfm_score", _rfm_score_scheme)
