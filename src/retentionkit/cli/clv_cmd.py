"""``retentionkit clv fit | predict | evaluate``: probabilistic CLV on the workspace."""

from __future__ import annotations

from pathlib import Path

import typer

from retentionkit.cli._common import (
    check_format,
    format_option,
    open_workspace,
    print_frame,
    print_report,
    raw_option,
)
from retentionkit.service.options import TIME_UNITS, one_of

clv_app = typer.Typer(
    help="Probabilistic customer lifetime value (BG/NBD, MBG/NBD, Pareto/NBD, Gamma-Gamma).",
    no_args_is_help=True,
)

TIME_UNIT_HELP = f"{one_of(TIME_UNITS)}."
PENALIZER_HELP = "L2 penalty on the parameters (e.g. 0.01 for thin data)."


@clv_app.command("fit")
def fit(
    ctx: typer.Context,
    model: str = typer.Option(
        "bgnbd", "--model", help="A model of the CLV registry: bgnbd, mbgnbd, paretonbd, …"
    ),
    time_unit: str = typer.Option("week", "--time-unit", help=TIME_UNIT_HELP),
    observation_end: str | None = typer.Option(
        None, "--observation-end", help="Last day of data to use (default: the last order day)."
    ),
    penalizer: float = typer.Option(0.0, "--penalizer", help=PENALIZER_HELP),
    model_out: Path | None = typer.Option(
        None, "--model-out", help="Save the fitted model (JSON) for 'clv predict --model-file'."
    ),
    fmt: str = format_option(),
) -> None:
    """Fit a model on the orders; print params, standard errors, log-likelihood."""
    from retentionkit.service import ClvFitRequest, run

    check_format(fmt)
    request = ClvFitRequest(
        model, time_unit=time_unit, observation_end=observation_end, penalizer=penalizer
    )
    result = run(open_workspace(ctx), request)
    if model_out is not None:
        result.model.save(model_out)
    if fmt == "table":
        print_frame(result.frame, "table", title=result.title)
    else:
        print_report(result.report, fmt)


@clv_app.command("predict")
def predict(
    ctx: typer.Context,
    model: str = typer.Option(
        "bgnbd", "--model", help="A purchase model of the CLV registry: bgnbd, mbgnbd, …"
    ),
    spend_model: str = typer.Option("gamma-gamma", "--spend-model", help="gamma-gamma."),
    horizon: float = typer.Option(..., "--horizon", help="Prediction horizon in time units."),
    time_unit: str = typer.Option("week", "--time-unit", help=TIME_UNIT_HELP),
    observation_end: str | None = typer.Option(None, "--observation-end"),
    margin: float = typer.Option(1.0, "--margin", help="Gross margin in (0, 1]."),
    discount_rate: float | None = typer.Option(
        None,
        "--discount-rate",
        help="Annual discount rate (0.1 = 10 % a year; default 0.1268 = 1 % a month, "
        "lifetimes' default). Cash flows are discounted monthly at (1 + rate)^(1/12) − 1.",
    ),
    penalizer: float = typer.Option(0.0, "--penalizer", help=PENALIZER_HELP),
    model_file: Path | None = typer.Option(
        None, "--model-file", help="Use a model saved by 'clv fit --model-out' instead of fitting."
    ),
    fmt: str = format_option("csv"),
    raw: bool = raw_option(),
) -> None:
    """Per customer: expected purchases, P(alive), expected spend and CLV over the horizon."""
    from retentionkit.service import ClvPredictRequest, run

    check_format(fmt)
    request = ClvPredictRequest(
        horizon=horizon,
        model=model,
        spend_model=spend_model,
        time_unit=time_unit,
        observation_end=observation_end,
        margin=margin,
        penalizer=penalizer,
        model_file=model_file,
        **({"discount_rate": discount_rate} if discount_rate is not None else {}),
    )
    result = run(open_workspace(ctx), request)
    print_frame(result.frame, fmt, title=result.title, raw=raw)


@clv_app.command("evaluate")
def evaluate(
    ctx: typer.Context,
    calibration_end: str = typer.Option(..., "--calibration-end"),
    observation_end: str = typer.Option(..., "--observation-end"),
    model: str = typer.Option(
        "auto", "--model", help="auto (lowest holdout error) or a purchase model (bgnbd, …)."
    ),
    time_unit: str = typer.Option("week", "--time-unit", help=TIME_UNIT_HELP),
    penalizer: float = typer.Option(0.0, "--penalizer", help=PENALIZER_HELP),
    fmt: str = format_option(),
) -> None:
    """Holdout check: fit on the calibration window, compare with the holdout purchases.

    CSV: the candidate models, one row each."""
    import pandas as pd

    from retentionkit.service import ClvEvaluateRequest, run

    check_format(fmt)
    request = ClvEvaluateRequest(
        calibration_end=calibration_end,
        observation_end=observation_end,
        model=model,
        time_unit=time_unit,
        penalizer=penalizer,
    )
    result = run(open_workspace(ctx), request).report
    if fmt == "json":
        print_report(result, fmt)
        return
    if fmt == "csv":
        print_frame(pd.DataFrame(result["candidates"]), "csv")
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
