"""``retentionkit goals …``: add, update, list, show, evaluate and delete goals.

Thin: each command builds one request of :mod:`retentionkit.goals.model`, runs it with
:func:`retentionkit.service.run` and renders the result: JSON and CSV through
:mod:`retentionkit.service.serialize` like every command; tables with Rich progress bars.
"""

from __future__ import annotations

from typing import Any

import typer

from retentionkit.cli._common import (
    check_format,
    console,
    format_option,
    open_workspace,
    print_frame,
    print_json,
)
from retentionkit.service.options import (
    GOAL_CUSTOM_KINDS,
    GOAL_DIRECTIONS,
    GOAL_PERIODS,
    one_of,
)

goals_app = typer.Typer(
    help="Goals on any KPI (or set by hand): progress, status, history, p_hit.",
    no_args_is_help=True,
)

STATUS_STYLE = {
    "achieved": "bold green",
    "on_track": "green",
    "at_risk": "yellow",
    "off_track": "red",
    "missed": "bold red",
}


def _given(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def _num(value: Any, fmt: str = ",.2f") -> str:
    return "" if value is None else format(value, fmt)


def _run(ctx: typer.Context, request: Any) -> Any:
    """The request's answer (:func:`retentionkit.service.run`)."""
    from retentionkit.service import run

    return run(open_workspace(ctx), request).report


def _print_records(records: list[dict[str, Any]], fmt: str, title: str) -> None:
    """Records as JSON, CSV (the shared CSV writer), or a Rich table with a progress bar per
    goal."""
    if fmt == "json":
        print_json(records)
        return
    if fmt == "csv":
        import pandas as pd

        from retentionkit.goals.service import EXTRA_KEYS, RECORD_KEYS

        print_frame(pd.DataFrame(records, columns=[*RECORD_KEYS, *EXTRA_KEYS]), "csv")
        return
    from rich.progress_bar import ProgressBar
    from rich.table import Table
    from rich.text import Text

    from retentionkit.goals.rules import bar_percent

    table = Table(title=Text(title))
    for col in ("goal", "metric", "current", "target", "progress", "", "due", "p_hit", "status"):
        table.add_column(col, overflow="fold")
    for r in records:
        pct = bar_percent(r["progress"])
        what = f"{r['metric']} ({r['period']})" if r["metric"] else r["kind"]
        if r["segment"]:
            what += f" {r['segment']}"
        table.add_row(
            Text(r["name"]),  # user text: never read as Rich markup
            Text(what),
            _num(r["current"]),
            ("≥ " if r["direction"] == "up" else "≤ ") + _num(r["target"]),
            ProgressBar(total=100, completed=pct, width=20),
            f"{pct:.0f} %",
            r["due"],
            _num(r["p_hit"], ".2f"),
            Text(r["status"] or "—", style=STATUS_STYLE.get(r["status"] or "", "")),
        )
    console().print(table)


@goals_app.command("add")
def add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Unique name of the goal."),
    metric: str | None = typer.Option(None, "--metric", help="A metric of the registry."),
    target: str = typer.Option(..., "--target", help="Target value (yes/no for yes_no goals)."),
    by: str = typer.Option(..., "--by", help="Due date, YYYY-MM-DD."),
    period: str = typer.Option("month", "--period", help=f"{one_of(GOAL_PERIODS)}."),
    segment: str | None = typer.Option(None, "--segment", help="ATTRIBUTE=VALUE."),
    customer_definition: str | None = typer.Option(
        None, "--customer-definition", help="activity or contractual (default: the workspace's)."
    ),
    start: str | None = typer.Option(None, "--start", help="Start date (default today)."),
    start_value: str | None = typer.Option(
        None, "--start-value", help="Default: the metric over the last complete period."
    ),
    direction: str | None = typer.Option(
        None,
        "--direction",
        help=f"{one_of(GOAL_DIRECTIONS)} (default: the metric's better direction).",
    ),
    owner: str | None = typer.Option(None, "--owner"),
    note: str | None = typer.Option(None, "--note"),
    kind: str = typer.Option(
        "metric", "--kind", help=f"metric, or {one_of(GOAL_CUSTOM_KINDS)} for a value set by hand."
    ),
) -> None:
    """Add a goal; it is evaluated at once as of its start date."""
    from retentionkit.goals import GoalAddRequest, build_request

    req = build_request(
        GoalAddRequest,
        **_given(
            name=name,
            metric=metric,
            target=target,
            by=by,
            period=period,
            segment=segment,
            customer_definition=customer_definition,
            start=start,
            start_value=start_value,
            direction=direction,
            owner=owner,
            note=note,
            kind=kind,
        ),
    )
    rec = _run(ctx, req)
    _print_records([rec], "table", f"goal {rec['name']} added")


@goals_app.command("update")
def update(
    ctx: typer.Context,
    name: str = typer.Argument(...),
    current: str | None = typer.Option(None, "--current", help="Custom goals: the value now."),
    target: str | None = typer.Option(None, "--target"),
    by: str | None = typer.Option(None, "--by", help="New due date."),
    direction: str | None = typer.Option(None, "--direction", help=f"{one_of(GOAL_DIRECTIONS)}."),
    owner: str | None = typer.Option(None, "--owner"),
    note: str | None = typer.Option(None, "--note"),
    as_of: str | None = typer.Option(None, "--as-of", help="Re-evaluate as of (default today)."),
) -> None:
    """Change a goal (only the given fields), then re-evaluate it."""
    from retentionkit.goals import GoalUpdateRequest, build_request

    req = build_request(
        GoalUpdateRequest,
        **_given(
            name=name,
            current=current,
            target=target,
            by=by,
            direction=direction,
            owner=owner,
            note=note,
            as_of=as_of,
        ),
    )
    rec = _run(ctx, req)
    _print_records([rec], "table", f"goal {rec['name']} updated")


@goals_app.command("list")
def list_(
    ctx: typer.Context,
    fmt: str = format_option(),
) -> None:
    """Every goal with its latest evaluation."""
    from retentionkit.goals import GoalListRequest

    check_format(fmt)
    _print_records(_run(ctx, GoalListRequest()), fmt, "goals")


@goals_app.command("show")
def show(
    ctx: typer.Context,
    name: str = typer.Argument(...),
    fmt: str = format_option(),
) -> None:
    """A goal and its history of evaluations."""
    from retentionkit.goals import GoalShowRequest, build_request

    check_format(fmt)
    detail = _run(ctx, build_request(GoalShowRequest, name=name))
    if fmt == "json":
        print_json(detail)
        return
    import pandas as pd

    history = pd.DataFrame(detail["history"], columns=["as_of", "current", "progress", "p_hit"])
    history["status"] = [h["status"] for h in detail["history"]]
    if fmt == "csv":
        print_frame(history, "csv")
        return
    _print_records([detail["goal"]], "table", f"goal {name}")
    print_frame(history, "table", title="history")


@goals_app.command("evaluate")
def evaluate(
    ctx: typer.Context,
    as_of: str | None = typer.Option(None, "--as-of", help="Evaluate as of (default today)."),
    fmt: str = format_option(),
) -> None:
    """Evaluate every goal as of a date and store it (again for the same date replaces)."""
    from retentionkit.goals import GoalEvaluateRequest, build_request

    check_format(fmt)
    req = build_request(GoalEvaluateRequest, **_given(as_of=as_of))
    records = _run(ctx, req)
    _print_records(records, fmt, f"goals as of {req.date()}")


@goals_app.command("delete")
def delete(ctx: typer.Context, name: str = typer.Argument(...)) -> None:
    """Delete a goal and its history."""
    from retentionkit.goals import GoalDeleteRequest, build_request

    _run(ctx, build_request(GoalDeleteRequest, name=name))
    console().print(f"Deleted goal {name}.")


def register(app: typer.Typer) -> None:
    app.add_typer(goals_app, name="goals")
