"""ChurnModel: fitting, risks, reasons, unseen categories, the model file and its refusals."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from retentionkit.churn.model import FORMAT_VERSION, ChurnModel, read_manifest
from retentionkit.errors import InputError, MissingFileError, NotFittedError

from .conftest import synthetic_customers

FEATURES = ["tenure", "plan", "charges", "noise"]


def xy(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    return frame[FEATURES], (frame["churned"] == "Yes").to_numpy()


@pytest.fixture(scope="module")
def fitted() -> dict[str, ChurnModel]:
    X, y = xy(synthetic_customers())
    return {
        family: ChurnModel(candidates=[family], cv_folds=3).fit(X, y)
        for family in ("logistic", "hgb")
    }


def test_report_has_the_promised_fields(fitted: dict[str, ChurnModel]) -> None:
    report = fitted["logistic"].report()
    assert report["n_rows"] == 400
    assert report["n_features"] == 4
    assert 0 < report["positive_rate"] < 1
    assert report["model"] == "logistic"
    val = report["validation"]
    for key in ("roc_auc", "pr_auc", "lift_top10", "brier", "calibration"):
        assert key in val
    assert len(val["calibration"]) == 10
    assert val["roc_auc"] > 0.75  # the synthetic signal is strong
    assert [f["name"] for f in report["features"]] == FEATURES
    assert {f["name"]: f["type"] for f in report["features"]}["tenure"] == "numeric"
    json.dumps(report)  # JSON-compatible


def test_default_choice_compares_all_candidates() -> None:
    X, y = xy(synthetic_customers(300, seed=3))
    model = ChurnModel(cv_folds=3).fit(X, y)
    report = model.report()
    names = [c["name"] for c in report["candidates"]]
    assert {"logistic", "hgb"} <= set(names)
    best = max(report["candidates"], key=lambda c: c["roc_auc"])
    assert report["model"] == best["name"]


@pytest.mark.parametrize("family", ["logistic", "hgb"])
def test_risks_reasons_and_unseen_categories(fitted: dict[str, ChurnModel], family: str) -> None:
    model = fitted[family]
    X, _ = xy(synthetic_customers(50, seed=9))
    X = X.copy()
    X.loc[0, "plan"] = "lifetime"  # never seen in training
    X.loc[1, "charges"] = None  # missing where training had none
    risk = model.predict_risk(X)
    assert risk.shape == (50,)
    assert np.all((risk >= 0) & (risk <= 1))
    reasons = model.explain(X)
    assert len(reasons) == 50
    assert all(1 <= len(r) <= 3 for r in reasons)
    assert all(isinstance(text, str) and text for row in reasons for text in row)


@pytest.mark.parametrize("family", ["logistic", "hgb"])
def test_reasons_point_at_the_true_drivers(fitted: dict[str, ChurnModel], family: str) -> None:
    model = fitted[family]
    risky = pd.DataFrame({"tenure": ["1"], "plan": ["monthly"], "charges": ["65"], "noise": ["a"]})
    safe = pd.DataFrame({"tenure": ["70"], "plan": ["two-year"], "charges": ["65"], "noise": ["a"]})
    assert model.predict_risk(risky)[0] > model.base_rate_ > model.predict_risk(safe)[0]
    risky_reasons = model.explain(risky)[0]
    assert risky_reasons[0].startswith(("tenure 1 (low; median", "plan = monthly (raises risk)"))
    assert any(r.startswith("tenure 1 (low; median") and "raises risk" in r for r in risky_reasons)
    assert "plan = monthly (raises risk)" in risky_reasons
    safe_reasons = model.explain(safe)[0]
    assert any(r.startswith("tenure 70 (high;") and "lowers risk" in r for r in safe_reasons)


def test_logistic_contributions_add_up_to_the_log_odds(fitted: dict[str, ChurnModel]) -> None:
    model = fitted["logistic"]
    train_X, _ = xy(synthetic_customers())
    X, _ = xy(synthetic_customers(30, seed=5))
    contrib = model.contributions(X).sum(axis=1).to_numpy()
    pipe = model.pipeline_
    from retentionkit.churn.features_file import coerce_features

    logit = pipe.decision_function(coerce_features(X, model.feature_types_))
    mean_logit = pipe.decision_function(coerce_features(train_X, model.feature_types_)).mean()
    np.testing.assert_allclose(contrib, logit - mean_logit, atol=1e-8)


def test_feature_labels_and_templates_shape_the_reasons() -> None:
    frame = synthetic_customers()
    frame = frame.rename(columns={"tenure": "days_since_last_order"})
    X = frame[["days_since_last_order", "plan", "charges", "noise"]]
    y = (frame["churned"] == "No").to_numpy()  # long gaps now mean churn
    model = ChurnModel(
        candidates=["logistic"],
        cv_folds=3,
        feature_labels={"plan": "billing plan"},
        reason_templates={"days_since_last_order": "no order for {value} days ({effect})"},
    ).fit(X, y)
    row = pd.DataFrame(
        {"days_since_last_order": ["94"], "plan": ["two-year"], "charges": ["50"], "noise": ["a"]}
    )
    reasons = model.explain(row)[0]
    assert "no order for 94 days (raises risk)" in reasons
    assert "billing plan = two-year (raises risk)" in reasons


def test_save_load_roundtrip_and_manifest(fitted: dict[str, ChurnModel], tmp_path: Path) -> None:
    model = fitted["hgb"]
    model.id_column, model.label_column = "customer", "churned"
    path = model.save(tmp_path / "m.rkm")
    manifest = read_manifest(path)
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["features"][0] == {"name": "tenure", "type": "numeric"}
    assert manifest["id_column"] == "customer"
    assert manifest["label_column"] == "churned"
    assert "sklearn_version" in manifest and "retentionkit_version" in manifest
    loaded = ChurnModel.load(path)
    X, _ = xy(synthetic_customers(20, seed=2))
    np.testing.assert_allclose(loaded.predict_risk(X), model.predict_risk(X))
    assert loaded.explain(X) == model.explain(X)


def test_model_file_of_another_format_version_is_refused(
    fitted: dict[str, ChurnModel], tmp_path: Path
) -> None:
    path = fitted["logistic"].save(tmp_path / "m.rkm")
    magic, header, payload = path.read_bytes().split(b"\n", 2)
    manifest = json.loads(header)
    manifest["format_version"] = FORMAT_VERSION + 1
    path.write_bytes(magic + b"\n" + json.dumps(manifest).encode() + b"\n" + payload)
    with pytest.raises(InputError) as err:
        ChurnModel.load(path)
    assert f"has model format version {FORMAT_VERSION + 1}" in str(err.value)
    assert f"reads version {FORMAT_VERSION}" in str(err.value)


def test_not_a_model_file_and_missing_file(tmp_path: Path) -> None:
    other = tmp_path / "x.rkm"
    other.write_bytes(b"hello\n")
    with pytest.raises(InputError, match="is not a retentionkit churn model file"):
        ChurnModel.load(other)
    with pytest.raises(MissingFileError, match="does not exist"):
        ChurnModel.load(tmp_path / "none.rkm")


def test_feature_mismatch_is_refused(fitted: dict[str, ChurnModel]) -> None:
    X, _ = xy(synthetic_customers(10))
    with pytest.raises(InputError) as err:
        fitted["logistic"].predict_risk(X.drop(columns=["plan", "noise"]))
    assert "lacks the feature columns plan, noise" in str(err.value)


def test_no_usable_features_and_unfitted() -> None:
    X = pd.DataFrame({"same": ["x"] * 10, "blank": [""] * 10})
    with pytest.raises(InputError, match="no usable feature columns"):
        ChurnModel().fit(X, [0, 1] * 5)
    with pytest.raises(NotFittedError):
        ChurnModel().predict_risk(X)
    with pytest.raises(InputError, match="both churned and retained"):
        ChurnModel().fit(pd.DataFrame({"a": range(10)}), [0] * 10)
