"""Evaluation measures for churn-risk scores.

All functions take the true labels ``y`` (1 = churned, 0 = stayed) and predicted risks ``p`` in
[0, 1]. The ranking measures delegate to :mod:`sklearn.metrics` so there is one tested
implementation of each; only lift and the decile table, which scikit-learn does not offer in this
form, are computed here.

* **ROC-AUC** — probability that a random churner is ranked above a random stayer
  (:func:`sklearn.metrics.roc_auc_score`).
* **PR-AUC** — average precision, the step-wise area under the precision–recall curve
  (:func:`sklearn.metrics.average_precision_score`); unlike the trapezoidal area it is not
  optimistic, which matters when churners are rare.
* **Lift at top k %** — churn rate among the k % highest-risk customers divided by the overall
  churn rate: how many times better than random a retention campaign of that size targets.
* **Brier score** — mean squared error of the risk, ``mean((p - y)²)``
  (:func:`sklearn.metrics.brier_score_loss`); 0 is perfect, ``r(1 - r)`` is what always
  predicting the base rate ``r`` scores.
* **Calibration table** — customers sorted by predicted risk and cut into equally sized groups
  (deciles by default); in a calibrated model each group's mean predicted risk is close to its
  observed churn rate.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from retentionkit.errors import InputError

__all__ = [
    "brier_score",
    "calibration_table",
    "evaluate",
    "lift_at",
    "pr_auc",
    "roc_auc",
]


def _as_arrays(y: ArrayLike, p: ArrayLike) -> tuple[NDArray[np.int_], NDArray[np.float64]]:
    """Validate and convert labels and risks; both classes must be present for ranking measures."""
    y_arr = np.asarray(y).astype(int).ravel()
    p_arr = np.asarray(p, dtype=float).ravel()
    if y_arr.shape != p_arr.shape:
        raise InputError(
            f"Labels and risks differ in length ({y_arr.size} labels, {p_arr.size} risks)."
        )
    if y_arr.size == 0:
        raise InputError("Cannot evaluate churn risk on zero customers.")
    if not np.isin(y_arr, (0, 1)).all():
        raise InputError("Churn labels must be 0 (stayed) or 1 (churned).")
    if np.isnan(p_arr).any():
        raise InputError("Predicted risks contain NaN; every customer needs a risk in [0, 1].")
    return y_arr, p_arr


def _both_classes(y: NDArray[np.int_]) -> None:
    if y.min() == y.max():
        raise InputError(
            "ROC-AUC and PR-AUC need both churned and retained customers in the evaluation set."
        )


def roc_auc(y: ArrayLike, p: ArrayLike) -> float:
    """Area under the ROC curve (scikit-learn's ``roc_auc_score``)."""
    from sklearn.metrics import roc_auc_score

    y_arr, p_arr = _as_arrays(y, p)
    _both_classes(y_arr)
    return float(roc_auc_score(y_arr, p_arr))


def pr_auc(y: ArrayLike, p: ArrayLike) -> float:
    """Area under the precision–recall curve as average precision (``average_precision_score``)."""
    from sklearn.metrics import average_precision_score

    y_arr, p_arr = _as_arrays(y, p)
    _both_classes(y_arr)
    return float(average_precision_score(y_arr, p_arr))


def brier_score(y: ArrayLike, p: ArrayLike) -> float:
    """Mean squared difference between risk and outcome (``brier_score_loss``)."""
    from sklearn.metrics import brier_score_loss

    y_arr, p_arr = _as_arrays(y, p)
    return float(brier_score_loss(y_arr, p_arr))


def _risk_order(p: NDArray[np.float64]) -> NDArray[np.intp]:
    """Indices from highest to lowest risk; ties keep input order so results are reproducible."""
    return np.argsort(-p, kind="stable")


def lift_at(y: ArrayLike, p: ArrayLike, fraction: float = 0.10) -> float:
    """Churn rate among the top ``fraction`` of customers by risk, over the overall churn rate.

    The top group holds ``ceil(fraction × n)`` customers (at least one). Lift 1 means no better than
    random; the maximum possible is ``min(1 / fraction, 1 / base_rate)``.
    """
    if not 0 < fraction <= 1:
        raise InputError(f"The top fraction for lift must be in (0, 1]; got {fraction}.")
    y_arr, p_arr = _as_arrays(y, p)
    base = y_arr.mean()
    if base == 0:
        raise InputError("Lift is undefined when no customer in the evaluation set churned.")
    k = max(1, math.ceil(fraction * y_arr.size))
    top = _risk_order(p_arr)[:k]
    return float(y_arr[top].mean() / base)


def calibration_table(y: ArrayLike, p: ArrayLike, bins: int = 10) -> pd.DataFrame:
    """Reliability table: customers sorted by risk and split into ``bins`` equally sized groups.

    Columns: ``group`` (1 = lowest predicted risk … ``bins`` = highest), ``n``, ``min_risk``,
    ``max_risk``, ``mean_risk`` (mean predicted) and ``churn_rate`` (observed). Groups are cut by
    rank, not by value, so every group has ``n // bins`` or one more customers even when many risks
    are tied (which equal-width bins would leave empty).
    """
    y_arr, p_arr = _as_arrays(y, p)
    bins = max(1, min(bins, y_arr.size))
    order = np.argsort(p_arr, kind="stable")
    rows = []
    for group, idx in enumerate(np.array_split(order, bins), start=1):
        rows.append(
            {
                "group": group,
                "n": int(idx.size),
                "min_risk": float(p_arr[idx].min()),
                "max_risk": float(p_arr[idx].max()),
                "mean_risk": float(p_arr[idx].mean()),
                "churn_rate": float(y_arr[idx].mean()),
            }
        )
    return pd.DataFrame(rows)


def evaluate(y: ArrayLike, p: ArrayLike) -> dict[str, Any]:
    """All churn measures at once, as plain (JSON-compatible) Python values.

    Keys: ``n``, ``positive_rate``, ``roc_auc``, ``pr_auc``, ``lift_top10`` (lift in the top
    10 %), ``brier``, ``brier_base_rate`` (Brier score of always predicting the base rate, for
    comparison) and ``calibration`` (the decile table as a list of records).
    """
    y_arr, p_arr = _as_arrays(y, p)
    rate = float(y_arr.mean())
    return {
        "n": int(y_arr.size),
        "positive_rate": rate,
        "roc_auc": roc_auc(y_arr, p_arr),
        "pr_auc": pr_auc(y_arr, p_arr),
        "lift_top10": lift_at(y_arr, p_arr, 0.10),
        "brier": brier_score(y_arr, p_arr),
        "brier_base_rate": rate * (1 - rate),
        "calibration": calibration_table(y_arr, p_arr).to_dict(orient="records"),
    }
