"""Did a rule retain anyone? Treated vs holdout, and a backtest.

``report``: among a rule's planned actions, the *treated* group is the rows that were sent and
the *holdout* group the rows ``held_out`` (:func:`retentionkit.automations.guards.in_holdout`
chooses them by a stable hash, so the two groups differ only by chance). For each group the
repeat purchase rate is the share of its actions followed by an order of the same customer
within ``window`` (default 30 days) after ``due_at``; the lift is treated − holdout with the
95 % Newcombe hybrid-score interval for a difference of two independent proportions (Newcombe,
Statistics in Medicine 17, 1998, method 10; computed by
``statsmodels.stats.proportion.confint_proportions_2indep(method="newcomb")``), which behaves
well for small groups and rates near 0 or 1, unlike the Wald interval.

``backtest``: which customers the rule would have messaged between two dates (the planner's
events with every guard rail) and the repeat purchase rate afterwards; nothing is written.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pandas as pd

from retentionkit.automations import store

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.workspace import Workspace

__all__ = ["backtest", "lift", "repeat_rate"]


def _orders(ws: Workspace) -> pd.DataFrame:
    if not ws.has_table("orders"):
        return pd.DataFrame(columns=["customer_id", "ordered_at"])
    frame = ws.table("orders").select("customer_id", "ordered_at").execute()
    frame["customer_id"] = frame["customer_id"].astype(str)
    frame["ordered_at"] = pd.to_datetime(frame["ordered_at"]).astype("datetime64[us]")
    return frame


def repeat_rate(actions: pd.DataFrame, orders: pd.DataFrame, window: dt.timedelta) -> pd.Series:
    """Per action (customer_id, due_at): True when the customer ordered in (due_at, due_at +
    window]."""
    if actions.empty:
        return pd.Series(dtype=bool)
    left = actions[["customer_id", "due_at"]].reset_index()
    left["due_at"] = pd.to_datetime(left["due_at"]).astype("datetime64[us]")
    merged = left.merge(orders, on="customer_id")
    hit = (merged["ordered_at"] > merged["due_at"]) & (
        merged["ordered_at"] <= merged["due_at"] + window
    )
    keys = set(merged.loc[hit, "index"])
    return pd.Series(actions.index.isin(keys), index=actions.index)


def _group(flags: pd.Series) -> dict[str, Any]:
    n = len(flags)
    k = int(flags.sum())
    return {"actions": n, "repeated": k, "repeat_rate": (k / n) if n else None}


def lift(ws: Workspace, rule: str, window: dt.timedelta = dt.timedelta(days=30)) -> dict[str, Any]:
    """Treated vs holdout repeat purchase rate of ``rule`` and the lift with its 95 % CI."""
    store.get_rule(ws, rule)
    rows = store.sql(
        ws,
        "SELECT customer_id, due_at, status FROM automation_outbox WHERE rule = ? "
        "AND status IN ('sent', 'held_out')",
        [rule],
    ).fetchall()
    actions = pd.DataFrame(rows, columns=["customer_id", "due_at", "status"])
    flags = repeat_rate(actions, _orders(ws), window)
    treated = _group(flags[actions["status"] == "sent"] if len(actions) else flags)
    holdout = _group(flags[actions["status"] == "held_out"] if len(actions) else flags)
    out: dict[str, Any] = {
        "rule": rule,
        "window_days": window.days,
        "treated": treated,
        "holdout": holdout,
        "lift": None,
        "lift_ci_low": None,
        "lift_ci_high": None,
    }
    if treated["actions"] and holdout["actions"]:
        from statsmodels.stats.proportion import confint_proportions_2indep

        low, high = confint_proportions_2indep(
            treated["repeated"],
            treated["actions"],
            holdout["repeated"],
            holdout["actions"],
            method="newcomb",
            compare="diff",
        )
        out["lift"] = treated["repeat_rate"] - holdout["repeat_rate"]
        out["lift_ci_low"], out["lift_ci_high"] = float(low), float(high)
    return out


def backtest(
    ws: Workspace,
    rule: str,
    start: dt.datetime,
    end: dt.datetime,
    window: dt.timedelta = dt.timedelta(days=30),
) -> dict[str, Any]:
    """Who ``rule`` would have messaged with actions due in [start, end), and how they
    retained (repeat purchase rate within ``window`` after the due time). Writes nothing."""
    import dataclasses

    from retentionkit.automations.planner import planned_actions

    stored = store.get_rule(ws, rule)
    as_if = dataclasses.replace(stored, since=start - stored.delay)
    actions = planned_actions(ws, end, [as_if], skip_known=False)
    actions = actions[(actions["due_at"] >= start) & (actions["due_at"] < end)]
    flags = repeat_rate(actions.reset_index(drop=True), _orders(ws), window)
    actions = actions.reset_index(drop=True)
    would = actions["status"] == "pending"
    return {
        "rule": rule,
        "from": start.isoformat(sep=" "),
        "to": end.isoformat(sep=" "),
        "window_days": window.days,
        "would_message": int(would.sum()),
        "customers": int(actions.loc[would, "customer_id"].nunique()),
        "held_out": int((actions["status"] == "held_out").sum()),
        "skipped": int((actions["status"] == "skipped").sum()),
        "repeat_rate_messaged": float(flags[would].mean()) if would.any() else None,
    }
