"""Churn model candidates and their choice by stratified cross-validation.

The candidates come from two families (:mod:`retentionkit.churn.pipelines`): L2 logistic
regression and histogram gradient boosting. :func:`cross_validate` scores each on out-of-fold
predictions of a stratified k-fold split of the training data only; the caller refits the one with
the best mean ROC-AUC on all rows (:class:`retentionkit.churn.model.ChurnModel`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from retentionkit.churn.features_file import FeatureKind
from retentionkit.churn.pipelines import build_pipeline, preprocessing_key
from retentionkit.churn.threads import single_threaded
from retentionkit.errors import InputError, ModelFitError, UnknownNameError

__all__ = ["CANDIDATES", "Candidate", "as_labels", "candidate_list", "cross_validate", "fit_quiet"]


@dataclass(frozen=True)
class Candidate:
    """One model setting compared by cross-validation: a family and its hyperparameters."""

    name: str
    family: str  # "logistic" or "hgb"
    params: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""


#: The candidates compared by default, by name. Deliberately few: enough to let a linear and a
#: tree model each find a sensible regularisation, small enough that CV stays a few seconds.
CANDIDATES: dict[str, Candidate] = {
    c.name: c
    for c in (
        Candidate(
            "logistic",
            "logistic",
            {"C": 0.1, "splines": True},
            "L2 logistic regression, C=0.1, spline numeric features",
        ),
        Candidate(
            "logistic_strong",
            "logistic",
            {"C": 0.01, "splines": True},
            "L2 logistic regression, C=0.01 (stronger penalty), spline numeric features",
        ),
        Candidate(
            "logistic_linear",
            "logistic",
            {"C": 1.0, "splines": False},
            "L2 logistic regression, C=1, numeric features linear",
        ),
        Candidate(
            "hgb",
            "hgb",
            {
                "learning_rate": 0.03,
                "max_iter": 400,
                "max_depth": 3,
                "min_samples_leaf": 80,
                "l2_regularization": 1.0,
            },
            "gradient boosting, depth 3, learning rate 0.03, early stopping",
        ),
        Candidate(
            "hgb_stumps",
            "hgb",
            {"learning_rate": 0.05, "max_iter": 500, "max_depth": 2, "min_samples_leaf": 50},
            "gradient boosting, depth 2, learning rate 0.05, early stopping",
        ),
    )
}


def candidate_list(names: Sequence[str] | None) -> list[Candidate]:
    """The :data:`CANDIDATES` called ``names`` (all of them for None), or a sentence why not."""
    chosen = list(names) if names is not None else list(CANDIDATES)
    unknown = [n for n in chosen if n not in CANDIDATES]
    if unknown or not chosen:
        raise UnknownNameError(
            f"Unknown churn model candidate {', '.join(unknown) or '(none given)'}; "
            f"choose from: {', '.join(CANDIDATES)}."
        )
    return [CANDIDATES[n] for n in chosen]


@single_threaded
def cross_validate(
    candidates: Sequence[Candidate],
    data: pd.DataFrame,
    y: NDArray[np.int_],
    types: Mapping[str, FeatureKind],
    cv_folds: int,
    random_state: int,
) -> tuple[dict[str, Any], list[dict[str, Any]], int]:
    """(best result, every result, number of folds): each result holds the candidate, its mean
    and standard deviation of the fold ROC-AUCs and its out-of-fold predictions, or an error."""
    from sklearn.model_selection import StratifiedKFold

    n_pos = int(y.sum())
    n_min = min(n_pos, len(y) - n_pos)
    if n_min < 2:
        raise ModelFitError(
            f"A churn model needs at least 2 churned and 2 retained customers; got {n_pos} "
            f"churned and {len(y) - n_pos} retained."
        )
    folds = max(2, min(cv_folds, n_min))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)
    splits = list(splitter.split(np.zeros(len(y)), y))
    results: list[dict[str, Any]] = []
    prepared: dict[tuple[Any, int], tuple[Any, Any]] = {}
    for cand in candidates:
        oof = np.empty(len(y))
        aucs = []
        try:
            for k, (train_idx, test_idx) in enumerate(splits):
                est = build_pipeline(cand, data.iloc[train_idx], types, random_state)
                x_train, x_test = _prepared(
                    prepared, (preprocessing_key(cand), k), est, data, train_idx, test_idx
                )
                fit_quiet(est[-1], x_train, y[train_idx])
                oof[test_idx] = est[-1].predict_proba(x_test)[:, 1]
                aucs.append(_auc(y[test_idx], oof[test_idx]))
        except (ValueError, np.linalg.LinAlgError) as exc:
            results.append({"candidate": cand, "error": str(exc)})
            continue
        results.append(
            {
                "candidate": cand,
                "roc_auc": float(np.mean(aucs)),
                "roc_auc_std": float(np.std(aucs)),
                "oof": oof,
            }
        )
    ok = [r for r in results if "error" not in r]
    if not ok:
        detail = "; ".join(f"{r['candidate'].name}: {r['error']}" for r in results)
        raise ModelFitError(f"No churn model candidate could be fitted ({detail}).")
    return max(ok, key=lambda r: r["roc_auc"]), results, folds


def _prepared(
    cache: dict[tuple[Any, int], tuple[Any, Any]],
    key: tuple[Any, int],
    est: Any,
    data: pd.DataFrame,
    train_idx: NDArray[np.int_],
    test_idx: NDArray[np.int_],
) -> tuple[Any, Any]:
    """The fold's training and test rows after ``est``'s preprocessing steps (all but the
    classifier), fitted on the training rows once per preprocessing key and fold and shared by
    the candidates with that key (:func:`retentionkit.churn.pipelines.preprocessing_key`).
    Pipeline.fit would compute exactly these matrices: the steps are deterministic."""
    if key not in cache:
        prep = est[:-1]
        x_train = prep.fit_transform(data.iloc[train_idx])
        cache[key] = (x_train, prep.transform(data.iloc[test_idx]))
    return cache[key]


def as_labels(y: ArrayLike, n: int) -> NDArray[np.int_]:
    arr = np.asarray(y)
    if arr.ndim != 1 or arr.size != n:
        raise InputError(f"Expected {n} churn labels, one per row of the features; got {arr.size}.")
    if arr.dtype == bool:
        return arr.astype(int)
    try:
        num = arr.astype(float)
    except (TypeError, ValueError):
        raise InputError("Churn labels must be 0/1 or booleans.") from None
    if not np.isin(num, (0.0, 1.0)).all():
        raise InputError("Churn labels must be 0/1 or booleans.")
    out = num.astype(int)
    if out.min() == out.max():
        raise InputError(
            "Every churn label is the same; a churn model needs both churned and retained "
            "customers."
        )
    return out


def _auc(y: NDArray[np.int_], p: NDArray[np.float64]) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p))


def fit_quiet(est: Any, X: pd.DataFrame, y: NDArray[np.int_]) -> None:
    """Fit without convergence chatter on stderr (the CV score judges the fit instead)."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)
