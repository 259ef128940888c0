"""Churn features as of a cutoff, built from the workspace with Ibis, and churn labels.

Everything is measured strictly before the cutoff ``c`` (no leakage): an order at ``c`` belongs
to the future. Per customer:

* orders: tenure_days, days_since_last_order, orders_total, orders_90d, orders_prev_90d,
  revenue_90d, revenue_prev_90d, revenue_trend (last 90 days minus the 90 before),
  avg_gap_days ((last − first) / (orders − 1)), gap_ratio (days since last / usual gap);
* subscriptions: mrr_now, mrr_90d_ago, mrr_change, active_terms, plan (of the latest running
  term), days_to_renewal (end of the running term with the soonest end);
* surveys: latest_nps (and its date), latest_csat;
* tickets: open_tickets (open at c), tickets_90d, median_resolution_hours (resolved in the last
  180 days);
* returns: returns_90d;
* every attribute of the customers table (country, channel, …).

Population and label (``horizon`` H):

* contractual (subscriptions loaded): customers paying at c (MRR > 0); churned = paying nothing
  at c + H.
* activity (orders only): customers with an order in the 365 days before c; churned = no order
  in [c, c + H).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    import ibis.expr.types as ir

    from retentionkit.workspace import Workspace


def _num(expr: Any) -> ir.NumericColumn:
    """``expr`` typed as the numeric column it is (Ibis types ``ifelse`` as a bare Value)."""
    return cast("ir.NumericColumn", expr)


DAY = 86400.0
LOOKBACK_DAYS = 365

#: Readable names and reason templates for the ChurnModel.
FEATURE_LABELS = {
    "tenure_days": "tenure",
    "days_since_last_order": "days since last order",
    "orders_total": "orders in total",
    "orders_90d": "orders in the last 90 days",
    "orders_prev_90d": "orders in the 90 days before",
    "revenue_90d": "revenue in the last 90 days",
    "revenue_prev_90d": "revenue in the 90 days before",
    "revenue_trend": "revenue trend",
    "avg_gap_days": "usual gap between orders",
    "gap_ratio": "time since last order vs usual gap",
    "mrr_now": "MRR",
    "mrr_90d_ago": "MRR 90 days ago",
    "mrr_change": "MRR change over 90 days",
    "active_terms": "running subscriptions",
    "plan": "plan",
    "days_to_renewal": "days to renewal",
    "latest_nps": "latest NPS answer",
    "latest_csat": "latest CSAT answer",
    "open_tickets": "open tickets",
    "tickets_90d": "tickets in the last 90 days",
    "median_resolution_hours": "median ticket resolution",
    "returns_90d": "returns in the last 90 days",
}
REASON_TEMPLATES = {
    "days_since_last_order": "no order for {value} days ({effect})",
    "gap_ratio": "{value}× their usual gap between orders ({effect})",
    "tenure_days": "customer for {value} days ({level}; {effect})",
    "mrr_change": "MRR changed by {value} in 90 days ({effect})",
    "days_to_renewal": "renewal due in {value} days ({effect})",
    "open_tickets": "{value} open support tickets ({effect})",
    "median_resolution_hours": "tickets took {value} h to resolve ({level}; {effect})",
    "revenue_trend": "revenue trend {value} over 90 days ({effect})",
    "latest_csat": "latest CSAT answer {value} ({effect})",
}


def _ts(value: Any) -> Any:
    import ibis

    return ibis.literal(pd.Timestamp(value).to_pydatetime(), type="timestamp")


def _days(later: Any, earlier: Any) -> Any:
    return (later.epoch_seconds() - earlier.epoch_seconds()) / DAY


def contractual(ws: Workspace) -> bool:
    return ws.has_table("subscriptions")


def _mrr_at(ws: Workspace, when: pd.Timestamp) -> Any:
    subs = ws.table("subscriptions")
    t = _ts(when)
    running = subs.filter((subs.started_at <= t) & (subs.ended_at.isnull() | (subs.ended_at > t)))
    return running.group_by("customer_id").agg(
        mrr=running.mrr.sum().cast("float64"), terms=running.count()
    )


def population(ws: Workspace, cutoff: pd.Timestamp) -> Any:
    """Ibis table (customer_id) of the customers scored at ``cutoff``."""
    if contractual(ws):
        m = _mrr_at(ws, cutoff)
        return m.filter(m.mrr > 0).select("customer_id")
    orders = ws.table("orders")
    lo = _ts(cutoff - pd.Timedelta(days=LOOKBACK_DAYS))
    recent = orders.filter((orders.ordered_at >= lo) & (orders.ordered_at < _ts(cutoff)))
    return recent.select("customer_id").distinct()


def labels(ws: Workspace, cutoff: pd.Timestamp, horizon_days: int) -> pd.DataFrame:
    """customer_id, churned (1/0) for the population at ``cutoff``."""
    pop = population(ws, cutoff)
    end = cutoff + pd.Timedelta(days=horizon_days)
    if contractual(ws):
        later = _mrr_at(ws, end)
        later = later.filter(later.mrr > 0).select(active_id="customer_id")
    else:
        orders = ws.table("orders")
        window = orders.filter((orders.ordered_at >= _ts(cutoff)) & (orders.ordered_at < _ts(end)))
        later = window.select(active_id=window.customer_id).distinct()
    joined = pop.left_join(later, pop.customer_id == later.active_id)
    out = joined.select("customer_id", churned=joined.active_id.isnull().cast("int64"))
    return out.execute()


def build_features(ws: Workspace, cutoff: Any) -> pd.DataFrame:
    """One row per customer of the population at ``cutoff`` with every feature available;
    index-free frame with ``customer_id`` first and ``latest_nps_at`` (side information for
    reasons, not a model feature)."""
    import ibis

    c = pd.Timestamp(cutoff)
    t = _ts(c)
    d90 = _ts(c - pd.Timedelta(days=90))
    d180 = _ts(c - pd.Timedelta(days=180))
    frame = population(ws, c)
    pieces: list[Any] = []
    if ws.has_table("orders"):
        o = ws.table("orders")
        o = o.filter(o.ordered_at < t)
        # the stored decimal amounts summed exactly, then cast: a sum of doubles adds in an
        # order a parallel aggregation changes from run to run
        amount = o.amount
        agg = o.group_by("customer_id").agg(
            first_order=o.ordered_at.min(),
            last_order=o.ordered_at.max(),
            orders_total=o.count(),
            orders_90d=(o.ordered_at >= d90).cast("int64").sum(),
            orders_prev_90d=((o.ordered_at >= d180) & (o.ordered_at < d90)).cast("int64").sum(),
            revenue_90d=_num(ibis.ifelse(o.ordered_at >= d90, amount, 0)).sum().cast("float64"),
            revenue_prev_90d=_num(
                ibis.ifelse((o.ordered_at >= d180) & (o.ordered_at < d90), amount, 0)
            )
            .sum()
            .cast("float64"),
        )
        span = _days(agg.last_order, agg.first_order)
        gap = _num(
            ibis.ifelse(
                agg.orders_total > 1,
                span / (agg.orders_total - 1).cast("float64"),
                ibis.null().cast("float64"),
            )
        )
        since = _days(t, agg.last_order)
        pieces.append(
            agg.select(
                "customer_id",
                first_seen=agg.first_order,
                days_since_last_order=since,
                orders_total=agg.orders_total,
                orders_90d=agg.orders_90d,
                orders_prev_90d=agg.orders_prev_90d,
                revenue_90d=agg.revenue_90d,
                revenue_prev_90d=agg.revenue_prev_90d,
                revenue_trend=agg.revenue_90d - agg.revenue_prev_90d,
                avg_gap_days=gap,
                # orders at the same instant give a zero gap: no ratio (never infinity)
                gap_ratio=ibis.ifelse(
                    gap > 0,  # type: ignore[operator]  # Ibis's stubs lack Column > int
                    since / gap,
                    ibis.null().cast("float64"),
                ),
            )
        )
    if contractual(ws):
        subs = ws.table("subscriptions")
        s = subs.filter(subs.started_at < t)
        first = s.group_by("customer_id").agg(first_term=s.started_at.min())
        now = _mrr_at(ws, c)
        before = _mrr_at(ws, c - pd.Timedelta(days=90))
        running = subs.filter(
            (subs.started_at <= t) & (subs.ended_at.isnull() | (subs.ended_at > t))
        )
        ranked = running.mutate(
            _rn=ibis.row_number().over(
                group_by="customer_id", order_by=ibis.desc(running.started_at)
            )
        )
        latest = ranked.filter(ranked._rn == 0)
        renew = (
            running.filter(running.ended_at.notnull())
            .group_by("customer_id")
            .agg(next_end=running.ended_at.min())
        )
        sub = first.left_join(now, "customer_id").select(
            "customer_id",
            "first_term",
            mrr_now=now.mrr.fill_null(0.0),
            active_terms=now.terms.fill_null(0),
        )
        sub = sub.left_join(before, "customer_id").select(
            *[c for c in sub.columns], mrr_90d_ago=before.mrr.fill_null(0.0)
        )
        cols = ["customer_id", "first_term", "mrr_now", "active_terms", "mrr_90d_ago"]
        if "plan" in latest.columns:
            plans = latest.select(plan_id=latest.customer_id, plan=latest.plan)
            sub = sub.left_join(plans, sub.customer_id == plans.plan_id).select(*cols, "plan")
            cols.append("plan")
        sub = sub.left_join(renew, "customer_id").select(
            *cols, days_to_renewal=_days(renew.next_end, t)
        )
        pieces.append(sub.mutate(mrr_change=sub.mrr_now - sub.mrr_90d_ago))
    if ws.has_table("survey_responses"):
        a = ws.table("survey_responses")
        a = a.filter((a.responded_at < t) & a.customer_id.notnull())
        for survey in ("nps", "csat"):
            part = a.filter(a.survey == survey)
            ranked = part.mutate(
                _rn=ibis.row_number().over(
                    group_by="customer_id", order_by=ibis.desc(part.responded_at)
                )
            )
            last = ranked.filter(ranked._rn == 0)
            selected = {"customer_id": last.customer_id, f"latest_{survey}": last.score}
            if survey == "nps":
                selected["latest_nps_at"] = last.responded_at
            pieces.append(last.select(**selected))
    if ws.has_table("tickets"):
        k = ws.table("tickets")
        k = k.filter(k.opened_at < t)
        resolved_recent = k.resolved_at.notnull() & (k.resolved_at < t) & (k.resolved_at >= d180)
        hours = (k.resolved_at.epoch_seconds() - k.opened_at.epoch_seconds()) / 3600.0
        pieces.append(
            k.group_by("customer_id").agg(
                open_tickets=(k.resolved_at.isnull() | (k.resolved_at >= t)).cast("int64").sum(),
                tickets_90d=(k.opened_at >= d90).cast("int64").sum(),
                median_resolution_hours=_num(
                    ibis.ifelse(resolved_recent, hours, ibis.null().cast("float64"))
                ).median(),
            )
        )
    if ws.has_table("returns"):
        r = ws.table("returns")
        r = r.filter((r.returned_at < t) & (r.returned_at >= d90))
        pieces.append(r.group_by("customer_id").agg(returns_90d=r.count()))
    for piece in pieces:
        frame = frame.left_join(piece, "customer_id").select(
            *frame.columns, *[col for col in piece.columns if col != "customer_id"]
        )
    result = frame.execute()
    firsts = [col for col in ("first_seen", "first_term") if col in result]
    if firsts:
        first = pd.concat([pd.to_datetime(result[col]) for col in firsts], axis=1).min(axis=1)
        result["tenure_days"] = (c - first).dt.total_seconds() / DAY
        result = result.drop(columns=firsts)
    for col in ("open_tickets", "tickets_90d", "returns_90d"):
        if col in result:
            result[col] = result[col].fillna(0)
    if ws.has_table("customers"):
        attrs = ws.table("customers").execute()
        keep = [
            col
            for col in attrs.columns
            if col == "customer_id"
            or not (
                col.endswith(("_id", "_at")) or pd.api.types.is_datetime64_any_dtype(attrs[col])
            )
        ]
        attrs = attrs[keep].rename(
            columns={
                col: f"customer_{col}" for col in keep if col != "customer_id" and col in result
            }
        )
        result = result.merge(attrs, on="customer_id", how="left")
    # whole days and one decimal read better in reasons ("no order for 94 days") and lose
    # nothing a model needs
    for col, digits in (
        ("days_since_last_order", 0),
        ("tenure_days", 0),
        ("days_to_renewal", 0),
        ("avg_gap_days", 1),
        ("gap_ratio", 1),
        ("median_resolution_hours", 1),
    ):
        if col in result:
            result[col] = result[col].astype("float64").round(digits)
    result["customer_id"] = result["customer_id"].astype(str)
    return result.sort_values("customer_id").reset_index(drop=True)


def model_columns(frame: pd.DataFrame) -> list[str]:
    """The feature columns (everything but the id and side information)."""
    return [c for c in frame.columns if c not in ("customer_id", "latest_nps_at")]


def data_span(ws: Workspace) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First order or term start, and the latest event (orders, terms, answers, tickets)."""
    from retentionkit.metrics.engine import data_extent

    if not (ws.has_table("orders") or ws.has_table("subscriptions")):
        from retentionkit.errors import MissingTableError

        raise MissingTableError(
            "Churn risk needs the orders or subscriptions table, and neither is loaded; "
            "ingest one first with 'retentionkit ingest orders FILE'."
        )
    start, _ = data_extent(ws, {"orders", "subscriptions"})
    _, end = data_extent(ws, {"orders", "subscriptions", "tickets", "survey_responses"})
    return start, end


def data_end(ws: Workspace) -> pd.Timestamp:
    """The latest event time in the workspace (orders, terms, answers, tickets)."""
    return data_span(ws)[1]
