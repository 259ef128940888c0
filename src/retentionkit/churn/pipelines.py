"""The two scikit-learn pipeline families of the churn model candidates.

* ``logistic``: L2-regularised logistic regression on one-hot categories and numeric features
  (median-imputed with a missing-value indicator; numeric features with at least
  ``_SPLINE_MIN_DISTINCT`` (10) distinct values enter through a cubic B-spline basis with 5 quantile
  knots), every column standardised; one transformer per feature, so each model column maps back
  to its feature (:func:`retentionkit.churn.reasons.logistic_contributions`);
* ``hgb``: :class:`~sklearn.ensemble.HistGradientBoostingClassifier` on ordinal-encoded
  categories with native categorical splits.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from retentionkit.churn.features_file import FeatureKind

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.churn.candidates import Candidate

__all__ = ["build_pipeline", "preprocessing_key"]

# Numeric features with at least this many distinct training values get a spline basis in the
# logistic model; fewer (flags, small counts) enter linearly.
_SPLINE_MIN_DISTINCT = 10
# Category caps: rarer levels are merged into one "infrequent" level.
_MAX_ONEHOT_LEVELS = 30
_MAX_ORDINAL_LEVELS = 60


def build_pipeline(
    cand: Candidate, data: pd.DataFrame, types: Mapping[str, FeatureKind], random_state: int
) -> Any:
    """An unfitted pipeline of ``cand``'s family and hyperparameters for these features."""
    if cand.family == "logistic":
        return _logistic_pipeline(cand.params, data, types)
    return _hgb_pipeline(cand.params, data, types, random_state)


def _level_cap(col: pd.Series, cap: int) -> int | None:
    """``cap`` for the encoder's ``max_categories`` when the column it is fitted on has at
    least that many levels (missing counted as one), else None. With fewer levels than the cap
    scikit-learn marks no level infrequent (it groups when ``max_categories`` < levels + 1), so
    both settings encode identically — but with a cap it counts every value in Python
    (``_get_counts``), which took most of the Telco preprocessing time."""
    return cap if col.nunique(dropna=False) >= cap else None


def preprocessing_key(cand: Candidate) -> tuple[Any, ...]:
    """Candidates with equal keys build identical preprocessing steps (everything before the
    classifier) from the same data: the family, plus the spline switch for the logistic family
    (``C`` only reaches the classifier; the gradient-boosting settings only the classifier)."""
    if cand.family == "logistic":
        return ("logistic", bool(cand.params.get("splines")))
    return (cand.family,)


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
                max_categories=_level_cap(data[name], _MAX_ONEHOT_LEVELS),
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
                max_categories=_level_cap(data[name], _MAX_ORDINAL_LEVELS),
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
