"""Supervised churn-risk model on a per-customer feature table: fit, score, explain, save.

:class:`ChurnModel` is the one modelling core for churn risk. The ``churn train`` / ``churn score``
commands feed it a table the user already has; the workspace pipeline feeds it features it builds
as of a cutoff (tenure, recency, frequency, MRR change, latest NPS …). It follows scikit-learn's
conventions: settings only in ``__init__``, data only in :meth:`ChurnModel.fit` (which returns
``self``), learned state in attributes ending in ``_``.

**Model choice.** Candidates from two families are compared by stratified k-fold
cross-validation on the training data only, and the one with the best mean ROC-AUC is refitted on
all of it:

* ``logistic``: L2-regularised logistic regression on one-hot categories and numeric features
  (median-imputed with a missing-value indicator; numeric features with at least 10 distinct
  values enter through a cubic B-spline basis with 5 quantile knots, so effects such as the
  steep early-tenure churn curve need not be straight lines), every column standardised;
* ``hgb``: :class:`~sklearn.ensemble.HistGradientBoostingClassifier` with native categorical
  splits, shallow trees and a small learning rate.

The report gives the cross-validated (out-of-fold) ROC-AUC, PR-AUC, top-decile lift, Brier score
and decile reliability table of the chosen candidate: estimates for unseen customers, since every
customer is scored by a model that did not see it.

**Reasons.** Per customer and feature a *contribution* says how far that feature moves the risk
away from an average customer:

* logistic: ``Σ_k β_k · z_k`` over the model columns ``k`` built from the feature, where ``β_k`` is
  the coefficient and ``z_k`` the standardised column value — exactly the feature's share of the
  log-odds minus the training average (the log-odds is the intercept plus the sum of all
  contributions);
* gradient boosting: ``p(x) − Σ_v w_v · p(x with the feature set to v)`` — the risk minus its
  average when the feature is replaced by representative training values ``v`` (10 quantiles for
  a number, the levels with their frequencies for a category). Replacing by the median/mode alone
  would make the most common level (say, a month-to-month contract) invisible as a reason even
  when it drives risk.

The reasons are the ``top`` features pushing the risk in the direction of the customer's score
(upwards for customers above the training churn rate, downwards for those below), topped up with
the strongest remaining ones. Their text comes from templates that callers can override per
feature (``reason_templates``), together with readable names (``feature_labels``), so a workspace
feature ``days_since_last_order`` can read "no order for 94 days".

**Layout.** Candidates and their cross-validation: :mod:`retentionkit.churn.candidates`; the
pipelines: :mod:`retentionkit.churn.pipelines`; contributions and reason text:
:mod:`retentionkit.churn.reasons`; the model file: :mod:`retentionkit.churn.persistence`. This
module keeps the estimator and re-exports their public names.

**Model file.** :meth:`ChurnModel.save` writes a one-line magic header, one line of JSON manifest
(format version, retentionkit and scikit-learn versions, features and their types, id and label
columns, validation figures) and then the joblib pickle. :meth:`ChurnModel.load` reads and checks
the manifest *before* unpickling, so a file of another format version is refused with a sentence
instead of failing somewhere inside pickle. Pickles run code when loaded: load only model files
you trust.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from retentionkit.churn import persistence
from retentionkit.churn.candidates import (
    CANDIDATES,
    Candidate,
    as_labels,
    candidate_list,
    cross_validate,
    fit_quiet,
)
from retentionkit.churn.features_file import FeatureKind, coerce_features, infer_feature_types
from retentionkit.churn.metrics import evaluate
from retentionkit.churn.persistence import FORMAT_VERSION, read_manifest
from retentionkit.churn.pipelines import build_pipeline
from retentionkit.churn.reasons import (
    background,
    feature_stats,
    hgb_contributions,
    logistic_contributions,
    reason_text,
    top_reasons,
)
from retentionkit.churn.threads import single_threaded
from retentionkit.errors import InputError, NotFittedError

__all__ = [
    "CANDIDATES",
    "FORMAT_VERSION",
    "Candidate",
    "ChurnModel",
    "read_manifest",
]


class ChurnModel:
    """Churn-risk classifier for one row per customer, with reasons and a safe file format.

    Parameters
    ----------
    candidates:
        Names from :data:`CANDIDATES` to compare (default: all of them).
    cv_folds:
        Folds of the stratified cross-validation that chooses the candidate and produces the
        validation figures (reduced automatically when a class has fewer customers).
    random_state:
        Seed for the folds and the gradient boosting, for reproducible fits.
    feature_types:
        ``{column: "numeric" | "categorical"}`` to override detection; columns not named are
        detected (see :func:`~retentionkit.churn.features_file.infer_feature_types`).
    feature_labels:
        Readable names for reasons, e.g. ``{"days_since_last_order": "days since last order"}``.
    reason_templates:
        Per-feature :meth:`str.format` templates for reasons. Fields: ``label``, ``feature``,
        ``value`` (formatted), ``median`` (formatted, numeric only), ``level`` (``low``/``high``/
        ``typical`` versus the median), ``effect`` (``raises risk``/``lowers risk``). Example:
        ``{"days_since_last_order": "no order for {value} days ({effect})"}``.
    id_column, label_column:
        Names recorded in the model file (the CLI sets them; they are not used for fitting).
    """

    def __init__(
        self,
        *,
        candidates: Sequence[str] | None = None,
        cv_folds: int = 5,
        random_state: int = 0,
        feature_types: Mapping[str, FeatureKind] | None = None,
        feature_labels: Mapping[str, str] | None = None,
        reason_templates: Mapping[str, str] | None = None,
        id_column: str | None = None,
        label_column: str | None = None,
    ) -> None:
        self.candidates = candidates
        self.cv_folds = cv_folds
        self.random_state = random_state
        self.feature_types = feature_types
        self.feature_labels = feature_labels
        self.reason_templates = reason_templates
        self.id_column = id_column
        self.label_column = label_column
        #: The manifest of the file the model was loaded from (persistence.load), else None.
        self.manifest_: dict[str, Any] | None = None

    # ------------------------------------------------------------------ fitting

    @single_threaded
    def fit(self, X: pd.DataFrame, y: ArrayLike) -> ChurnModel:
        """Detect feature types, choose a candidate by cross-validated ROC-AUC, refit on all rows.

        ``X`` holds one row per customer and only feature columns (no id, no label); ``y`` is 1
        for churned and 0 for retained customers (booleans accepted).
        """
        if not isinstance(X, pd.DataFrame):
            raise InputError("ChurnModel.fit needs the features as a pandas DataFrame.")
        y_arr = as_labels(y, len(X))
        candidates = candidate_list(self.candidates)

        inferred, dropped = infer_feature_types(X)
        overrides = dict(self.feature_types or {})
        unknown = [c for c in overrides if c not in X.columns]
        if unknown:
            raise InputError(
                f"feature_types names columns that are not in the data: {', '.join(unknown)}."
            )
        types: dict[str, FeatureKind] = {}
        for name in X.columns:
            if name in overrides:
                types[name] = overrides[name]
                dropped.pop(name, None)
            elif name in inferred:
                types[name] = inferred[name]
        if not types:
            why = "; ".join(f"{k}: {v}" for k, v in dropped.items()) or "no columns besides id"
            raise InputError(f"The features have no usable feature columns ({why}).")
        data = coerce_features(X, types)

        best, results, folds = cross_validate(
            candidates, data, y_arr, types, self.cv_folds, self.random_state
        )
        chosen: Candidate = best["candidate"]

        final = build_pipeline(chosen, data, types, self.random_state)
        fit_quiet(final, data, y_arr)

        self.feature_types_ = types
        self.dropped_columns_ = dropped
        self.candidate_ = chosen
        self.pipeline_ = final
        self.base_rate_ = float(y_arr.mean())
        self.stats_ = feature_stats(data, types)
        self.background_ = background(data, types) if chosen.family == "hgb" else {}
        self.n_rows_ = len(y_arr)
        validation = evaluate(y_arr, best["oof"])
        self.report_: dict[str, Any] = {
            "n_rows": len(y_arr),
            "n_features": len(types),
            "positive_rate": self.base_rate_,
            "model": chosen.name,
            "model_family": chosen.family,
            "model_description": chosen.description,
            "validation": {
                "method": f"{folds}-fold stratified cross-validation (out-of-fold predictions)",
                "roc_auc": validation["roc_auc"],
                "roc_auc_fold_std": best["roc_auc_std"],
                "pr_auc": validation["pr_auc"],
                "lift_top10": validation["lift_top10"],
                "brier": validation["brier"],
                "brier_base_rate": validation["brier_base_rate"],
                "calibration": validation["calibration"],
            },
            "candidates": [
                {
                    "name": r["candidate"].name,
                    "family": r["candidate"].family,
                    "roc_auc": r.get("roc_auc"),
                    "roc_auc_fold_std": r.get("roc_auc_std"),
                    **({"error": r["error"]} if "error" in r else {}),
                }
                for r in results
            ],
            "features": [{"name": k, "type": v} for k, v in types.items()],
            "dropped_columns": [{"name": k, "reason": v} for k, v in dropped.items()],
        }
        return self

    # ---------------------------------------------------------------- predicting

    def _check_fitted(self) -> None:
        if not hasattr(self, "pipeline_"):
            raise NotFittedError("This ChurnModel is not fitted yet; call fit() or load() first.")

    @property
    def feature_names_(self) -> list[str]:
        """Feature columns the fitted model reads, in order."""
        self._check_fitted()
        return list(self.feature_types_)

    def check_features(self, columns: Sequence[str], *, source: str = "the input") -> None:
        """Refuse input that lacks a feature the model was trained on, naming the missing ones."""
        self._check_fitted()
        missing = [c for c in self.feature_types_ if c not in set(columns)]
        if missing:
            raise InputError(
                f"{source} does not match the model: it lacks the feature column"
                f"{'s' if len(missing) > 1 else ''} {', '.join(missing)} that the model was "
                f"trained on (model features: {', '.join(self.feature_types_)})."
            )

    def _prepare(self, X: pd.DataFrame, where: Any = None, source: str = "the input") -> Any:
        self._check_fitted()
        if not isinstance(X, pd.DataFrame):
            raise InputError("ChurnModel needs the features as a pandas DataFrame.")
        self.check_features(list(X.columns), source=source)
        return coerce_features(X, self.feature_types_, where=where, source=source)

    @single_threaded
    def predict_risk(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """Churn probability in [0, 1] per row of ``X`` (extra columns are ignored)."""
        data = self._prepare(X)
        return self.pipeline_.predict_proba(data)[:, 1].astype(float)

    @single_threaded
    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """Per-row, per-feature contributions (log-odds for logistic, probability for hgb).

        Positive values raise the customer's risk above that of an average customer; see the
        module docstring for the exact definitions.
        """
        data = self._prepare(X)
        if self.candidate_.family == "logistic":
            values = logistic_contributions(self.pipeline_, data, list(self.feature_types_))
        else:
            values = hgb_contributions(self.pipeline_, data, self.background_)
        return pd.DataFrame(values, index=X.index, columns=list(self.feature_types_))

    @single_threaded
    def explain(self, X: pd.DataFrame, top: int = 3) -> list[list[str]]:
        """The ``top`` readable reasons per row, strongest first (see the module docstring)."""
        data = self._prepare(X)
        names = list(self.feature_types_)
        risk = self.pipeline_.predict_proba(data)[:, 1]
        if self.candidate_.family == "logistic":
            contrib = logistic_contributions(self.pipeline_, data, names)
        else:
            contrib = hgb_contributions(self.pipeline_, data, self.background_)
        out: list[list[str]] = []
        for i in range(len(data)):
            row = contrib[i]
            chosen = top_reasons(row, bool(risk[i] >= self.base_rate_), top)
            out.append([self._reason(names[j], data.iat[i, j], row[j]) for j in chosen])
        return out

    def _reason(self, name: str, value: Any, contribution: float) -> str:
        return reason_text(
            name,
            value,
            contribution,
            self.feature_types_[name],
            self.stats_,
            self.feature_labels or {},
            self.reason_templates or {},
        )

    # ------------------------------------------------------------------- report

    def report(self) -> dict[str, Any]:
        """Training report: sizes, chosen model, validation figures, features (JSON-compatible)."""
        self._check_fitted()
        return self.report_

    # ---------------------------------------------------------------- file I/O

    def manifest(self) -> dict[str, Any]:
        """The JSON header written in front of the pickle by :meth:`save`."""
        return persistence.manifest(self)

    def save(self, path: str | Path) -> Path:
        """Write the model file (header line, JSON manifest line, joblib pickle)."""
        return persistence.save(self, path)

    @classmethod
    def load(cls, path: str | Path) -> ChurnModel:
        """Read a model file written by :meth:`save`, checking its manifest before unpickling."""
        return persistence.load(cls, path)
