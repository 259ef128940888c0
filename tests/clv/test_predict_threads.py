"""``predict_summary`` on many customers computes the purchase model's figures in consecutive
slices on the fit threads: every figure is a customer's own, so the result is the one-slice
result to the last digit, for every purchase model (and the exponential limit's quadrature),
with money and without."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from retentionkit.clv import workflow
from retentionkit.clv.models import get_model
from retentionkit.clv.spend import MeanSpend
from retentionkit.workers import WORKERS_ENV, fit_workers

needs_two_cores = pytest.mark.skipif(fit_workers() < 2, reason="one core: no threads")


def _summary(n: int, seed: int, money: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    big_t = rng.uniform(1, 78, n).round(3)
    frequency = rng.poisson(2.0, n).astype("int64")
    recency = np.where(frequency > 0, (big_t * rng.uniform(0, 1, n)).round(3), 0.0)
    spend = np.where(frequency > 0, rng.gamma(4, 12, n), 0.0) if money else np.zeros(n)
    return pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "frequency": frequency,
            "recency": recency,
            "T": big_t,
            "monetary_value": spend,
        }
    )


@needs_two_cores
@pytest.mark.parametrize("model", ["bgnbd", "mbgnbd", "paretonbd"])
@pytest.mark.parametrize("money", [True, False])
def test_slices_on_threads_give_the_one_slice_numbers(
    monkeypatch: pytest.MonkeyPatch, model: str, money: bool
) -> None:
    fit_on = _summary(3_000, seed=1)
    purchase = workflow.fit_summary_model(fit_on, model)
    # orders without amounts: the mean-spend stand-in says "no money" (clv/spend.py)
    spend = workflow.fit_summary_model(fit_on, "gamma-gamma") if money else MeanSpend(None, [])
    summary = _summary(20_011, seed=2, money=money)  # not a multiple of the slice count

    def predict() -> pd.DataFrame:
        return workflow.predict_summary(
            summary, purchase, spend, horizon=52, time_unit="week", margin=0.3
        )

    monkeypatch.setenv(WORKERS_ENV, "1")
    whole = predict()
    monkeypatch.setenv(WORKERS_ENV, "2")
    monkeypatch.setattr(workflow, "PARALLEL_PREDICT_CUSTOMERS", 1_000)
    assert len(workflow._slices(len(summary))) == 2
    sliced = predict()
    pd.testing.assert_frame_equal(whole, sliced, check_exact=True)
    assert sliced["clv"].isna().all() != money


@needs_two_cores
def test_the_exponential_limit_is_sliced_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Pareto/NBD boundary fit predicts with the exponential limit (quadrature in blocks)."""
    purchase = get_model("paretonbd")()
    purchase.fit([1, 2, 0, 5, 3] * 40, [3.0, 6.0, 0.0, 20.0, 9.0] * 40, [30.0] * 200)
    purchase.limit_ = {"r": 0.8, "alpha": 4.0, "mu": 0.03}
    spend = workflow.fit_summary_model(_summary(3_000, seed=1), "gamma-gamma")
    summary = _summary(30_000, seed=3)
    monkeypatch.setenv(WORKERS_ENV, "1")
    whole = workflow.predict_summary(summary, purchase, spend, horizon=26, time_unit="week")
    monkeypatch.setenv(WORKERS_ENV, "2")
    monkeypatch.setattr(workflow, "PARALLEL_PREDICT_CUSTOMERS", 1_000)
    sliced = workflow.predict_summary(summary, purchase, spend, horizon=26, time_unit="week")
    pd.testing.assert_frame_equal(whole, sliced, check_exact=True)
