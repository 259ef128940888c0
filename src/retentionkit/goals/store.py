"""Goals and their evaluation history in the workspace: tables ``goals`` (one row per goal,
keyed by name) and ``goal_evaluations`` (one row per goal and as-of date).

Both are created on first use through the workspace's Ibis connection (so they live wherever
the workspace lives); reads are Ibis expressions. Ibis has no DELETE, so deletions are one
statement built with sqlglot and run by :func:`retentionkit.backends.sql`. Every change runs inside
:func:`retentionkit.backends.transaction`: all or nothing. An evaluation replaces the row of
the same (name, as_of): evaluating twice for a date keeps one row.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import asdict, fields
from typing import TYPE_CHECKING, Any

import pandas as pd

from retentionkit.backends import sql
from retentionkit.goals.model import Goal

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.workspace import Workspace

__all__ = [
    "EVALUATIONS",
    "GOALS",
    "delete_goal_rows",
    "ensure_tables",
    "has_goals",
    "read_evaluations",
    "read_goals",
    "write_evaluations",
    "write_goal",
]

GOALS = "goals"
EVALUATIONS = "goal_evaluations"

_GOAL_COLUMNS = {
    "name": "string",
    "kind": "string",
    "metric": "string",
    "period": "string",
    "segment": "string",
    "customer_definition": "string",
    "direction": "string",
    "target": "float64",
    "due": "date",
    "start": "date",
    "start_value": "float64",
    "current": "float64",
    "owner": "string",
    "note": "string",
    "updated_at": "timestamp",
}
_EVALUATION_COLUMNS = {
    "name": "string",
    "as_of": "date",
    "current": "float64",
    "progress": "float64",
    "elapsed": "float64",
    "p_hit": "float64",
    "status": "string",
    "method": "string",
    "forecast": "string",  # JSON: the fan's quantiles per future period
    "evaluated_at": "timestamp",
}
_SCHEMAS = {GOALS: _GOAL_COLUMNS, EVALUATIONS: _EVALUATION_COLUMNS}


def has_goals(ws: Workspace) -> bool:
    """Whether the workspace holds at least one goal (never creates a table)."""
    if not ws.has_table(GOALS):  # listed without Ibis when the file is not open yet
        return False
    return int(ws.con.table(GOALS).count().execute()) > 0


def ensure_tables(ws: Workspace) -> None:
    """Create the two tables when missing (on PostgreSQL, processes creating them at the same
    moment take turns: :func:`retentionkit.backends.serialize_writers`)."""
    import ibis

    from retentionkit.backends import serialize_writers, transaction

    if set(_SCHEMAS) <= set(ws.con.list_tables()):
        return
    with transaction(ws.con):
        serialize_writers(ws.con, "goals")
        present = set(ws.con.list_tables())  # again, after the lock
        for name, columns in _SCHEMAS.items():
            if name not in present:
                ws.con.create_table(name, schema=ibis.schema(columns))


def _day(value: Any) -> dt.date | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    return pd.Timestamp(value).date()


def _plain(value: Any) -> Any:
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if hasattr(value, "item") else value


def read_goals(ws: Workspace) -> dict[str, Goal]:
    """Every stored goal by name (in name order)."""
    if not ws.has_table(GOALS):  # listed without Ibis when the file is not open yet
        return {}
    frame = ws.con.table(GOALS).order_by("name").execute()
    names = [f.name for f in fields(Goal)]
    out = {}
    for rec in frame.to_dict("records"):
        row = {k: _plain(rec.get(k)) for k in names}
        row["due"], row["start"] = _day(rec["due"]), _day(rec["start"])
        out[row["name"]] = Goal(**row)
    return out


def read_evaluations(ws: Workspace, name: str | None = None) -> pd.DataFrame:
    """The evaluation history (of one goal with ``name``), oldest first."""
    if not ws.has_table(EVALUATIONS):
        return pd.DataFrame(columns=list(_EVALUATION_COLUMNS))
    t = ws.con.table(EVALUATIONS)
    if name is not None:
        t = t.filter(t.name == name)
    frame = t.order_by(["name", "as_of"]).execute()
    frame["as_of"] = [_day(v) for v in frame["as_of"]]
    return frame


def _delete(ws: Workspace, table: str, name: str, as_of: Iterable[dt.date] = ()) -> None:
    import sqlglot as sg
    import sqlglot.expressions as sge

    cond = sge.column("name").eq(sge.Literal.string(name))
    days = [sge.Cast(this=sge.Literal.string(d.isoformat()), to="DATE") for d in as_of]
    if days:
        cond = sge.and_(cond, sge.column("as_of").isin(*days))
    statement = sg.delete(table, where=cond).sql(dialect="duckdb")
    sql(ws.con, statement)  # translated for PostgreSQL by backends.sql


def _insert(ws: Workspace, table: str, rows: list[dict[str, Any]]) -> None:
    import ibis

    columns = _SCHEMAS[table]
    frame = pd.DataFrame([{c: row.get(c) for c in columns} for row in rows], columns=list(columns))
    ws.con.insert(table, ibis.memtable(frame, schema=ibis.schema(columns)))


def write_goal(
    ws: Workspace, goal: Goal, evaluations: list[dict[str, Any]], *, replace: bool = False
) -> None:
    """Store ``goal`` (replacing the stored one with ``replace``) and ``evaluations``, in one
    transaction."""
    from retentionkit.backends import serialize_writers, transaction

    ensure_tables(ws)
    row = asdict(goal) | {"updated_at": dt.datetime.now(dt.UTC).replace(tzinfo=None)}
    with transaction(ws.con, data=True):
        serialize_writers(ws.con, "goals")
        if replace:
            _delete(ws, GOALS, goal.name)
        _insert(ws, GOALS, [row])
        _write_evaluations(ws, evaluations)


def _write_evaluations(ws: Workspace, evaluations: list[dict[str, Any]]) -> None:
    by_name: dict[str, list[dt.date]] = {}
    for ev in evaluations:
        by_name.setdefault(ev["name"], []).append(ev["as_of"])
    for name, days in by_name.items():
        _delete(ws, EVALUATIONS, name, days)
    if evaluations:
        _insert(ws, EVALUATIONS, evaluations)


def write_evaluations(ws: Workspace, evaluations: list[dict[str, Any]]) -> None:
    """Upsert evaluations on (name, as_of), all in one transaction."""
    from retentionkit.backends import serialize_writers, transaction

    ensure_tables(ws)
    with transaction(ws.con, data=True):
        serialize_writers(ws.con, "goals")
        _write_evaluations(ws, evaluations)


def delete_goal_rows(ws: Workspace, name: str) -> None:
    """Remove a goal and its history, in one transaction."""
    from retentionkit.backends import serialize_writers, transaction

    ensure_tables(ws)
    with transaction(ws.con, data=True):
        serialize_writers(ws.con, "goals")
        _delete(ws, EVALUATIONS, name)
        _delete(ws, GOALS, name)
