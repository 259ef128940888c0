"""Fits on data simulated from each model with known parameters recover those parameters.

Tolerance: within 4 standard errors (as reported by the fit's Hessian) and 35 % of the true value,
on 20,000 simulated customers with a fixed seed. (Flooring simulated times to a daily grid
biases the MBG/NBD drop-out parameters by several standard errors, so histories stay continuous.)
"""

from __future__ import annotations

import numpy as np
import pytest

from retentionkit.clv import simulate as sim
from retentionkit.clv.models import (
    BaseFitter,
    BetaGeoBetaBinomFitter,
    BetaGeoFitter,
    GammaGammaFitter,
    ModifiedBetaGeoFitter,
    ParetoNBDFitter,
    ShiftedBetaGeometricFitter,
)

N = 20_000


def assert_recovered(model: BaseFitter, truth: dict[str, float]) -> None:
    for k, v in truth.items():
        est, se = model.params_[k], model.standard_errors_[k]
        assert np.isfinite(se) and se > 0, k
        assert abs(est - v) <= 4 * se, (k, est, v, se)
        assert est == pytest.approx(v, rel=0.35), k


@pytest.mark.parametrize(
    ("cls", "simulate", "truth"),
    [
        (BetaGeoFitter, sim.simulate_bgnbd, {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}),
        (ModifiedBetaGeoFitter, sim.simulate_mbgnbd, {"r": 0.5, "alpha": 6.0, "a": 0.9, "b": 1.6}),
        (
            ParetoNBDFitter,
            sim.simulate_paretonbd,
            {"r": 0.55, "alpha": 10.0, "s": 0.6, "beta": 12.0},
        ),
    ],
)
def test_purchase_models_recover_simulated_parameters(
    cls: type, simulate: object, truth: dict[str, float]
) -> None:
    # Pareto/NBD has no analytic gradient and evaluates 2F1 per row: 8,000 customers keep it fast
    n = 8_000 if cls is ParetoNBDFitter else N
    T = np.random.default_rng(11).uniform(20, 80, n)
    d = simulate(n, *truth.values(), T=T, seed=3)  # type: ignore[operator]
    assert_recovered(cls().fit(d["frequency"], d["recency"], d["T"]), truth)


def test_gamma_gamma_recovers_simulated_parameters() -> None:
    truth = {"p": 6.0, "q": 4.0, "gamma": 15.0}
    freq = np.random.default_rng(5).integers(1, 15, N)
    spend = sim.simulate_gamma_gamma(freq, **truth, seed=4)
    assert_recovered(GammaGammaFitter().fit(freq, spend), truth)


def test_sbg_recovers_simulated_parameters() -> None:
    truth = {"alpha": 0.7, "beta": 1.2}
    T = np.random.default_rng(6).integers(2, 12, N)
    d = sim.simulate_sbg(N, **truth, T=T, seed=5)
    assert_recovered(ShiftedBetaGeometricFitter().fit(d["recency"], d["T"]), truth)


def test_bgbb_recovers_simulated_parameters() -> None:
    truth = {"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.8}
    d = sim.simulate_bgbb(N, **truth, n_periods=8, seed=6)
    m = BetaGeoBetaBinomFitter().fit(d["frequency"], d["recency"], d["n_periods"])
    assert_recovered(m, truth)
