"""``retentionkit clv fit | predict | evaluate``: probabilistic CLV on the workspace."""

from __future__ import annotations

from pathlib import Path

import typer

from retentionkit.cli._common import RAW_HELP, check_format, open_workspace, print_frame, print_json

clv_app = typer.Typer(
    help="Probabilistic customer lifetime value (BG/NBD, MBG/NBD, Pareto/NBD, Gamma-Gamma).",
    no_args_is_help=True,
)


@clv_app.command("fit")
def fit(
    ctx: typer.Context,
    model: str = typer.Option("bgnbd", "--model", help="bgnbd, mbgnbd, paretonbd or gamma-gamma."),
    time_unit: str = typer.Option("week", "--time-unit", help="day, week or month."),
    observation_end: str | None = typer.Option(
        None, "--observation-end", help="Last day of data to use (default: the last order day)."
    ),
    penalizer: float = typer.Option(
        0.0, "--penalizer", help="L2 penalty on the parameters (e.g. 0.01 for thin data)."
    ),
    model_out: Path | None = typer.Option(
        None, "--model-out", help="Save the fitted model (JSON)."
    ),
    fmt: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Fit a model on the orders; print params, standard errors, log-likelihood."""
    from retentionkit.clv import workflow

    check_format(fmt, ("table", "json"))
    ws = open_workspace(ctx)
    fitted = workflow.fit(
        ws, model, time_unit=time_unit, observation_end=observation_end, penalizer=penalizer
    )
    report = workflow.fit_report(fitted.model)
    if model_out is not None:
        fitted.model.save(model_out)
    if fmt == "json":
        print_json(report)
        return
    print_frame(
        fitted.model.summary(),
        "table",
        title=f"{report['model']} on {report['n_customers']:,} customers, "
        f"log-likelihood {report['log_likelihood']:,.2f}",
    )


@clv_app.command("predict")
def predict(
    ctx: typer.Context,
    model: str = typer.Option("bgnbd", "--model", help="bgnbd, mbgnbd or paretonbd."),
    spend_model: str = typer.Option("gamma-gamma", "--spend-model", help="gamma-gamma."),
    horizon: float = typer.Option(..., "--horizon", help="Prediction horizon in time units."),
    time_unit: str = typer.Option("week", "--time-unit", help="day, week or month."),
    observation_end: str | None = typer.Option(None, "--observation-end"),
    margin: float = typer.Option(1.0, "--margin", help="Gross margin in (0, 1]."),
    discount_rate: float = typer.Option(
        0.01,
        "--discount-rate",
        help="Monthly discount rate (lifetimes' convention; 0.01 = 1 % a month).",
    ),
    penalizer: float = typer.Option(0.0, "--penalizer"),
    model_file: Path | None = typer.Option(
        None, "--model-file", help="Use a model saved by 'clv fit --model-out' instead of fitting."
    ),
    fmt: str = typer.Option("csv", "--format", help="csv, json or table."),
    raw: bool = typer.Option(False, "--raw", help=RAW_HELP),
) -> None:
    """Per customer: expected purchases, P(alive), expected spend and CLV over the horizon."""
    from retentionkit.clv import workflow
    from retentionkit.clv.models.base import BaseFitter
    from retentionkit.errors import InputError

    check_format(fmt)
    ws = open_workspace(ctx)
    fitted = None
    if model_file is not None:
        if not model_file.exists():
            raise InputError(f"{model_file}: model file not found.")
        fitted = BaseFitter.load(model_file)
        model = fitted.model_name
    frame = workflow.predict(
        ws,
        model=model,
        spend_model=spend_model,
        horizon=horizon,
        time_unit=time_unit,
        observation_end=observation_end,
        margin=margin,
        discount_rate=discount_rate,
        penalizer=penalizer,
        fitted=fitted,
    )
    print_frame(frame, fmt, title=f"CLV over {horizon:g} {time_unit}s", raw=raw)


@clv_app.command("evaluate")
def evaluate(
    ctx: typer.Context,
    calibration_end: str = typer.Option(..., "--calibration-end"),
    observation_end: str = typer.Option(..., "--observation-end"),
    model: str = typer.Option(
        "auto", "--model", help="auto (lowest holdout error), bgnbd, mbgnbd or paretonbd."
    ),
    time_unit: str = typer.Option("week", "--time-unit", help="day, week or month."),
    penalizer: float = typer.Option(0.0, "--penalizer"),
    fmt: str = typer.Option("table", "--format", help="table or json."),
) -> None:
    """Holdout check: fit on the calibration window, compare with the holdout purchases."""
    import pandas as pd

    from retentionkit.clv import workflow

    check_format(fmt, ("table", "json"))
    ws = open_workspace(ctx)
    result = workflow.evaluate(
        ws,
        calibration_end=calibration_end,
        observation_end=observation_end,
        model=model,
        time_unit=time_unit,
        penalizer=penalizer,
    )
    if fmt == "json":
        print_json(result)
        return
    typer.echo(
        f"chosen model: {result['model']}  params: "
        + ", ".join(f"{k}={v:.4g}" for k, v in result["params"].items())
    )
    typer.echo(
        f"holdout repeat purchases: actual {result['total_actual']:,.0f}, predicted "
        f"{result['total_predicted']:,.1f}; MAE per customer {result['mae']:.4f}"
    )
    print_frame(pd.DataFrame(result["candidates"]), "table", title="candidates")
    print_frame(
        pd.DataFrame(result["by_frequency"]),
        "table",
        title="mean holdout purchases by calibration frequency",
    )
    cumulative = pd.DataFrame(result["cumulative"])
    if len(cumulative):
        step = max(len(cumulative) // 12, 1)
        print_frame(
            cumulative.iloc[::step],
            "table",
            title="cumulative repeat transactions (actual vs predicted)",
        )


def register(app: typer.Typer) -> None:
    app.add_typer(clv_app, name="clv")
