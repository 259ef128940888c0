"""The goal operations: one function per operation, ``(ws, request) -> result``.

The CLI, the REST routes, the dashboard, the report and ``serve``'s daily loop only build a
request (:mod:`retentionkit.goals.model`) and render what these return. Every write is all
or nothing and nothing is written when a check fails.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import pandas as pd

from retentionkit.errors import InputError, NotFoundError
from retentionkit.goals import store
from retentionkit.goals.forecast import FAN_QUANTILES, forecast, unit_bounds
from retentionkit.goals.measure import due_period_end, metric_series, periods_between
from retentionkit.goals.model import (
    CUSTOM_KINDS,
    Goal,
    GoalAddRequest,
    GoalDeleteRequest,
    GoalEvaluateRequest,
    GoalListRequest,
    GoalShowRequest,
    GoalUpdateRequest,
)
from retentionkit.goals.rules import elapsed, progress, status

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.workspace import Workspace

__all__ = [
    "RECORD_KEYS",
    "add_goal",
    "delete_goal",
    "evaluate_goal",
    "evaluate_goals",
    "list_goals",
    "show_goal",
    "update_goal",
]

#: Keys of a goal's JSON record (issue 14, item 3), then the extras.
RECORD_KEYS: tuple[str, ...] = (
    "name",
    "metric",
    "target",
    "due",
    "start_value",
    "current",
    "progress",
    "elapsed",
    "p_hit",
    "status",
    "as_of",
    "period",
    "segment",
)
#: Extra keys after the issue's ones: what the goal is and how p_hit was computed.
EXTRA_KEYS: tuple[str, ...] = ("kind", "direction", "start", "owner", "note", "method")


def _goal(ws: Workspace, name: str) -> Goal:
    goals = store.read_goals(ws)
    if name not in goals:
        listed = ", ".join(goals) or "none yet (add one with 'retentionkit goals add')"
        raise NotFoundError(f"No goal named {name!r}; goals: {listed}.")
    return goals[name]


def _direction(req: GoalAddRequest) -> str:
    if req.direction:
        return req.direction
    if req.kind != "metric":
        return "up"
    from retentionkit.metrics.registry import get_metric

    assert req.metric is not None
    return "down" if get_metric(req.metric).higher_is_better is False else "up"


def _check(goal: Goal) -> None:
    """Checks of a complete goal: the due date after the start, the target not yet reached."""
    if goal.due <= goal.start:
        raise InputError(
            f"Goal {goal.name}: the due date {goal.due} (--by) must be after the start "
            f"{goal.start}."
        )
    yes_no = (None, 0.0, 1.0)
    if goal.kind == "yes_no" and (goal.target not in yes_no or goal.current not in yes_no):
        raise InputError(f"Goal {goal.name}: a yes_no goal's values must be yes or no.")
    if goal.reached(goal.start_value):
        sign = "≥" if goal.direction == "up" else "≤"
        what = goal.metric or "the start value"
        raise InputError(
            f"Goal {goal.name}: the target {goal.target:g} is already reached at the start "
            f"({what} is {goal.start_value:g} {sign} {goal.target:g}); choose a more "
            f"ambitious --target or --direction."
        )


def _fan(goal: Goal, future: list[pd.Timestamp], fan: list[list[float]]) -> str | None:
    if not fan:
        return None
    return json.dumps(
        {
            "period_start": [pd.Timestamp(p).date().isoformat() for p in future],
            "quantiles": list(FAN_QUANTILES),
            "values": fan,
        }
    )


def evaluate_goal(
    ws: Workspace,
    goal: Goal,
    as_of: dt.date,
    *,
    seed: int = 0,
    series: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """One evaluation of ``goal`` as of ``as_of`` (a row of ``goal_evaluations``).

    The current value is the metric over the last complete period ending on or before the
    as-of date — or on or before the due date once it has passed; custom goals take the value
    set by hand. ``p_hit`` forecasts the remaining periods up to the due period."""
    method, p_hit, fan_json = "manual", None, None
    if goal.is_custom:
        current = goal.current if goal.current is not None else goal.start_value
    else:
        effective = min(as_of, goal.due)
        if series is None:
            series = metric_series(ws, goal, effective)
        current = float(series["value"].iloc[-1]) if len(series) else None
        method = "none"
        if len(series) and as_of <= goal.due and not goal.reached(current):
            from retentionkit.metrics.registry import get_metric

            future = periods_between(
                pd.Timestamp(series["period_end"].iloc[-1]), due_period_end(goal), goal.period
            )
            assert goal.metric is not None
            result = forecast(
                series["value"].to_numpy(),
                len(future),
                period=goal.period,
                target=goal.target,
                direction=goal.direction,
                bounds=unit_bounds(get_metric(goal.metric).unit, goal.metric),
                seed=seed,
            )
            method, p_hit, fan_json = result.method, result.p_hit, _fan(goal, future, result.fan)
    prog = progress(current, goal.start_value, goal.target)
    done = elapsed(as_of, goal.start, goal.due)
    return {
        "name": goal.name,
        "as_of": as_of,
        "current": current,
        "progress": prog,
        "elapsed": done,
        "p_hit": p_hit,
        "status": status(
            reached=goal.reached(current),
            as_of=as_of,
            due=goal.due,
            p_hit=p_hit,
            progress_value=prog,
            elapsed_value=done,
        ),
        "method": method,
        "forecast": fan_json,
        "evaluated_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
    }


def record(goal: Goal, evaluation: dict[str, Any] | None) -> dict[str, Any]:
    """The JSON record of a goal and its (latest) evaluation: :data:`RECORD_KEYS`, then
    :data:`EXTRA_KEYS`; dates as ISO strings."""
    ev = evaluation or {}
    as_of = ev.get("as_of")
    values = {
        "name": goal.name,
        "metric": goal.metric,
        "target": goal.target,
        "due": goal.due.isoformat(),
        "start_value": goal.start_value,
        "current": _num(ev.get("current")),
        "progress": _num(ev.get("progress")),
        "elapsed": _num(ev.get("elapsed")),
        "p_hit": _num(ev.get("p_hit")),
        "status": ev.get("status"),
        "as_of": as_of.isoformat() if as_of is not None else None,
        "period": goal.period,
        "segment": goal.segment,
        "kind": goal.kind,
        "direction": goal.direction,
        "start": goal.start.isoformat(),
        "owner": goal.owner,
        "note": goal.note,
        "method": ev.get("method"),
    }
    return {k: values[k] for k in RECORD_KEYS + EXTRA_KEYS}


def _num(value: Any) -> float | None:
    if value is None or pd.isna(value):
        return None
    return float(value)


def add_goal(ws: Workspace, req: GoalAddRequest) -> dict[str, Any]:
    """Add a goal and store its first evaluation (as of its start date); returns its record."""
    if req.name in store.read_goals(ws):
        raise InputError(
            f"A goal named {req.name!r} already exists; choose another name or change it "
            f"with 'retentionkit goals update {req.name}'."
        )
    start = req.start_date()
    goal = Goal(
        name=req.name,
        kind=req.kind,
        metric=req.metric,
        period=req.period,
        segment=req.segment if req.kind == "metric" else None,
        customer_definition=req.customer_definition if req.kind == "metric" else None,
        direction=_direction(req),
        target=req.target,
        due=req.by,
        start=start,
        start_value=req.start_value if req.start_value is not None else 0.0,
        owner=req.owner,
        note=req.note,
    )
    if goal.due <= goal.start:
        _check(goal)
    series = None
    if not goal.is_custom:
        series = metric_series(ws, goal, start)  # also checks the metric, segment and tables
        if req.start_value is None:
            if series.empty:
                raise InputError(
                    f"Goal {goal.name}: no complete {goal.period} of {goal.metric} ends on or "
                    f"before the start {start}; give --start-value X or a later --start."
                )
            goal = dataclasses.replace(goal, start_value=float(series["value"].iloc[-1]))
    _check(goal)
    first = evaluate_goal(ws, goal, start, series=series)
    store.write_goal(ws, goal, [first])
    return record(goal, first)


def update_goal(ws: Workspace, req: GoalUpdateRequest) -> dict[str, Any]:
    """Change a goal's target, due date, direction, owner, note or (custom goals) current
    value, then re-evaluate it as of ``req.as_of`` (default today); returns its record."""
    goal = _goal(ws, req.name)
    changes = req.changes()
    if "current" in changes and not goal.is_custom:
        raise InputError(
            f"Goal {goal.name} tracks {goal.metric}, whose value comes from the data; --current "
            f"applies only to custom goals (--kind {'|'.join(CUSTOM_KINDS)})."
        )
    if not changes:
        raise InputError(
            f"Goal {goal.name}: nothing to change; give --current, --target, --by, "
            "--direction, --owner or --note."
        )
    goal = dataclasses.replace(goal, **changes)
    _check(goal)
    from retentionkit.goals.model import today

    evaluation = evaluate_goal(ws, goal, req.as_of or today())
    store.write_goal(ws, goal, [evaluation], replace=True)
    return record(goal, evaluation)


def delete_goal(ws: Workspace, req: GoalDeleteRequest) -> dict[str, Any]:
    """Delete a goal and its history."""
    _goal(ws, req.name)
    store.delete_goal_rows(ws, req.name)
    return {"name": req.name, "deleted": True}


def _latest(ws: Workspace) -> dict[str, dict[str, Any]]:
    history = store.read_evaluations(ws)
    if history.empty:
        return {}
    last = history.groupby("name", sort=False).tail(1)
    return {rec["name"]: rec for rec in last.to_dict("records")}


def list_goals(ws: Workspace, req: GoalListRequest | None = None) -> list[dict[str, Any]]:
    """Every goal with its latest stored evaluation (the records of ``goals list``)."""
    latest = _latest(ws)
    return [record(goal, latest.get(name)) for name, goal in store.read_goals(ws).items()]


def evaluate_goals(ws: Workspace, req: GoalEvaluateRequest) -> list[dict[str, Any]]:
    """Evaluate every goal (or ``req.names``) as of ``req.as_of`` (default today) and store
    the evaluations in one transaction, replacing any of the same as-of date."""
    goals = store.read_goals(ws)
    for name in req.names:
        if name not in goals:
            raise NotFoundError(f"No goal named {name!r}; goals: {', '.join(goals) or 'none'}.")
    chosen = [goals[n] for n in (req.names or tuple(goals))]
    as_of = req.date()
    evaluations = [evaluate_goal(ws, goal, as_of, seed=req.seed) for goal in chosen]
    if evaluations:
        store.write_evaluations(ws, evaluations)
    return [record(g, ev) for g, ev in zip(chosen, evaluations, strict=True)]


def show_goal(ws: Workspace, req: GoalShowRequest) -> dict[str, Any]:
    """A goal with its history: ``{"goal": record, "history": [...], "series": [...],
    "forecast": {...} | None}``. ``series`` is the metric per complete period (from two
    periods before the start to the latest evaluation) — or, for custom goals, the history;
    ``forecast`` is the fan of the latest evaluation that made one (with its ``as_of``)."""
    goal = _goal(ws, req.name)
    history = store.read_evaluations(ws, goal.name)
    rows = history.to_dict("records")
    latest = rows[-1] if rows else None
    out_history = [
        {
            "as_of": r["as_of"].isoformat(),
            "current": _num(r["current"]),
            "progress": _num(r["progress"]),
            "p_hit": _num(r["p_hit"]),
            "status": r["status"],
        }
        for r in rows
    ]
    series: list[dict[str, Any]] = []
    if not goal.is_custom and latest is not None:
        from retentionkit.metrics.periods import floor, shift

        frame = metric_series(ws, goal, min(latest["as_of"], goal.due))
        first = shift(floor(pd.Timestamp(goal.start), goal.period), goal.period, -2)
        frame = frame[pd.to_datetime(frame["period_start"]) >= first]
        series = [
            {"period_start": pd.Timestamp(p).date().isoformat(), "value": float(v)}
            for p, v in zip(frame["period_start"], frame["value"], strict=True)
        ]
    else:
        series = [{"period_start": h["as_of"], "value": h["current"]} for h in out_history]
    fan = None
    for row in reversed(rows):  # the latest forecast (a goal past its due date has none)
        if isinstance(row["forecast"], str) and row["forecast"]:
            fan = json.loads(row["forecast"]) | {"as_of": row["as_of"].isoformat()}
            break
    return {
        "goal": record(goal, latest),
        "history": out_history,
        "series": series,
        "forecast": fan,
    }
