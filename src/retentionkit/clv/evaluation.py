"""Holdout evaluation of the purchase models and choosing between them.

Input is a calibration/holdout RFM frame in the layout of lifetimes'
``calibration_and_holdout_data`` (built by :mod:`retentionkit.clv.rfm`): one row per customer with
``customer_id, frequency, recency, T, monetary_value`` measured in the calibration window and
``frequency_holdout, monetary_value_holdout, duration_holdout`` in the holdout window.

A model is fitted on the calibration columns, predicts each customer's purchases over their
``duration_holdout`` (:meth:`conditional_expected_number_of_purchases_up_to_time`), and the
predictions are compared with ``frequency_holdout``: grouped by calibration frequency (0, 1, …,
7+, as in Fader, Hardie & Lee 2005 fig. 4), in total, and as the mean absolute error per customer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from retentionkit.clv.models import BaseFitter, get_model, model_names
from retentionkit.errors import InputError, ModelFitError

__all__ = [
    "HOLDOUT_COLUMNS",
    "HoldoutEvaluation",
    "ModelChoice",
    "choose_among",
    "choose_model",
    "evaluate_holdout",
]

#: Columns :func:`evaluate_holdout` needs.
HOLDOUT_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "frequency",
    "recency",
    "T",
    "frequency_holdout",
    "duration_holdout",
)
#: The purchase models of the registry (:func:`retentionkit.clv.models.model_names`).
PURCHASE_MODELS: tuple[str, ...] = model_names("purchase")


@dataclass(frozen=True)
class HoldoutEvaluation:
    """How well one fitted purchase model predicted the holdout window.

    ``by_frequency`` has one row per calibration-frequency bucket ("0" … "7+") with columns
    ``frequency_bucket, n_customers, actual_mean, predicted_mean``; ``per_customer`` keeps
    ``customer_id, actual, predicted``.
    """

    model_name: str
    model: BaseFitter
    by_frequency: pd.DataFrame
    per_customer: pd.DataFrame
    total_actual: float
    total_predicted: float
    mae: float


@dataclass(frozen=True)
class ModelChoice:
    """Result of :func:`choose_model`: the winner and every candidate's evaluation or error."""

    best: str
    evaluations: dict[str, HoldoutEvaluation]
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def model(self) -> BaseFitter:
        """The fitted winning model."""
        return self.evaluations[self.best].model

    def table(self) -> pd.DataFrame:
        """One row per candidate: model, mae, total_actual, total_predicted, error."""
        rows = [
            {
                "model": name,
                "mae": ev.mae,
                "total_actual": ev.total_actual,
                "total_predicted": ev.total_predicted,
                "error": None,
            }
            for name, ev in self.evaluations.items()
        ]
        rows += [
            {
                "model": name,
                "mae": np.nan,
                "total_actual": np.nan,
                "total_predicted": np.nan,
                "error": msg,
            }
            for name, msg in self.errors.items()
        ]
        return pd.DataFrame(rows).sort_values("mae", na_position="last").reset_index(drop=True)


def _check_frame(frame: pd.DataFrame) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise InputError(
            f"The holdout frame must be a pandas DataFrame; got {type(frame).__name__}."
        )
    missing = [c for c in HOLDOUT_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(
            f"The calibration/holdout frame lacks column(s) {', '.join(missing)}; expected "
            f"{', '.join(HOLDOUT_COLUMNS)} (the layout of calibration_and_holdout_data)."
        )
    if len(frame) == 0:
        raise InputError("The calibration/holdout frame has no rows.")
    for col in ("frequency_holdout", "duration_holdout"):
        values = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=np.float64)
        bad = ~np.isfinite(values) | (values < 0)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"Column {col!r} must hold numbers >= 0; customer "
                f"{frame['customer_id'].iloc[i]} holds {frame[col].iloc[i]}."
            )


def _bucket_labels(frequency: np.ndarray, max_frequency: int) -> np.ndarray:
    capped = np.minimum(frequency, max_frequency).astype(np.int64)
    labels = np.array([str(i) for i in range(max_frequency)] + [f"{max_frequency}+"])
    return labels[capped]


def evaluate_holdout(
    frame: pd.DataFrame,
    model: str | BaseFitter = "bgnbd",
    penalizer_coef: float = 0.0,
    max_frequency: int = 7,
) -> HoldoutEvaluation:
    """Fit ``model`` (a registry name, or an already fitted model) on the calibration columns and
    compare its predicted holdout purchases with the actual ones.

    Raises :class:`~retentionkit.errors.InputError` for a malformed frame and
    :class:`~retentionkit.errors.ModelFitError` when the model cannot be fitted.
    """
    _check_frame(frame)
    if isinstance(model, str):
        cls = get_model(model)
        if cls.model_name not in PURCHASE_MODELS:
            raise InputError(
                f"Holdout evaluation needs a purchase model ({', '.join(PURCHASE_MODELS)}); "
                f"{model!r} is not one."
            )
        fitted: BaseFitter = cls(penalizer_coef=penalizer_coef)
        fitted.fit(frame["frequency"], frame["recency"], frame["T"])  # type: ignore[attr-defined]
    else:
        fitted = model
    name = fitted.model_name
    predicted = np.asarray(
        fitted.conditional_expected_number_of_purchases_up_to_time(  # type: ignore[attr-defined]
            frame["duration_holdout"].to_numpy(dtype=np.float64),
            frame["frequency"].to_numpy(dtype=np.float64),
            frame["recency"].to_numpy(dtype=np.float64),
            frame["T"].to_numpy(dtype=np.float64),
        ),
        dtype=np.float64,
    )
    actual = frame["frequency_holdout"].to_numpy(dtype=np.float64)
    per_customer = pd.DataFrame(
        {"customer_id": frame["customer_id"].to_numpy(), "actual": actual, "predicted": predicted}
    )
    buckets = _bucket_labels(frame["frequency"].to_numpy(dtype=np.float64), max_frequency)
    grouped = (
        pd.DataFrame({"frequency_bucket": buckets, "actual": actual, "predicted": predicted})
        .groupby("frequency_bucket", sort=False)
        .agg(
            n_customers=("actual", "size"),
            actual_mean=("actual", "mean"),
            predicted_mean=("predicted", "mean"),
        )
    )
    order = [str(i) for i in range(max_frequency)] + [f"{max_frequency}+"]
    by_frequency = grouped.reindex([o for o in order if o in grouped.index]).reset_index()
    return HoldoutEvaluation(
        model_name=name,
        model=fitted,
        by_frequency=by_frequency,
        per_customer=per_customer,
        total_actual=float(actual.sum()),
        total_predicted=float(predicted.sum()),
        mae=float(np.mean(np.abs(actual - predicted))),
    )


def choose_model(
    frame: pd.DataFrame,
    candidates: Sequence[str] = PURCHASE_MODELS,
    penalizer_coef: float = 0.0,
) -> ModelChoice:
    """Fit every candidate on the calibration window and pick the lowest holdout MAE.

    A candidate that cannot be fitted is recorded in :attr:`ModelChoice.errors` and skipped; if
    none can be fitted, :class:`~retentionkit.errors.ModelFitError` says why for each.
    """
    _check_frame(frame)
    return choose_among(
        candidates, lambda key: evaluate_holdout(frame, key, penalizer_coef=penalizer_coef)
    )


def choose_among(
    candidates: Sequence[str], evaluate: Callable[[str], HoldoutEvaluation]
) -> ModelChoice:
    """:func:`choose_model` with each candidate's evaluation from ``evaluate(name)`` (the
    registry name; :class:`~retentionkit.errors.ModelFitError` when it cannot be fitted), e.g.
    fits already started on other threads."""
    if not candidates:
        raise InputError(
            f"`candidates` is empty; give at least one of {', '.join(PURCHASE_MODELS)}."
        )
    evaluations: dict[str, HoldoutEvaluation] = {}
    errors: dict[str, str] = {}
    for name in candidates:
        key = get_model(name).model_name
        try:
            evaluations[key] = evaluate(key)
        except ModelFitError as exc:
            errors[key] = str(exc)
    if not evaluations:
        details = " ".join(f"{k}: {v}" for k, v in errors.items())
        raise ModelFitError(f"None of the candidate models could be fitted. {details}")
    best = min(evaluations, key=lambda k: evaluations[k].mae)
    return ModelChoice(best=best, evaluations=evaluations, errors=errors)
