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

**Model file.** :meth:`ChurnModel.save` writes a one-line magic header, one line of JSON manifest
(format version, retentionkit and scikit-learn versions, features and their types, id and label
columns, validation figures) and then the joblib pickle. :meth:`ChurnModel.load` reads and checks
the manifest *before* unpickling, so a file of another format version is refused with a sentence
instead of failing somewhere inside pickle. Pickles run code when loaded: load only model files
you trust.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from retentionkit.churn.features_file import FeatureKind, coerce_features, infer_feature_types
from retentionkit.churn.metrics import evaluate
from retentionkit.errors import (
    InputError,
    MissingFileError,
    ModelFitError,
    NotFittedError,
    UnknownNameError,
)

__all__ = [
    "CANDIDATES",
    "FORMAT_VERSION",
    "Candidate",
    "ChurnModel",
    "read_manifest",
]

#: Version of the model file layout; bump it when the manifest or the pickled object changes.
FORMAT_VERSION = 1
_MAGIC = b"RETENTIONKIT-CHURN-MODEL\n"
_FILE_KIND = "retentionkit-churn-model"

# Numeric features with at least this many distinct training values get a spline basis in the
# logistic model; fewer (flags, small counts) enter linearly.
_SPLINE_MIN_DISTINCT = 10
# Category caps: rarer levels are merged into one "infrequent" level.
_MAX_ONEHOT_LEVELS = 30
_MAX_ORDINAL_LEVELS = 60
# Representative values per feature for the gradient-boosting attribution.
_BACKGROUND_QUANTILES = np.linspace(0.05, 0.95, 10)
_BACKGROUND_MAX_LEVELS = 15
_EXPLAIN_CHUNK_ROWS = 5_000


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


def _fmt_value(value: Any) -> str:
    """A number as short readable text: 2, 29.85, 1,889.5."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        num = float(value)
        if math.isnan(num):
            return "missing"
        text = f"{num:,.2f}".rstrip("0").rstrip(".")
        return "0" if text == "-0" else text
    return str(value)


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

    # ------------------------------------------------------------------ fitting

    def _candidate_list(self) -> list[Candidate]:
        names = list(self.candidates) if self.candidates is not None else list(CANDIDATES)
        unknown = [n for n in names if n not in CANDIDATES]
        if unknown or not names:
            raise UnknownNameError(
                f"Unknown churn model candidate {', '.join(unknown) or '(none given)'}; "
                f"choose from: {', '.join(CANDIDATES)}."
            )
        return [CANDIDATES[n] for n in names]

    def fit(self, X: pd.DataFrame, y: ArrayLike) -> ChurnModel:
        """Detect feature types, choose a candidate by cross-validated ROC-AUC, refit on all rows.

        ``X`` holds one row per customer and only feature columns (no id, no label); ``y`` is 1
        for churned and 0 for retained customers (booleans accepted).
        """
        from sklearn.model_selection import StratifiedKFold

        if not isinstance(X, pd.DataFrame):
            raise InputError("ChurnModel.fit needs the features as a pandas DataFrame.")
        y_arr = _as_labels(y, len(X))
        candidates = self._candidate_list()

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

        n_pos = int(y_arr.sum())
        n_min = min(n_pos, len(y_arr) - n_pos)
        if n_min < 2:
            raise ModelFitError(
                f"A churn model needs at least 2 churned and 2 retained customers; got {n_pos} "
                f"churned and {len(y_arr) - n_pos} retained."
            )
        folds = max(2, min(self.cv_folds, n_min))
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.random_state)
        splits = list(splitter.split(np.zeros(len(y_arr)), y_arr))

        results = []
        for cand in candidates:
            oof = np.empty(len(y_arr))
            aucs = []
            try:
                for train_idx, test_idx in splits:
                    est = self._build(cand, data.iloc[train_idx], types)
                    _fit_quiet(est, data.iloc[train_idx], y_arr[train_idx])
                    oof[test_idx] = est.predict_proba(data.iloc[test_idx])[:, 1]
                    aucs.append(_auc(y_arr[test_idx], oof[test_idx]))
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
        best = max(ok, key=lambda r: r["roc_auc"])
        chosen: Candidate = best["candidate"]

        final = self._build(chosen, data, types)
        _fit_quiet(final, data, y_arr)

        self.feature_types_ = types
        self.dropped_columns_ = dropped
        self.candidate_ = chosen
        self.pipeline_ = final
        self.base_rate_ = float(y_arr.mean())
        self.stats_ = _feature_stats(data, types)
        self.background_ = _background(data, types) if chosen.family == "hgb" else {}
        self.n_rows_ = len(y_arr)
        validation = evaluate(y_arr, best["oof"])
        self.report_ = {
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

    def _build(self, cand: Candidate, data: pd.DataFrame, types: Mapping[str, FeatureKind]) -> Any:
        if cand.family == "logistic":
            return _logistic_pipeline(cand.params, data, types)
        return _hgb_pipeline(cand.params, data, types, self.random_state)

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

    def predict_risk(self, X: pd.DataFrame) -> NDArray[np.float64]:
        """Churn probability in [0, 1] per row of ``X`` (extra columns are ignored)."""
        data = self._prepare(X)
        return self.pipeline_.predict_proba(data)[:, 1].astype(float)

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """Per-row, per-feature contributions (log-odds for logistic, probability for hgb).

        Positive values raise the customer's risk above that of an average customer; see the
        module docstring for the exact definitions.
        """
        data = self._prepare(X)
        if self.candidate_.family == "logistic":
            values = _logistic_contributions(self.pipeline_, data, list(self.feature_types_))
        else:
            values = _hgb_contributions(self.pipeline_, data, self.background_)
        return pd.DataFrame(values, index=X.index, columns=list(self.feature_types_))

    def explain(self, X: pd.DataFrame, top: int = 3) -> list[list[str]]:
        """The ``top`` readable reasons per row, strongest first (see the module docstring)."""
        data = self._prepare(X)
        names = list(self.feature_types_)
        risk = self.pipeline_.predict_proba(data)[:, 1]
        if self.candidate_.family == "logistic":
            contrib = _logistic_contributions(self.pipeline_, data, names)
        else:
            contrib = _hgb_contributions(self.pipeline_, data, self.background_)
        out: list[list[str]] = []
        for i in range(len(data)):
            row = contrib[i]
            sign = 1.0 if risk[i] >= self.base_rate_ else -1.0
            order = np.argsort(-sign * row, kind="stable")
            chosen = [j for j in order if sign * row[j] > 1e-9][:top]
            if len(chosen) < top:
                rest = [j for j in np.argsort(-np.abs(row), kind="stable") if j not in chosen]
                chosen += [j for j in rest if abs(row[j]) > 1e-9][: top - len(chosen)]
            out.append([self._reason(names[j], data.iat[i, j], row[j]) for j in chosen])
        return out

    def _reason(self, name: str, value: Any, contribution: float) -> str:
        labels = self.feature_labels or {}
        templates = self.reason_templates or {}
        effect = "raises risk" if contribution > 0 else "lowers risk"
        kind = self.feature_types_[name]
        is_missing = value is None or (isinstance(value, float) and math.isnan(value))
        fields: dict[str, Any] = {
            "feature": name,
            "label": labels.get(name, name),
            "value": "missing" if is_missing else _fmt_value(value),
            "effect": effect,
            "median": "",
            "level": "",
        }
        if kind == "numeric":
            median = self.stats_[name]["median"]
            fields["median"] = _fmt_value(median)
            if not is_missing:
                fields["level"] = (
                    "low" if value < median else "high" if value > median else "typical"
                )
        if name in templates and not is_missing:  # a template reads badly with "missing"
            try:
                return templates[name].format(**fields)
            except (KeyError, IndexError, ValueError) as exc:
                raise InputError(
                    f"Reason template for {name!r} is invalid ({exc}); available fields: "
                    f"{', '.join(fields)}."
                ) from None
        if is_missing:
            return "{label} missing ({effect})".format(**fields)
        if kind == "numeric":
            if fields["level"] == "typical":
                return "{label} {value} (median {median}; {effect})".format(**fields)
            return "{label} {value} ({level}; median {median}; {effect})".format(**fields)
        return "{label} = {value} ({effect})".format(**fields)

    # ------------------------------------------------------------------- report

    def report(self) -> dict[str, Any]:
        """Training report: sizes, chosen model, validation figures, features (JSON-compatible)."""
        self._check_fitted()
        return self.report_

    # ---------------------------------------------------------------- file I/O

    def manifest(self) -> dict[str, Any]:
        """The JSON header written in front of the pickle by :meth:`save`."""
        import platform

        import sklearn

        from retentionkit import __version__

        self._check_fitted()
        val = self.report_["validation"]
        return {
            "kind": _FILE_KIND,
            "format_version": FORMAT_VERSION,
            "retentionkit_version": __version__,
            "sklearn_version": sklearn.__version__,
            "python_version": platform.python_version(),
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "model": self.candidate_.name,
            "model_family": self.candidate_.family,
            "features": [{"name": k, "type": v} for k, v in self.feature_types_.items()],
            "id_column": self.id_column,
            "label_column": self.label_column,
            "n_rows": self.n_rows_,
            "positive_rate": self.base_rate_,
            "validation_roc_auc": val["roc_auc"],
            "feature_labels": dict(self.feature_labels or {}),
            "reason_templates": dict(self.reason_templates or {}),
        }

    def save(self, path: str | Path) -> Path:
        """Write the model file (header line, JSON manifest line, joblib pickle)."""
        import joblib

        path = Path(path)
        manifest = self.manifest()
        if path.parent and not path.parent.exists():
            raise MissingFileError(f"Cannot write model file {path}: {path.parent} does not exist.")
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("wb") as handle:
            handle.write(_MAGIC)
            handle.write(json.dumps(manifest, sort_keys=True).encode("utf-8") + b"\n")
            joblib.dump(self, handle, compress=3)
        tmp.replace(path)
        return path

    @classmethod
    def load(cls, path: str | Path) -> ChurnModel:
        """Read a model file written by :meth:`save`, checking its manifest before unpickling."""
        import joblib

        path = Path(path)
        with _open_model(path) as handle:
            manifest = _read_header(handle, path)
            try:
                model = joblib.load(handle)
            except Exception as exc:  # any unpickling failure is a bad file, not a bug
                raise InputError(
                    f"Model file {path} could not be read ({type(exc).__name__}: {exc}); it may "
                    f"be damaged or written with a different scikit-learn (file: "
                    f"{manifest.get('sklearn_version')}); retrain with 'retentionkit churn train'."
                ) from None
        if not isinstance(model, cls):
            raise InputError(f"Model file {path} does not hold a churn model.")
        model.manifest_ = manifest
        return model


# ----------------------------------------------------------------------- helpers


def _open_model(path: Path) -> Any:
    if not path.exists():
        raise MissingFileError(f"Model file {path} does not exist.")
    if path.is_dir():
        raise MissingFileError(f"Model file {path} is a directory, not a model file.")
    return path.open("rb")


def _read_header(handle: Any, path: Path) -> dict[str, Any]:
    from retentionkit import __version__

    if handle.readline() != _MAGIC:
        raise InputError(
            f"{path} is not a retentionkit churn model file (its first line is not the "
            "retentionkit model header); create one with 'retentionkit churn train'."
        )
    try:
        manifest = json.loads(handle.readline().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(f"Model file {path} has a damaged manifest line.") from None
    version = manifest.get("format_version") if isinstance(manifest, dict) else None
    if version != FORMAT_VERSION:
        raise InputError(
            f"Model file {path} has model format version {version} (written by retentionkit "
            f"{manifest.get('retentionkit_version', '?') if isinstance(manifest, dict) else '?'}),"
            f" but this retentionkit {__version__} reads version {FORMAT_VERSION}; retrain it "
            "with 'retentionkit churn train'."
        )
    return manifest


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The JSON manifest of a model file, without unpickling it (safe on untrusted files)."""
    path = Path(path)
    with _open_model(path) as handle:
        return _read_header(handle, path)


def _as_labels(y: ArrayLike, n: int) -> NDArray[np.int_]:
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


def _fit_quiet(est: Any, X: pd.DataFrame, y: NDArray[np.int_]) -> None:
    """Fit without convergence chatter on stderr (the CV score judges the fit instead)."""
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X, y)


def _feature_stats(data: pd.DataFrame, types: Mapping[str, FeatureKind]) -> dict[str, Any]:
    stats: dict[str, Any] = {}
    for name, kind in types.items():
        col = data[name]
        if kind == "numeric":
            present = col.dropna()
            stats[name] = {"median": float(present.median()) if len(present) else float("nan")}
        else:
            mode = col.dropna().mode()
            stats[name] = {"mode": str(mode.iloc[0]) if len(mode) else None}
    return stats


def _logistic_pipeline(
    params: Mapping[str, Any], data: pd.DataFrame, types: Mapping[str, FeatureKind]
) -> Any:
    """One transformer per feature (so each model column maps back to its feature), then scale."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import MissingIndicator, SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, SplineTransformer, StandardScaler

    parts = []
    for i, (name, kind) in enumerate(types.items()):
        col = data[name]
        if kind == "numeric":
            present = col.dropna()
            steps: list[Any] = [SimpleImputer(strategy="median")]
            if params.get("splines") and present.nunique() >= _SPLINE_MIN_DISTINCT:
                knots = np.quantile(present, np.linspace(0, 1, 5))
                kind_knots = "quantile" if np.unique(knots).size == knots.size else "uniform"
                steps.append(
                    SplineTransformer(
                        n_knots=5, degree=3, knots=kind_knots, extrapolation="constant"
                    )
                )
            parts.append((f"f{i}", make_pipeline(*steps), [name]))
            if col.isna().any():
                parts.append((f"f{i}_missing", MissingIndicator(features="all"), [name]))
        else:
            encoder = OneHotEncoder(
                handle_unknown="infrequent_if_exist",
                max_categories=_MAX_ONEHOT_LEVELS,
                sparse_output=False,
            )
            imputer = SimpleImputer(strategy="constant", fill_value="(missing)")
            parts.append((f"f{i}", make_pipeline(imputer, encoder), [name]))
    prep = ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0)
    return Pipeline(
        [
            ("prep", prep),
            ("scale", StandardScaler()),
            ("clf", LogisticRegression(C=params.get("C", 1.0), max_iter=2000)),
        ]
    )


def _hgb_pipeline(
    params: Mapping[str, Any],
    data: pd.DataFrame,
    types: Mapping[str, FeatureKind],
    random_state: int,
) -> Any:
    """Ordinal-encoded categories (unknown and missing → NaN) into native categorical splits."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OrdinalEncoder

    parts = []
    mask = []
    for i, (name, kind) in enumerate(types.items()):
        if kind == "numeric":
            parts.append((f"f{i}", "passthrough", [name]))
            mask.append(False)
        else:
            enc = OrdinalEncoder(
                handle_unknown="use_encoded_value",
                unknown_value=np.nan,
                max_categories=_MAX_ORDINAL_LEVELS,
            )
            parts.append((f"f{i}", enc, [name]))
            mask.append(True)
    prep = ColumnTransformer(parts, remainder="drop", sparse_threshold=0.0)
    clf = HistGradientBoostingClassifier(
        categorical_features=mask,
        early_stopping=len(data) >= 1000,
        random_state=random_state,
        **params,
    )
    return Pipeline([("prep", prep), ("clf", clf)])


def _logistic_contributions(pipe: Any, data: pd.DataFrame, names: list[str]) -> NDArray:
    """β_k · z_k summed over the standardised model columns of each feature."""
    prep = pipe.named_steps["prep"]
    z = pipe.named_steps["scale"].transform(prep.transform(data))
    terms = z * pipe.named_steps["clf"].coef_[0]
    out = np.zeros((len(data), len(names)))
    for tname, slc in prep.output_indices_.items():
        if tname == "remainder" or slc.start == slc.stop:
            continue
        j = int(tname[1:].split("_", 1)[0])
        out[:, j] += terms[:, slc].sum(axis=1)
    return out


def _background(data: pd.DataFrame, types: Mapping[str, FeatureKind]) -> dict[str, Any]:
    """Representative values and weights per feature for the boosting attribution."""
    bg: dict[str, Any] = {}
    for name, kind in types.items():
        col = data[name]
        miss = float(col.isna().mean())
        present = col.dropna()
        if kind == "numeric":
            values: list[Any] = list(np.quantile(present, _BACKGROUND_QUANTILES))
            weights = [(1 - miss) / len(values)] * len(values)
        else:
            freq = present.value_counts(normalize=True).head(_BACKGROUND_MAX_LEVELS)
            values = list(freq.index)
            weights = list(freq.to_numpy() / freq.sum() * (1 - miss))
        if miss > 0:
            values.append(np.nan)
            weights.append(miss)
        bg[name] = (values, np.asarray(weights, dtype=float))
    return bg


def _hgb_contributions(pipe: Any, data: pd.DataFrame, background: Mapping[str, Any]) -> NDArray:
    """p(x) − Σ_v w_v p(x with the feature set to v), computed on the encoded matrix."""
    prep = pipe.named_steps["prep"]
    clf = pipe.named_steps["clf"]
    names = list(background)
    out = np.zeros((len(data), len(names)))
    for start in range(0, len(data), _EXPLAIN_CHUNK_ROWS):
        chunk = data.iloc[start : start + _EXPLAIN_CHUNK_ROWS]
        enc = prep.transform(chunk)
        base = clf.predict_proba(enc)[:, 1]
        n = len(chunk)
        for j, name in enumerate(names):
            values, weights = background[name]
            bg_frame = pd.DataFrame({name: pd.Series(values, dtype=chunk[name].dtype)})
            col = prep.output_indices_[f"f{j}"].start
            enc_values = _encode_column(prep, f"f{j}", bg_frame)
            stacked = np.repeat(enc[np.newaxis, :, :], len(values), axis=0)
            stacked[:, :, col] = enc_values[:, np.newaxis]
            prob = clf.predict_proba(stacked.reshape(-1, enc.shape[1]))[:, 1]
            expected = (prob.reshape(len(values), n) * weights[:, np.newaxis]).sum(axis=0)
            out[start : start + n, j] = base - expected
    return out


def _encode_column(prep: Any, tname: str, frame: pd.DataFrame) -> NDArray:
    """Encode background values of one feature with that feature's fitted transformer."""
    transformer = prep.named_transformers_[tname]
    if transformer == "passthrough":
        return frame.iloc[:, 0].to_numpy(dtype=float)
    return np.asarray(transformer.transform(frame), dtype=float)[:, 0]
