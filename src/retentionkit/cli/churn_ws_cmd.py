"""``retentionkit churn at-risk`` and ``retentionkit churn evaluate``: churn risk on the
workspace (the ``churn train`` / ``churn score`` commands for a user's own feature table live in
:mod:`retentionkit.cli.churn_cmd`; these add to the same ``churn`` group)."""

from __future__ import annotations

import typer

from retentionkit.cli._common import (
    check_format,
    format_option,
    open_workspace,
    print_frame,
    print_report,
    raw_option,
)
from retentionkit.service.options import CHURN_METHODS, CHURN_SORTS, one_of


def at_risk(
    ctx: typer.Context,
    as_of: str | None = typer.Option(
        None, "--as-of", help="Score as of this day (default: the day after the latest data)."
    ),
    horizon: str = typer.Option("90d", "--horizon", help="Churn within this horizon, e.g. 90d."),
    top: int | None = typer.Option(None, "--top", help="Only the N riskiest customers."),
    method: str = typer.Option(
        "auto",
        "--method",
        help=f"{one_of(CHURN_METHODS)}: auto is a model with subscriptions, else 1 − P(alive).",
    ),
    sort: str = typer.Option(
        "value_at_risk", "--sort", help=f"{one_of(CHURN_SORTS)} (value at risk: money at stake)."
    ),
    min_risk: str = typer.Option(
        "average",
        "--min-risk",
        help="List customers riskier than the average ('average') or with risk ≥ a number "
        "from 0 to 1 (0 lists everyone).",
    ),
    fmt: str = format_option(),
    raw: bool = raw_option(),
) -> None:
    """The customers most likely to leave: risk, value at risk, reasons, segment.

    In CSV and tables the reasons are joined with " | "; in JSON they are a list."""
    from retentionkit.service import ChurnAtRiskRequest, run

    check_format(fmt)
    request = ChurnAtRiskRequest(
        as_of=as_of, horizon=horizon, top=top, method=method, sort=sort, min_risk=min_risk
    )
    result = run(open_workspace(ctx), request)
    print_frame(result.frame, fmt, title=result.title, raw=raw)


def evaluate(
    ctx: typer.Context,
    horizon: str = typer.Option("90d", "--horizon", help="Churn within this horizon."),
    folds: int = typer.Option(2, "--folds", help="Evaluation cutoffs (latest first)."),
    train_cutoffs: int = typer.Option(
        4, "--train-cutoffs", help="Training cutoffs before each evaluation cutoff."
    ),
    fmt: str = format_option(),
) -> None:
    """Time-based backtest of the churn model: ROC-AUC, PR-AUC, lift, calibration.

    CSV: one row per evaluation cutoff."""
    import pandas as pd

    from retentionkit.service import ChurnBacktestRequest, run

    check_format(fmt)
    request = ChurnBacktestRequest(horizon=horizon, folds=folds, train_cutoffs=train_cutoffs)
    result = run(open_workspace(ctx), request)
    report = result.report
    if fmt == "json":
        print_report(report, fmt)
        return
    rows = [
        {
            k: f.get(k)
            for k in (
                "cutoff",
                "train_rows",
                "test_rows",
                "churn_rate",
                "model",
                "roc_auc",
                "pr_auc",
                "lift_top10",
                "brier",
            )
        }
        for f in report["folds"]
    ]
    if fmt == "csv":
        print_frame(pd.DataFrame(rows), "csv")
        return
    print_frame(pd.DataFrame(rows), "table", title=result.title)
    for fold in report["folds"]:
        table = fold.get("calibration")
        if table:
            print_frame(
                pd.DataFrame(table), "table", title=f"calibration at cutoff {fold['cutoff']}"
            )


def register(app: typer.Typer) -> None:
    from retentionkit.cli.churn_cmd import churn_app

    churn_app.command("at-risk")(at_risk)
    churn_app.command("evaluate")(evaluate)
