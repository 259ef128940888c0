"""``retentionkit churn at-risk`` and ``retentionkit churn evaluate``: churn risk on the
workspace (the ``churn train`` / ``churn score`` commands for a user's own feature table live in
:mod:`retentionkit.cli.churn_cmd`; these add to the same ``churn`` group)."""

from __future__ import annotations

import typer

from retentionkit.cli._common import RAW_HELP, check_format, open_workspace, print_frame, print_json


def at_risk(
    ctx: typer.Context,
    as_of: str | None = typer.Option(
        None, "--as-of", help="Score as of this day (default: the day after the latest data)."
    ),
    horizon: str = typer.Option("90d", "--horizon", help="Churn within this horizon, e.g. 90d."),
    top: int | None = typer.Option(None, "--top", help="Only the N riskiest customers."),
    method: str = typer.Option(
        "auto", "--method", help="auto (model with subscriptions, else P(alive)), model or palive."
    ),
    sort: str = typer.Option(
        "value_at_risk", "--sort", help="value_at_risk (money at stake) or risk."
    ),
    min_risk: str = typer.Option(
        "average",
        "--min-risk",
        help="List customers riskier than the average ('average') or with risk ≥ a number "
        "from 0 to 1 (0 lists everyone).",
    ),
    fmt: str = typer.Option("table", "--format", help="table, csv or json."),
    raw: bool = typer.Option(False, "--raw", help=RAW_HELP),
) -> None:
    """The customers most likely to leave: risk, value at risk, reasons, segment."""
    from retentionkit.churn.pipeline import at_risk as compute

    check_format(fmt)
    ws = open_workspace(ctx)
    frame = compute(
        ws, as_of=as_of, horizon=horizon, top=top, method=method, sort=sort, min_risk=min_risk
    )
    if fmt in ("table", "csv"):
        frame = frame.assign(reasons=[" | ".join(r) for r in frame["reasons"]])
    print_frame(frame, fmt, title="customers at risk", raw=raw)


def evaluate(
    ctx: typer.Context,
    horizon: str = typer.Option("90d", "--horizon", help="Churn within this horizon."),
    folds: int = typer.Option(2, "--folds", help="Evaluation cutoffs (latest first)."),
    train_cutoffs: int = typer.Option(
        4, "--train-cutoffs", help="Training cutoffs before each evaluation cutoff."
    ),
    fmt: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Time-based backtest of the churn model: ROC-AUC, PR-AUC, lift, calibration."""
    import pandas as pd

    from retentionkit.churn.pipeline import backtest
    from retentionkit.errors import ConfigError

    check_format(fmt, ("table", "json"))
    if folds < 1 or train_cutoffs < 1:
        raise ConfigError("--folds and --train-cutoffs must be 1 or more.")
    ws = open_workspace(ctx)
    report = backtest(ws, horizon=horizon, folds=folds, train_cutoffs=train_cutoffs)
    if fmt == "json":
        print_json(report)
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
    print_frame(
        pd.DataFrame(rows), "table", title=f"churn backtest, {report['horizon_days']}-day horizon"
    )
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
