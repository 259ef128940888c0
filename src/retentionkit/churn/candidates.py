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
from retentionkit.churn.threads import parallel_map, single_threaded
from retentionkit.errors import InputError, ModelFitError, UnknownNameError

#: What a candidate's fit may raise on unsuitable data; it then drops out of the comparison.
_FIT_ERRORS = (ValueError, np.linalg.LinAlgError)

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

    # The candidates sharing a preprocessing key share its fitted matrices per fold (built with
    # the first such candidate's pipeline): Pipeline.fit would compute exactly these matrices,
    # the steps being deterministic. One task per (key, fold) prepares them and fits those
    # candidates; the tasks are independent and run side by side (parallel_map), so one
    # thread's preprocessing (mostly Python) overlaps another's fitting (mostly native code);
    # small data sets run in a loop (PARALLEL_MIN_ROWS).
    by_key: dict[Any, list[Candidate]] = {}
    for cand in candidates:
        by_key.setdefault(preprocessing_key(cand), []).append(cand)

    def fold_task(job: tuple[Any, int]) -> list[NDArray[np.float64] | Exception]:
        """Out-of-fold risks (or the error) of each candidate of the key on fold k."""
        key, k = job
        train_idx, test_idx = splits[k]
        cands = by_key[key]
        try:
            prep = build_pipeline(cands[0], data.iloc[train_idx], types, random_state)[:-1]
            x_train = prep.fit_transform(data.iloc[train_idx])
            x_test = prep.transform(data.iloc[test_idx])
        except _FIT_ERRORS as exc:
            return [exc] * len(cands)
        out: list[NDArray[np.float64] | Exception] = []
        for cand in cands:
            try:
                est = build_pipeline(cand, data.iloc[train_idx], types, random_state)
                fit_quiet(est[-1], x_train, y[train_idx])
                out.append(np.asarray(est[-1].predict_proba(x_test)[:, 1], dtype=float))
            except _FIT_ERRORS as exc:
                out.append(exc)
        return out

    jobs = [(key, k) for key in by_key for k in range(folds)]
    outcomes: dict[tuple[str, int], NDArray[np.float64] | Exception] = {}
    for (key, k), per_cand in zip(jobs, parallel_map(fold_task, jobs, rows=len(y)), strict=True):
        for cand, outcome in zip(by_key[key], per_cand, strict=True):
            outcomes[(cand.name, k)] = outcome
    results: list[dict[str, Any]] = []
    for cand in candidates:
        oof = np.empty(len(y))
        aucs = []
        error: Exception | None = None
        for k, (_train_idx, test_idx) in enumerate(splits):
            outcome = outcomes[(cand.name, k)]
            if isinstance(outcome, Exception):  # the first failing fold names the error
                error = outcome
                break
            oof[test_idx] = outcome
            aucs.append(_auc(y[test_idx], oof[test_idx]))
        if error is not None:
            results.append({"candidate": cand, "error": str(error)})
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
