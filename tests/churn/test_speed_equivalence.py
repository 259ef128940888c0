"""The churn speed-ups change no number (issue 17 item 4).

* cross-validation fits the preprocessing once per fold for the candidates that share it; the
  reference here is the previous implementation: every candidate's whole pipeline fitted on
  every fold;
* fits run on one native thread, restored afterwards;
* the backtest builds the features and labels of a cutoff once, with the same result as
  building them for every use.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retentionkit.churn import features as feat
from retentionkit.churn import metrics as cm
from retentionkit.churn import pipeline as churn_pipeline
from retentionkit.churn.candidates import CANDIDATES, _auc, cross_validate, fit_quiet
from retentionkit.churn.features_file import coerce_features, infer_feature_types
from retentionkit.churn.pipelines import build_pipeline, preprocessing_key
from retentionkit.churn.threads import one_thread
from retentionkit.generate import generate_business
from retentionkit.workspace import Workspace

from .conftest import synthetic_customers


def _reference_cv(data, y, types, splits, random_state):
    """The previous cross-validation: each candidate's whole pipeline, fold by fold."""
    out = {}
    for cand in CANDIDATES.values():
        oof = np.empty(len(y))
        aucs = []
        for train_idx, test_idx in splits:
            est = build_pipeline(cand, data.iloc[train_idx], types, random_state)
            fit_quiet(est, data.iloc[train_idx], y[train_idx])
            oof[test_idx] = est.predict_proba(data.iloc[test_idx])[:, 1]
            aucs.append(_auc(y[test_idx], oof[test_idx]))
        out[cand.name] = (oof, float(np.mean(aucs)), float(np.std(aucs)))
    return out


def test_shared_preprocessing_gives_the_same_folds_as_whole_pipelines() -> None:
    from sklearn.model_selection import StratifiedKFold

    seed = 1
    frame = synthetic_customers(n=400, seed=seed)
    y = (frame["churned"] == "Yes").to_numpy().astype(int)
    X = frame.drop(columns=["customer", "churned"])
    types, _ = infer_feature_types(X)
    data = coerce_features(X, types)
    best, results, folds = cross_validate(list(CANDIDATES.values()), data, y, types, 5, seed)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    splits = list(splitter.split(np.zeros(len(y)), y))
    with one_thread():
        ref = _reference_cv(data, y, types, splits, seed)
    assert len({preprocessing_key(c) for c in CANDIDATES.values()}) < len(CANDIDATES)
    for r in results:
        oof, auc, std = ref[r["candidate"].name]
        assert np.array_equal(r["oof"], oof)
        assert r["roc_auc"] == auc and r["roc_auc_std"] == std
    assert best["candidate"].name == max(ref, key=lambda n: ref[n][1])


def test_one_thread_limits_native_pools_and_restores_them() -> None:
    from threadpoolctl import threadpool_info

    with one_thread():  # loads the native libraries, so "before" below sees them all
        pass
    before = {pool["filepath"]: pool["num_threads"] for pool in threadpool_info()}
    with one_thread():
        inside = threadpool_info()
    assert inside and all(pool["num_threads"] == 1 for pool in inside)
    after = {pool["filepath"]: pool["num_threads"] for pool in threadpool_info()}
    assert after == before


@pytest.mark.slow
def test_backtest_builds_each_cutoff_once_with_the_same_result(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = Workspace(tmp_path / "shop.duckdb")
    frames = generate_business(customers=300, months=24, seed=5, kind="ecommerce")
    ws.ingest("orders", frames["orders"])
    calls: list[pd.Timestamp] = []
    build = feat.build_features

    def counting(ws_: Workspace, cutoff: pd.Timestamp) -> pd.DataFrame:
        calls.append(cutoff)
        return build(ws_, cutoff)

    monkeypatch.setattr(feat, "build_features", counting)
    got = churn_pipeline.backtest(ws, horizon="60d", folds=2, train_cutoffs=4)
    assert len(calls) == len(set(calls)) and len(calls) < 10  # 2 × (4 + 1) uses

    # the reference: every use builds its own tables (the previous behaviour)
    h = 60
    start, _ = feat.data_span(ws)
    for fold in got["folds"]:
        e = pd.Timestamp(fold["cutoff"])
        train_at = churn_pipeline._cutoffs_before(e, h, 4, start)
        x_train, y_train = churn_pipeline._training_rows(ws, train_at, h)
        model = churn_pipeline._new_model().fit(x_train, y_train)
        test = build(ws, e).merge(feat.labels(ws, e, h), on="customer_id")
        risk = model.predict_risk(test[feat.model_columns(test.drop(columns=["churned"]))])

        scores = cm.evaluate(test["churned"].to_numpy(), risk)
        assert fold["roc_auc"] == scores["roc_auc"] and fold["brier"] == scores["brier"]
        assert fold["train_rows"] == len(y_train)


@pytest.mark.parametrize("levels", [3, 28, 29, 30, 45])
def test_level_cap_encodes_like_the_fixed_cap(levels: int) -> None:
    """Encoders built with the cap only where it can matter give the same matrices as encoders
    that always carry it (30 one-hot levels, 60 ordinal levels), unseen levels included."""
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

    from retentionkit.churn.pipelines import _MAX_ONEHOT_LEVELS, _level_cap

    rng = np.random.default_rng(levels)
    train = pd.DataFrame({"c": rng.choice([f"L{i}" for i in range(levels)], 900)})
    train.loc[::17, "c"] = np.nan
    test = pd.DataFrame({"c": ["L0", "new", np.nan, f"L{levels - 1}"]})
    filled_train, filled_test = train.fillna("(missing)"), test.fillna("(missing)")

    def onehot(cap: int | None) -> np.ndarray:
        enc = OneHotEncoder(
            handle_unknown="infrequent_if_exist", max_categories=cap, sparse_output=False
        )
        return np.vstack([enc.fit_transform(filled_train), enc.transform(filled_test)])

    def ordinal(cap: int | None) -> np.ndarray:
        enc = OrdinalEncoder(
            handle_unknown="use_encoded_value", unknown_value=np.nan, max_categories=cap
        )
        return np.vstack([enc.fit_transform(train), enc.transform(test)])

    cap = _level_cap(train["c"], _MAX_ONEHOT_LEVELS)
    assert (cap is None) == (levels + 1 < _MAX_ONEHOT_LEVELS)  # the NaN level counts
    assert np.array_equal(onehot(cap), onehot(_MAX_ONEHOT_LEVELS), equal_nan=True)
    assert np.array_equal(ordinal(_level_cap(train["c"], 60)), ordinal(60), equal_nan=True)
