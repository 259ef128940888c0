"""The planner: due actions from the data, inserted exactly once.

For every active rule, :func:`retentionkit.automations.triggers.events` gives the due events;
each gets the key ``sha256(rule, customer, occurrence)`` (:func:`.guards.action_key`). Keys
already in ``automation_outbox`` are dropped (an anti-join), and the remaining rows are inserted
with ``INSERT … ON CONFLICT (key) DO NOTHING`` in the same transaction that records the
planning run in ``automation_runs``: a crash leaves either the run and all its rows or neither,
and the primary key makes a second planning of the same key impossible.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from retentionkit.automations import store
from retentionkit.automations.cache import one_pass
from retentionkit.automations.guards import action_key, after_quiet_hours, in_holdout
from retentionkit.automations.messages import subject_for
from retentionkit.automations.rules import Rule
from retentionkit.automations.settings import automation_settings
from retentionkit.automations.triggers import events
from retentionkit.backends import insert_frame, transaction

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.workspace import Workspace

__all__ = ["PLAN_COLUMNS", "PlanResult", "plan", "planned_actions"]

#: Columns of a dry run / a plan.
PLAN_COLUMNS = [
    "rule",
    "customer_id",
    "key",
    "due_at",
    "channel",
    "recipient",
    "subject",
    "status",
    "reason",
]


@dataclass(frozen=True)
class PlanResult:
    run_id: str
    planned: int
    actions: pd.DataFrame


def _customers(ws: Workspace) -> pd.DataFrame:
    if not ws.has_table("customers"):
        return pd.DataFrame(columns=["email", "language", "timezone"])
    t = ws.table("customers")
    cols = ["customer_id"] + [c for c in ("email", "language", "timezone") if c in t.columns]
    frame = t.select(*cols).execute()
    frame["customer_id"] = frame["customer_id"].astype(str)
    return frame.set_index("customer_id")


def _existing(ws: Workspace) -> pd.DataFrame:
    rows = store.sql(
        ws,
        "SELECT key, customer_id, due_at, status, recipient FROM automation_outbox",
    ).fetchall()
    return pd.DataFrame(rows, columns=["key", "customer_id", "due_at", "status", "recipient"])


def planned_actions(
    ws: Workspace, as_of: dt.datetime, rules: list[Rule], *, skip_known: bool = True
) -> pd.DataFrame:
    """The new actions (keys not yet in the outbox) of ``rules`` as of ``as_of``, with their
    guard-rail status; writes nothing. ``skip_known=False`` (backtests) ignores the outbox."""
    store.ensure_tables(ws)
    conf = automation_settings(ws.settings)
    customers = _customers(ws)
    opted = store.opted_out(ws)
    existing = _existing(ws)
    if not skip_known:
        existing = existing.iloc[0:0]
    known = set(existing["key"])
    # messages per customer already planned or sent (for the cap)
    capped = existing[existing["status"].isin(["pending", "sent", "dead"])]
    last_by_customer: dict[str, list[dt.datetime]] = {}
    for cust, due in zip(capped["customer_id"], capped["due_at"], strict=True):
        last_by_customer.setdefault(str(cust), []).append(pd.Timestamp(due).to_pydatetime())
    rows: list[dict[str, Any]] = []
    with one_pass():
        every = [(rule, events(ws, rule, as_of)) for rule in rules]
    for rule, ev in every:
        for cust, occ, event_at, due_at, context in ev.itertuples(index=False):
            key = action_key(rule.name, cust, occ)
            if key in known:
                continue
            known.add(key)
            info = customers.loc[cust] if cust in customers.index else None
            lang = _attr(info, "language") or "en"
            zone = _attr(info, "timezone") or ws.settings.timezone
            due = pd.Timestamp(due_at).to_pydatetime()
            status, reason = "pending", None
            recipient: str | None
            if rule.channel == "email":
                recipient = rule.to or _attr(info, "email")
            elif rule.channel == "webhook":
                recipient = rule.url
            else:
                recipient = None
            to_customer = rule.channel == "email" and not rule.team
            if to_customer:
                due = after_quiet_hours(due, _zone(zone, ws.settings.timezone), conf.quiet_hours)
            if in_holdout(cust, rule.name, rule.holdout):
                status, reason = "held_out", f"holdout {rule.holdout:.0%}"
            elif rule.channel == "email" and not recipient:
                status, reason = "skipped", "no email address"
            elif to_customer and cust in opted:
                status, reason = "skipped", "unsubscribed"
            elif to_customer:
                sent = last_by_customer.setdefault(cust, [])
                if any(abs(due - other) < conf.frequency_cap for other in sent):
                    status, reason = "skipped", "frequency cap"
                else:
                    sent.append(due)
            rows.append(
                {
                    "key": key,
                    "rule": rule.name,
                    "customer_id": cust,
                    "occurrence": occ,
                    "event_at": pd.Timestamp(event_at).to_pydatetime(),
                    "due_at": due,
                    "channel": rule.channel,
                    "recipient": recipient,
                    "subject": subject_for(
                        rule,
                        lang,
                        cust,
                        **{
                            "occurrence": occ,
                            "ends_on": pd.Timestamp(event_at).date().isoformat(),
                            **(context or {}),
                        },
                    ),
                    "language": lang,
                    "status": status,
                    "reason": reason,
                    "context": json.dumps(context or {}, sort_keys=True, default=str),
                }
            )
    frame = pd.DataFrame(
        rows,
        columns=[
            "key",
            "rule",
            "customer_id",
            "occurrence",
            "event_at",
            "due_at",
            "channel",
            "recipient",
            "subject",
            "language",
            "status",
            "reason",
            "context",
        ],
    )
    return frame


def _attr(info: Any, name: str) -> str | None:
    if info is None or name not in info.index:
        return None
    value = info[name]
    return None if value is None or pd.isna(value) or not str(value).strip() else str(value)


def _zone(zone: str, fallback: str) -> str:
    from retentionkit.config import _is_zone

    return zone if _is_zone(zone) else fallback


def active_rules(ws: Workspace, names: list[str] | None = None) -> list[Rule]:
    return [
        r
        for r in store.list_rules(ws)
        if r.status == "active" and (names is None or r.name in names)
    ]


def plan(ws: Workspace, as_of: dt.datetime | None = None) -> PlanResult:
    """Plan every active rule as of ``as_of`` (default now): new keys go into the outbox in
    the transaction that records the run."""
    store.ensure_tables(ws)
    now = store.utcnow()
    as_of = as_of or now
    rules = active_rules(ws)
    actions = planned_actions(ws, as_of, rules)
    run_id = uuid.uuid4().hex
    with transaction(ws.con):
        store.sql(
            ws,
            "INSERT INTO automation_runs VALUES (?, ?, ?, ?)",
            [run_id, now, as_of, len(actions)],
        )
        if not actions.empty:
            frame = actions.assign(
                run_id=run_id,
                failures=0,
                next_attempt_at=actions["due_at"],
                lease_until=pd.NaT,
                sent_at=pd.NaT,
                created_at=now,
            )[list(store.OUTBOX_COLUMNS)]
            for col in ("event_at", "due_at", "next_attempt_at", "lease_until", "sent_at"):
                frame[col] = pd.to_datetime(frame[col]).astype("datetime64[us]")
            insert_frame(
                ws.con,
                "automation_outbox",
                frame,
                store.OUTBOX_COLUMNS,
                conflict="ON CONFLICT (key) DO NOTHING",
            )
    return PlanResult(run_id, len(actions), actions)
