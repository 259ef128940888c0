"""Reasons for a churn risk: per-feature contributions and their readable text.

Per customer and feature a *contribution* says how far that feature moves the risk away from an
average customer:

* logistic: ``Σ_k β_k · z_k`` over the model columns ``k`` built from the feature, where ``β_k`` is
  the coefficient and ``z_k`` the standardised column value — exactly the feature's share of the
  log-odds minus the training average (the log-odds is the intercept plus the sum of all
  contributions);
* gradient boosting: ``p(x) − Σ_v w_v · p(x with the feature set to v)`` — the risk minus its
  average when the feature is replaced by representative training values ``v`` (10 quantiles for
  a number, the levels with their frequencies for a category).

:func:`top_reasons` picks the ``top`` features pushing the risk in the direction of the customer's
score (upwards above the training churn rate, downwards below), topped up with the strongest
remaining ones; :func:`reason_text` words one of them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from retentionkit.churn.features_file import FeatureKind
from retentionkit.errors import InputError

__all__ = [
    "background",
    "feature_stats",
    "fmt_value",
    "hgb_contributions",
    "logistic_contributions",
    "reason_text",
    "top_reasons",
]

# Representative values per feature for the gradient-boosting attribution.
_BACKGROUND_QUANTILES = np.linspace(0.05, 0.95, 10)
_BACKGROUND_MAX_LEVELS = 15
_EXPLAIN_CHUNK_ROWS = 5_000


def fmt_value(value: Any) -> str:
    """A number as short readable text: 2, 29.85, 1,889.5."""
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        num = float(value)
        if math.isnan(num):
            return "missing"
        text = f"{num:,.2f}".rstrip("0").rstrip(".")
        return "0" if text == "-0" else text
    return str(value)


def feature_stats(data: pd.DataFrame, types: Mapping[str, FeatureKind]) -> dict[str, Any]:
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


def logistic_contributions(pipe: Any, data: pd.DataFrame, names: list[str]) -> NDArray:
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


def background(data: pd.DataFrame, types: Mapping[str, FeatureKind]) -> dict[str, Any]:
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


def hgb_contributions(pipe: Any, data: pd.DataFrame, background: Mapping[str, Any]) -> NDArray:
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


def top_reasons(row: NDArray, above_base: bool, top: int) -> list[int]:
    """Indices of the ``top`` features to explain one customer (module docstring)."""
    sign = 1.0 if above_base else -1.0
    order = np.argsort(-sign * row, kind="stable")
    chosen = [int(j) for j in order if sign * row[j] > 1e-9][:top]
    if len(chosen) < top:
        rest = [int(j) for j in np.argsort(-np.abs(row), kind="stable") if j not in chosen]
        chosen += [j for j in rest if abs(row[j]) > 1e-9][: top - len(chosen)]
    return chosen


def reason_text(
    name: str,
    value: Any,
    contribution: float,
    kind: FeatureKind,
    stats: Mapping[str, Any],
    labels: Mapping[str, str],
    templates: Mapping[str, str],
) -> str:
    """One readable reason: a caller's template for the feature, or the default wording."""
    effect = "raises risk" if contribution > 0 else "lowers risk"
    is_missing = value is None or (isinstance(value, float) and math.isnan(value))
    fields: dict[str, Any] = {
        "feature": name,
        "label": labels.get(name, name),
        "value": "missing" if is_missing else fmt_value(value),
        "effect": effect,
        "median": "",
        "level": "",
    }
    if kind == "numeric":
        median = stats[name]["median"]
        fields["median"] = fmt_value(median)
        if not is_missing:
            fields["level"] = "low" if value < median else "high" if value > median else "typical"
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
