"""Churn metrics: hand-computed lift and calibration groups, sklearn-backed AUCs, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from retentionkit.churn.metrics import (
    brier_score,
    calibration_table,
    evaluate,
    lift_at,
    pr_auc,
    roc_auc,
)
from retentionkit.errors import InputError


def test_lift_hand_computed() -> None:
    # 10 customers, 3 churners (base 0.3); top 20 % = the two highest risks: 1 churner → 0.5/0.3.
    y = [1, 0, 1, 0, 0, 0, 1, 0, 0, 0]
    p = [0.9, 0.8, 0.1, 0.2, 0.3, 0.05, 0.4, 0.01, 0.02, 0.03]
    assert lift_at(y, p, 0.2) == pytest.approx(0.5 / 0.3)
    assert lift_at(y, p, 1.0) == pytest.approx(1.0)


def test_perfect_ranking_reaches_maximum_lift() -> None:
    y = np.array([1] * 20 + [0] * 80)
    p = np.linspace(1, 0, 100)
    assert lift_at(y, p, 0.1) == pytest.approx(1 / 0.2)
    assert roc_auc(y, p) == 1.0
    assert pr_auc(y, p) == pytest.approx(1.0)


def test_calibration_table_groups_by_rank() -> None:
    rng = np.random.default_rng(1)
    p = rng.random(1003)
    y = (rng.random(1003) < p).astype(int)
    table = calibration_table(y, p)
    assert table["n"].sum() == 1003
    assert set(table["n"]) <= {100, 101}
    assert table["mean_risk"].is_monotonic_increasing
    # Calibrated by construction: observed rate within a few points of the mean risk.
    assert np.allclose(table["churn_rate"], table["mean_risk"], atol=0.1)


def test_evaluate_is_plain_python_and_brier_matches_definition() -> None:
    y = np.array([0, 1, 0, 1])
    p = np.array([0.2, 0.7, 0.4, 0.9])
    out = evaluate(y, p)
    assert out["brier"] == pytest.approx(np.mean((p - y) ** 2)) == brier_score(y, p)
    assert out["roc_auc"] == 1.0
    assert out["n"] == 4 and out["positive_rate"] == 0.5
    assert isinstance(out["calibration"], list)


def test_bad_inputs_are_input_errors() -> None:
    with pytest.raises(InputError, match="both churned and retained"):
        roc_auc([1, 1], [0.2, 0.3])
    with pytest.raises(InputError, match="differ in length"):
        roc_auc([1, 0], [0.2])
    with pytest.raises(InputError, match="no customer in the evaluation set churned"):
        lift_at([0, 0], [0.1, 0.2])
    with pytest.raises(InputError, match="top fraction"):
        lift_at([0, 1], [0.1, 0.2], 0)
