"""The automation tables of a workspace, created on first use in one transaction:

* ``automation_rules``: one row per rule (its webhook secret included: signing needs it);
* ``automation_runs``: one row per planning run (when, as of when, how many keys it added);
* ``automation_outbox``: one row per planned action, primary key = the action's key
  (sha256 of rule, customer, occurrence), so a key can only ever be planned once; its
  ``context`` holds the trigger's values as JSON (score, risk, metric value …) for the message;
* ``automation_attempts``: every delivery attempt (started, finished, outcome, detail);
* ``automation_optouts``: customers who unsubscribed;
* ``automation_lock``: the one deliverer's lease.

SQL is written in DuckDB's dialect with bound parameters and runs through
:func:`retentionkit.backends.sql` (translated for PostgreSQL), writes always inside
:func:`retentionkit.backends.transaction`.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from retentionkit import backends
from retentionkit.automations.rules import Rule
from retentionkit.backends import transaction
from retentionkit.clock import utcnow  # re-exported: callers use store.utcnow
from retentionkit.errors import InputError, UnknownNameError

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.workspace import Workspace

__all__ = [
    "OUTBOX_COLUMNS",
    "delete_rule",
    "ensure_tables",
    "get_rule",
    "insert_rule",
    "list_rules",
    "set_status",
    "sql",
    "utcnow",
]

OUTBOX_COLUMNS = (
    "key",
    "rule",
    "customer_id",
    "occurrence",
    "run_id",
    "event_at",
    "due_at",
    "channel",
    "recipient",
    "subject",
    "language",
    "status",
    "reason",
    "failures",
    "next_attempt_at",
    "lease_until",
    "sent_at",
    "created_at",
    "context",
)

_DDL = (
    """CREATE TABLE IF NOT EXISTS automation_rules (
        name VARCHAR PRIMARY KEY, template VARCHAR NOT NULL, trigger VARCHAR NOT NULL,
        delay_seconds BIGINT NOT NULL, channel VARCHAR NOT NULL, since TIMESTAMP NOT NULL,
        unless VARCHAR NOT NULL, recipient_to VARCHAR, url VARCHAR, holdout DOUBLE NOT NULL,
        status VARCHAR NOT NULL, params VARCHAR NOT NULL, webhook_secret VARCHAR,
        created_at TIMESTAMP NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS automation_runs (
        run_id VARCHAR PRIMARY KEY, started_at TIMESTAMP NOT NULL, as_of TIMESTAMP NOT NULL,
        planned INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS automation_outbox (
        key VARCHAR PRIMARY KEY, rule VARCHAR NOT NULL, customer_id VARCHAR NOT NULL,
        occurrence VARCHAR NOT NULL, run_id VARCHAR NOT NULL, event_at TIMESTAMP NOT NULL,
        due_at TIMESTAMP NOT NULL, channel VARCHAR NOT NULL, recipient VARCHAR,
        subject VARCHAR, language VARCHAR NOT NULL, status VARCHAR NOT NULL, reason VARCHAR,
        failures INTEGER NOT NULL, next_attempt_at TIMESTAMP NOT NULL,
        lease_until TIMESTAMP, sent_at TIMESTAMP, created_at TIMESTAMP NOT NULL,
        context VARCHAR)""",
    # outboxes created before the context column (the trigger's values, JSON)
    "ALTER TABLE automation_outbox ADD COLUMN IF NOT EXISTS context VARCHAR",
    """CREATE TABLE IF NOT EXISTS automation_attempts (
        key VARCHAR NOT NULL, attempt_id VARCHAR NOT NULL, started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP, outcome VARCHAR, detail VARCHAR,
        PRIMARY KEY (key, attempt_id))""",
    """CREATE TABLE IF NOT EXISTS automation_optouts (
        customer_id VARCHAR PRIMARY KEY, opted_out_at TIMESTAMP NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS automation_lock (
        name VARCHAR PRIMARY KEY, owner VARCHAR NOT NULL, lease_until TIMESTAMP NOT NULL)""",
)


def sql(ws: Workspace, query: str, params: list[Any] | None = None) -> Any:
    """One statement (DuckDB dialect, ``?`` parameters) on the workspace's backend."""
    return backends.sql(ws.con, query, params)


def ensure_tables(ws: Workspace) -> None:
    """Create the automation tables when missing (once per connection)."""
    backends.ensure_tables(ws.con, "automation_tables", _DDL)


def has_rules(ws: Workspace) -> bool:
    """True when the workspace has an active rule (without creating any table)."""
    if not ws.has_table("automation_rules"):
        return False
    row = sql(ws, "SELECT count(*) FROM automation_rules WHERE status = 'active'").fetchone()
    return bool(row[0])


_RULE_COLUMNS = (
    "name, template, trigger, delay_seconds, channel, since, unless, recipient_to, url, "
    "holdout, status, params, webhook_secret, created_at"
)


def _rule(row: tuple[Any, ...]) -> Rule:
    name, tpl, trig, delay, channel, since, unless, to, url, hold, status, params, sec, at = row
    return Rule(
        name=name,
        template=tpl,
        trigger=trig,
        delay=dt.timedelta(seconds=int(delay)),
        channel=channel,
        since=since,
        unless=tuple(json.loads(unless)),
        to=to,
        url=url,
        holdout=float(hold),
        status=status,
        params=json.loads(params),
        created_at=at,
        webhook_secret=sec,
    )


def insert_rule(ws: Workspace, rule: Rule) -> Rule:
    """Store a new rule; an existing name is an error."""
    ensure_tables(ws)
    with transaction(ws.con):
        if sql(ws, "SELECT 1 FROM automation_rules WHERE name = ?", [rule.name]).fetchone():
            raise InputError(
                f"Rule {rule.name} already exists; delete it first with "
                f"'retentionkit automations delete {rule.name}' or choose another name."
            )
        sql(
            ws,
            f"INSERT INTO automation_rules ({_RULE_COLUMNS}) VALUES ({', '.join('?' * 14)})",
            [
                rule.name,
                rule.template,
                rule.trigger,
                int(rule.delay.total_seconds()),
                rule.channel,
                rule.since,
                json.dumps(list(rule.unless)),
                rule.to,
                rule.url,
                rule.holdout,
                rule.status,
                json.dumps(rule.params),
                rule.webhook_secret,
                utcnow(),
            ],
        )
    return get_rule(ws, rule.name)


def list_rules(ws: Workspace) -> list[Rule]:
    ensure_tables(ws)
    rows = sql(ws, f"SELECT {_RULE_COLUMNS} FROM automation_rules ORDER BY name").fetchall()
    return [_rule(r) for r in rows]


def get_rule(ws: Workspace, name: str) -> Rule:
    """The rule ``name``; an unknown one lists the rules there are."""
    ensure_tables(ws)
    row = sql(ws, f"SELECT {_RULE_COLUMNS} FROM automation_rules WHERE name = ?", [name])
    found = row.fetchone()
    if found is None:
        known = [r.name for r in list_rules(ws)]
        raise UnknownNameError(
            f"Unknown rule {name!r}; "
            + (
                f"expected one of: {', '.join(known)}."
                if known
                else "no rule exists yet; add one with "
                "'retentionkit automations add NAME --template TEMPLATE'."
            )
        )
    return _rule(found)


def set_status(ws: Workspace, name: str, status: str) -> Rule:
    get_rule(ws, name)
    with transaction(ws.con):
        sql(ws, "UPDATE automation_rules SET status = ? WHERE name = ?", [status, name])
    return get_rule(ws, name)


def delete_rule(ws: Workspace, name: str) -> None:
    """Forget the rule and its not yet delivered actions; the delivered log stays."""
    get_rule(ws, name)
    with transaction(ws.con):
        sql(ws, "DELETE FROM automation_rules WHERE name = ?", [name])
        sql(
            ws,
            "UPDATE automation_outbox SET status = 'cancelled', reason = 'rule deleted' "
            "WHERE rule = ? AND status = 'pending'",
            [name],
        )


def opt_out(ws: Workspace, customer_id: str) -> bool:
    """Record an unsubscribe; False when the customer had already opted out."""
    ensure_tables(ws)
    with transaction(ws.con):
        seen = sql(
            ws, "SELECT 1 FROM automation_optouts WHERE customer_id = ?", [customer_id]
        ).fetchone()
        if seen:
            return False
        sql(ws, "INSERT INTO automation_optouts VALUES (?, ?)", [customer_id, utcnow()])
    return True


def opted_out(ws: Workspace) -> set[str]:
    ensure_tables(ws)
    return {r[0] for r in sql(ws, "SELECT customer_id FROM automation_optouts").fetchall()}
