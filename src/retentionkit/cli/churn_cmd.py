"""``retentionkit churn …``: churn-risk models.

``churn train`` fits a :class:`~retentionkit.churn.model.ChurnModel` on a customer table the user
already has (one row per customer, an id, a churn label, any attributes) and saves it;
``churn score`` applies a saved model to such a table and lists risk and reasons per customer.
Workspace-based subcommands join the same ``churn_app``.

Heavy libraries (pandas, scikit-learn) are imported inside the commands so the CLI starts fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from retentionkit.cli._common import (
    check_format,
    format_option,
    print_frame,
    print_report,
    raw_option,
)

churn_app = typer.Typer(
    help="Churn risk: train a model on a customer table, score customers with reasons.",
    no_args_is_help=True,
)


def _status(message: str, enabled: bool) -> Any:
    """A spinner on stderr while long work runs (silent when stderr is not a terminal)."""
    import contextlib

    from rich.console import Console

    console = Console(stderr=True)
    if enabled and console.is_terminal:
        return console.status(message)
    return contextlib.nullcontext()


@churn_app.command("train")
def train(
    features: Path = typer.Option(
        ..., "--features", help="Customer table: CSV, TSV, Parquet, JSON or JSON lines."
    ),
    id_column: str = typer.Option(..., "--id", help="Column with the customer id (unique)."),
    label_column: str = typer.Option(
        ..., "--label", help="Column saying who churned: Yes/No, true/false or 1/0."
    ),
    model_out: Path = typer.Option(..., "--model-out", help="Where to write the model file."),
    fmt: str = format_option(),
) -> None:
    """Train a churn model on FILE, choose the best candidate by cross-validation, save it.

    CSV: the report as one row (nested fields as field.key columns)."""
    check_format(fmt)
    from retentionkit.churn.features_file import check_id_column, parse_labels, read_features_file
    from retentionkit.churn.model import ChurnModel

    table = read_features_file(features)
    check_id_column(table, id_column)
    if label_column == id_column:
        from retentionkit.errors import InputError

        raise InputError(f"--id and --label both name column {id_column!r}; they must differ.")
    labels = parse_labels(table, label_column)
    X = table.frame.drop(columns=[id_column, label_column])
    if X.shape[1] == 0:
        from retentionkit.errors import InputError

        raise InputError(
            f"Features file {table.path} has no feature columns besides {id_column!r} and "
            f"{label_column!r}."
        )
    model = ChurnModel(id_column=id_column, label_column=label_column)
    with _status("Training churn model candidates…", fmt == "table"):
        model.fit(X, labels)
    path = model.save(model_out)
    report = {"model_file": str(path), "features_file": str(table.path), **model.report()}
    if fmt == "table":
        _print_report(report)
    else:
        print_report(report, fmt)


def _fixed(value: Any, digits: int) -> str:
    """A float with a fixed number of decimals for tables (blank when missing)."""
    if value is None or value != value:
        return ""
    return f"{float(value):.{digits}f}"


def _print_report(report: dict[str, Any]) -> None:
    import pandas as pd

    val = report["validation"]
    summary = pd.DataFrame(
        [
            ("rows", report["n_rows"]),
            ("features", report["n_features"]),
            ("churn rate (positive_rate)", f"{report['positive_rate']:.2%}"),
            ("chosen model", f"{report['model']} — {report['model_description']}"),
            ("validation", val["method"]),
            ("ROC-AUC", f"{val['roc_auc']:.4f} (fold std {val['roc_auc_fold_std']:.4f})"),
            ("PR-AUC", f"{val['pr_auc']:.4f}"),
            ("lift in top 10 %", f"{val['lift_top10']:.2f}"),
            ("Brier score", f"{val['brier']:.4f} (base rate alone {val['brier_base_rate']:.4f})"),
            ("model file", report["model_file"]),
        ],
        columns=["measure", "value"],
    )
    print_frame(summary, "table", title="Churn model")
    cands = pd.DataFrame(report["candidates"])
    keep = [c for c in ("name", "family", "roc_auc", "roc_auc_fold_std", "error") if c in cands]
    cands = cands[keep].copy()
    for col in ("roc_auc", "roc_auc_fold_std"):
        cands[col] = [_fixed(v, 4) for v in cands[col]]
    print_frame(cands, "table", title="Candidates (cross-validated ROC-AUC)")
    calib = pd.DataFrame(val["calibration"])
    for col in ("min_risk", "max_risk", "mean_risk", "churn_rate"):
        calib[col] = [_fixed(v, 3) for v in calib[col]]
    print_frame(calib, "table", title="Reliability by decile of predicted risk (1 = lowest)")
    feats = pd.DataFrame(report["features"])
    print_frame(feats, "table", title="Features")
    if report["dropped_columns"]:
        print_frame(pd.DataFrame(report["dropped_columns"]), "table", title="Columns not used")


@churn_app.command("score")
def score(
    features: Path = typer.Option(
        ..., "--features", help="Customer table with the model's feature columns."
    ),
    id_column: str = typer.Option(..., "--id", help="Column with the customer id (unique)."),
    model_file: Path | None = typer.Option(
        None, "--model-file", help="Model file written by 'retentionkit churn train --model-out'."
    ),
    old_model: Path | None = typer.Option(
        None, "--model", hidden=True, help="Old name of --model-file."
    ),
    fmt: str = format_option("csv"),
    raw: bool = raw_option(),
) -> None:
    """Score every customer in FILE: risk (0–1) and the top 3 reasons, highest risk first.

    In CSV and tables the reasons are joined with " | "; in JSON they are a list.
    """
    from retentionkit.errors import ConfigError

    check_format(fmt)
    if model_file is not None and old_model is not None:
        raise ConfigError("Give the model once, with --model-file (--model is its old name).")
    model_path = model_file or old_model
    if model_path is None:
        raise ConfigError("churn score needs --model-file (a model from 'churn train').")
    import pandas as pd

    from retentionkit.churn.features_file import (
        check_id_column,
        coerce_features,
        read_features_file,
    )
    from retentionkit.churn.model import ChurnModel

    model = ChurnModel.load(model_path)
    table = read_features_file(features)
    ids = check_id_column(table, id_column)
    source = f"features file {table.path}"
    model.check_features(list(table.frame.columns), source=f"Features file {table.path}")

    data = coerce_features(table.frame, model.feature_types_, where=table.where, source=source)
    risk = model.predict_risk(data)
    reasons = model.explain(data, top=3)
    out = pd.DataFrame(
        {
            "customer_id": ids.to_numpy(),
            "risk": risk.round(4),
            "reasons": reasons,
        }
    )
    out = out.sort_values("risk", ascending=False, kind="stable").reset_index(drop=True)
    print_frame(out, fmt, raw=raw)


def register(app: typer.Typer) -> None:
    """Add the ``churn`` command group to the main app."""
    app.add_typer(churn_app, name="churn")
