"""Events per trigger, from the workspace's tables: one row per (customer, occurrence) with
``event_at`` (when it happened) and ``due_at`` (when the action is due), bounded by the rule's
``since`` (events before it never fire) and ``as_of`` (only actions already due are planned,
so every ``unless`` condition is judged on the data up to the due time).

Occurrences: an order id, a ticket id, a term id, a survey response id, or, for
``became_at_risk``, the id of the customer's last order before the silence (a new order and a
new silence is a new occurrence).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd

from retentionkit.automations.rules import Rule

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.workspace import Workspace

__all__ = ["events"]

_COLUMNS = ["customer_id", "occurrence", "event_at", "due_at"]


def _frame(
    ws: Workspace, table: str, columns: list[str], since: dt.datetime | None
) -> pd.DataFrame:
    if not ws.has_table(table):
        return pd.DataFrame(columns=columns)
    t = ws.table(table)
    time_col = columns[2]
    if since is not None:
        t = t.filter(t[time_col] >= since)
    frame = t.select(*columns).execute()
    for col in columns:
        if col.endswith("_at"):
            frame[col] = pd.to_datetime(frame[col]).astype("datetime64[us]")
    return frame


def _between(events: pd.DataFrame, later: pd.DataFrame, time_col: str) -> pd.Series:
    """True where ``later`` has a row of the same customer in (event_at, due_at]."""
    if events.empty or later.empty:
        return pd.Series(False, index=events.index)
    merged = events.reset_index().merge(later[["customer_id", time_col]], on="customer_id")
    hit = (merged[time_col] > merged["event_at"]) & (merged[time_col] <= merged["due_at"])
    keys = set(merged.loc[hit, "index"])
    return pd.Series(events.index.isin(keys), index=events.index)


def events(ws: Workspace, rule: Rule, as_of: dt.datetime) -> pd.DataFrame:
    """Due events of ``rule`` as of ``as_of``: customer_id, occurrence, event_at, due_at."""
    since = rule.since
    if rule.trigger == "order_placed":
        orders = _frame(ws, "orders", ["customer_id", "order_id", "ordered_at"], since)
        ev = orders.rename(columns={"order_id": "occurrence", "ordered_at": "event_at"})
        ev["due_at"] = ev["event_at"] + rule.delay
    elif rule.trigger in ("ticket_opened", "ticket_unresolved"):
        cols = ["customer_id", "ticket_id", "opened_at", "resolved_at"]
        tickets = _frame(ws, "tickets", cols, since)
        ev = tickets.rename(columns={"ticket_id": "occurrence", "opened_at": "event_at"})
        ev["due_at"] = ev["event_at"] + rule.delay
        if rule.trigger == "ticket_unresolved":
            resolved = ev["resolved_at"].notna() & (ev["resolved_at"] <= ev["due_at"])
            ev = ev[~resolved]
    elif rule.trigger == "term_ending":
        cols = ["customer_id", "term_id", "ended_at", "subscription_id", "started_at"]
        terms = _frame(ws, "subscriptions", cols, since)
        ev = terms.rename(columns={"term_id": "occurrence", "ended_at": "event_at"})
        ev = ev[ev["event_at"].notna()]
        ev["due_at"] = ev["event_at"] - rule.delay
        ev = ev[ev["due_at"] >= since]
        if "renewed" in rule.unless and not ev.empty:
            starts = _frame(ws, "subscriptions", ["subscription_id", "term_id", "started_at"], None)
            nxt = ev.reset_index().merge(starts, on="subscription_id", suffixes=("", "_next"))
            renewed = nxt[
                (nxt["started_at_next"] > nxt["started_at"])
                & (nxt["started_at_next"] <= nxt["due_at"])
            ]["index"]
            ev = ev[~ev.index.isin(set(renewed))]
    elif rule.trigger == "survey_answered":
        cols = ["customer_id", "response_id", "responded_at", "score", "survey"]
        answers = _frame(ws, "survey_responses", cols, since)
        answers = answers[answers["customer_id"].notna()]
        if "survey" in rule.params:
            answers = answers[answers["survey"] == rule.params["survey"]]
        if "max_score" in rule.params:
            answers = answers[answers["score"] <= float(rule.params["max_score"])]
        ev = answers.rename(columns={"response_id": "occurrence", "responded_at": "event_at"})
        ev["due_at"] = ev["event_at"] + rule.delay
    elif rule.trigger == "became_at_risk":
        ev = _at_risk(ws, rule, as_of)
    else:  # rules are checked when added; a trigger removed since then plans nothing
        return pd.DataFrame(columns=_COLUMNS)
    ev = ev[(ev["due_at"] <= as_of) & (ev["event_at"] >= since)]
    if "ordered_again" in rule.unless:
        later = _frame(ws, "orders", ["customer_id", "order_id", "ordered_at"], since)
        ev = ev[~_between(ev, later, "ordered_at")]
    if "answered_survey" in rule.unless:
        later = _frame(
            ws, "survey_responses", ["customer_id", "response_id", "responded_at"], since
        )
        ev = ev[~_between(ev, later, "responded_at")]
    ev = ev.assign(
        customer_id=ev["customer_id"].astype(str), occurrence=ev["occurrence"].astype(str)
    )
    return ev[_COLUMNS].sort_values(["due_at", "customer_id", "occurrence"]).reset_index(drop=True)


def _at_risk(ws: Workspace, rule: Rule, as_of: dt.datetime) -> pd.DataFrame:
    """Customers silent for ≥ k × their mean gap between orders (≥ 2 orders, up to
    ``as_of``): event_at = last order + k × gap, occurrence = that last order's id."""
    orders = _frame(ws, "orders", ["customer_id", "order_id", "ordered_at"], None)
    orders = orders[orders["ordered_at"] <= as_of].sort_values(["customer_id", "ordered_at"])
    k = float(rule.params.get("k", 3.0))
    grouped = orders.groupby("customer_id")
    stats = grouped.agg(
        first=("ordered_at", "min"), last=("ordered_at", "max"), n=("order_id", "size")
    )
    last_id = grouped.tail(1).set_index("customer_id")["order_id"]
    stats = stats[stats["n"] >= 2]
    gap = (stats["last"] - stats["first"]) / (stats["n"] - 1)
    ev = pd.DataFrame(
        {
            "customer_id": stats.index,
            "occurrence": last_id.reindex(stats.index).to_numpy(),
            "event_at": (stats["last"] + gap * k).to_numpy(),
        }
    )
    ev["event_at"] = ev["event_at"].astype("datetime64[us]")
    ev["due_at"] = ev["event_at"] + rule.delay
    return ev
