"""Holdout evaluation: checked against a simulation where the true model is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retentionkit.clv.evaluation import HOLDOUT_COLUMNS, choose_model, evaluate_holdout
from retentionkit.clv.models import BetaGeoFitter
from retentionkit.errors import InputError, UnknownNameError


def simulate_calibration_holdout(n: int, seed: int) -> pd.DataFrame:
    """BG/NBD customers born in weeks 0-12, calibration to week 39, holdout weeks 39-78."""
    rng = np.random.default_rng(seed)
    r, alpha, a, b = 0.25, 4.0, 0.8, 2.5
    birth = rng.uniform(0, 12, n)
    lam = rng.gamma(r, 1 / alpha, n)
    p = rng.beta(a, b, n)
    rows = []
    for i in range(n):
        t, times = 0.0, []
        while True:
            t += rng.exponential(1 / lam[i])
            if birth[i] + t > 78:
                break
            times.append(t)
            if rng.random() < p[i]:
                break
        times_arr = np.array(times)
        T = 39 - birth[i]
        cal = times_arr[times_arr <= T]
        rows.append(
            {
                "customer_id": f"c{i}",
                "frequency": len(cal),
                "recency": float(cal.max()) if len(cal) else 0.0,
                "T": T,
                "monetary_value": 0.0,
                "frequency_holdout": int((times_arr > T).sum()),
                "monetary_value_holdout": 0.0,
                "duration_holdout": 39.0,
            }
        )
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return simulate_calibration_holdout(4000, seed=2)


def test_true_model_predicts_holdout_totals(frame: pd.DataFrame) -> None:
    ev = evaluate_holdout(frame, "bgnbd")
    assert ev.model_name == "bgnbd"
    assert ev.total_predicted == pytest.approx(ev.total_actual, rel=0.1)
    table = ev.by_frequency
    assert list(table.columns) == [
        "frequency_bucket",
        "n_customers",
        "actual_mean",
        "predicted_mean",
    ]
    assert table["frequency_bucket"].iloc[0] == "0"
    assert table["n_customers"].sum() == len(frame)
    assert set(table["frequency_bucket"]) <= {"0", "1", "2", "3", "4", "5", "6", "7+"}
    manual = np.mean(np.abs(ev.per_customer["actual"] - ev.per_customer["predicted"]))
    assert ev.mae == pytest.approx(manual)
    # predicted means grow with calibration frequency
    assert table["predicted_mean"].is_monotonic_increasing


def test_evaluate_accepts_a_fitted_model(frame: pd.DataFrame) -> None:
    m = BetaGeoFitter().fit(frame["frequency"], frame["recency"], frame["T"])
    assert evaluate_holdout(frame, m).mae == pytest.approx(evaluate_holdout(frame, "bgnbd").mae)


def test_choose_model_picks_lowest_mae(frame: pd.DataFrame) -> None:
    choice = choose_model(frame)
    table = choice.table()
    assert set(table["model"]) == {"bgnbd", "mbgnbd", "paretonbd"}
    assert choice.best == table["model"].iloc[0]
    assert choice.evaluations[choice.best].mae == table["mae"].min()
    assert choice.model.model_name == choice.best


def test_holdout_frame_errors(frame: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="lacks column\\(s\\) duration_holdout"):
        evaluate_holdout(frame.drop(columns=["duration_holdout"]))
    bad = frame.copy()
    bad.loc[3, "frequency_holdout"] = -1
    with pytest.raises(
        InputError, match="'frequency_holdout' must hold numbers >= 0; customer c3 holds -1"
    ):
        evaluate_holdout(bad)
    with pytest.raises(InputError, match="needs a purchase model"):
        evaluate_holdout(frame, "gamma-gamma")
    with pytest.raises(UnknownNameError, match="valid names are"):
        choose_model(frame, candidates=("bgnbd", "nope"))
    assert "customer_id" in HOLDOUT_COLUMNS
