"""Registry facts, fit status (ok / boundary / degenerate), the limit models, the spend rules and
the credibility rules of ``model="auto"`` (issues 10 and 12)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retentionkit.clv.choice import contradiction
from retentionkit.clv.models import (
    KINDS,
    MODELS,
    BaseFitter,
    BetaGeoFitter,
    GammaGammaFitter,
    ModifiedBetaGeoFitter,
    ParetoNBDFitter,
    get_model,
    model_info,
    model_names,
)
from retentionkit.clv.recency import RecencyRatioModel
from retentionkit.clv.simulate import simulate_bgnbd, simulate_paretonbd
from retentionkit.errors import UnknownNameError

# -- registry ------------------------------------------------------------------------------


def test_every_model_declares_its_registry_facts() -> None:
    assert model_names() == tuple(MODELS)
    assert model_names("purchase") == ("bgnbd", "mbgnbd", "paretonbd")
    assert model_names("spend") == ("gamma-gamma",)
    assert model_names("contractual") == ("sbg",)
    assert model_names("discrete") == ("bgbb",)
    for name in model_names():
        info = model_info(name)
        assert info.name == name and info.kind in KINDS
        assert info.description and "\n" not in info.description and info.needs
        for alias in info.aliases:
            assert get_model(alias) is MODELS[name]
    assert get_model("BG/NBD") is BetaGeoFitter and get_model("Pareto_NBD") is ParetoNBDFitter
    with pytest.raises(UnknownNameError, match="valid kinds are: purchase, spend"):
        model_names("weird")


# -- statuses ------------------------------------------------------------------------------


def test_ok_fit_has_no_warnings() -> None:
    d = simulate_bgnbd(2000, 0.25, 4.0, 0.8, 2.5, T=39.0, seed=3)
    m = BetaGeoFitter().fit(d["frequency"], d["recency"], d["T"])
    assert (m.status_, m.warnings_, m.limit_) == ("ok", [], None)


@pytest.mark.parametrize("cls", [BetaGeoFitter, ModifiedBetaGeoFitter])
def test_homogeneous_dropout_is_a_boundary_fit_returned_as_its_limit(cls: type) -> None:
    d = simulate_bgnbd(3000, 0.5, 5.0, 1e6, 9e6, T=52.0, seed=2)
    m = cls().fit(d["frequency"], d["recency"], d["T"])
    assert m.status_ == "boundary" and m.limit_ is not None
    assert m.limit_["p"] == pytest.approx(0.1, abs=0.01)
    assert "returned as its limit" in m.warnings_[0] and "p = 0.09" in m.warnings_[0]
    x, t_x, T = d["frequency"], d["recency"], d["T"]
    pa = np.asarray(m.conditional_probability_alive(x, t_x, T))
    ey = np.asarray(m.conditional_expected_number_of_purchases_up_to_time(10, x, t_x, T))
    assert np.isfinite(pa).all() and np.isfinite(ey).all() and (ey >= 0).all()
    again = BaseFitter.from_dict(m.to_dict())
    assert again.status_ == "boundary" and again.limit_ == m.limit_


@pytest.mark.slow  # Pareto/NBD integrates A0 numerically at the boundary (~5 s: ridge stop)
def test_pareto_homogeneous_dropout_is_the_exponential_limit() -> None:
    d = simulate_paretonbd(3000, 0.5, 5.0, 1e6, 1e6 / 0.02, T=52.0, seed=2)
    m = ParetoNBDFitter().fit(d["frequency"], d["recency"], d["T"])
    assert m.status_ == "boundary" and m.limit_["mu"] == pytest.approx(0.02, rel=0.15)
    pa = np.asarray(m.conditional_probability_alive(d["frequency"], d["recency"], d["T"]))
    assert np.isfinite(pa).all() and ((pa >= 0) & (pa <= 1)).all()


def _fitted(cls: type, params: dict, limit: dict | None = None) -> BaseFitter:
    payload = {"model": cls.model_name, "params": params}
    if limit is not None:
        payload.update(status="boundary", limit=limit)
    return cls.from_dict(payload)


HISTORY = (
    np.array([0, 1, 2, 5, 9, 3, 1]),
    np.array([0.0, 3.0, 10.0, 20.0, 35.0, 5.0, 39.0]),
    np.array([39.0, 39.0, 39.0, 39.0, 39.0, 39.0, 39.0]),
)


@pytest.mark.parametrize("cls", [BetaGeoFitter, ModifiedBetaGeoFitter])
def test_geometric_limit_formulas_equal_the_full_model_with_large_a_b(cls: type) -> None:
    r, alpha, p = 0.6, 6.0, 0.12
    a = 1e5
    b = a * (1 - p) / p
    full = _fitted(cls, {"r": r, "alpha": alpha, "a": a, "b": b})
    limit = _fitted(cls, {"r": r, "alpha": alpha, "a": a, "b": b}, {"r": r, "alpha": alpha, "p": p})
    x, t_x, T = HISTORY
    for method, args in (
        ("conditional_probability_alive", (x, t_x, T)),
        ("conditional_expected_number_of_purchases_up_to_time", (13.0, x, t_x, T)),
        ("expected_number_of_purchases_up_to_time", (np.array([1.0, 10.0, 52.0]),)),
    ):
        want = np.asarray(getattr(full, method)(*args))
        got = np.asarray(getattr(limit, method)(*args))
        np.testing.assert_allclose(got, want, rtol=1e-3, err_msg=method)


def test_exponential_limit_formulas_equal_the_full_pareto_with_large_s_beta() -> None:
    r, alpha, mu = 0.6, 6.0, 0.03
    s = 2e4
    params = {"r": r, "alpha": alpha, "s": s, "beta": s / mu}
    full = _fitted(ParetoNBDFitter, params)
    limit = _fitted(ParetoNBDFitter, params, {"r": r, "alpha": alpha, "mu": mu})
    x, t_x, T = HISTORY
    for method, args in (
        ("conditional_probability_alive", (x, t_x, T)),
        ("conditional_expected_number_of_purchases_up_to_time", (13.0, x, t_x, T)),
        ("expected_number_of_purchases_up_to_time", (np.array([1.0, 10.0, 52.0]),)),
    ):
        want = np.asarray(getattr(full, method)(*args))
        got = np.asarray(getattr(limit, method)(*args))
        np.testing.assert_allclose(got, want, rtol=2e-3, err_msg=method)


def test_degenerate_fit_names_the_runaway_parameters() -> None:
    rng = np.random.default_rng(0)
    T = rng.uniform(30, 40, 400)
    m = BetaGeoFitter().fit(rng.integers(3, 12, 400), T, T)
    assert m.status_ == "degenerate" and m.limit_ is None
    assert "a to 0" in m.warnings_[0] and "not credible" in m.warnings_[0]


# -- spend ---------------------------------------------------------------------------------


def test_non_positive_spend_is_left_out_named_and_gets_the_population_mean() -> None:
    rng = np.random.default_rng(4)
    ids = [f"c{i}" for i in range(300)]
    x = pd.Series(rng.integers(1, 6, 300), index=ids)
    m = pd.Series(rng.gamma(4.0, 10.0, 300), index=ids)
    m["c7"], m["c99"] = 0.0, -12.5
    gg = GammaGammaFitter().fit(x, m)
    assert gg.status_ == "ok" and gg.n_customers_ == 298
    (note,) = gg.warnings_
    assert "2 repeat buyers" in note and "customers c7, c99" in note
    assert "np." not in note and "position" not in note
    p, q, g = gg.params_["p"], gg.params_["q"], gg.params_["gamma"]
    spend = gg.conditional_expected_average_profit(x, m)
    assert spend["c7"] == pytest.approx(g * p / (q - 1)) == spend["c99"]


@given(st.floats(0.5, 500.0), st.integers(5, 60))
@settings(max_examples=20, deadline=None)
def test_constant_spend_needs_no_model(value: float, n: int) -> None:
    gg = GammaGammaFitter().fit(np.arange(n) % 4 + 1, np.full(n, value))
    assert gg.status_ == "boundary" and gg.limit_ == {"mean_spend": value}
    assert "no spend model is needed" in gg.warnings_[0]
    out = np.asarray(gg.conditional_expected_average_profit([0, 1, 7], [0.0, value, value]))
    np.testing.assert_allclose(out, value)
    assert gg.to_dict()["params"] == {"p": None, "q": None, "gamma": None}


# -- credibility ---------------------------------------------------------------------------


@given(st.integers(10, 200), st.integers(0, 200))
@settings(max_examples=30, deadline=None)
def test_flat_p_alive_contradicts_many_silent_customers(silent: int, steady: int) -> None:
    # silent: 2 purchases 1 week apart, then 20 weeks of silence; steady: buying to the end
    summary = pd.DataFrame(
        {
            "frequency": [1] * silent + [5] * steady,
            "recency": [1.0] * silent + [21.0] * steady,
            "T": [21.0] * (silent + steady),
        }
    )
    assert contradiction(summary, np.full(len(summary), 0.9995)) is not None
    believable = np.r_[np.full(silent, 0.2), np.full(steady, 0.95)]
    assert contradiction(summary, believable) is None


def test_recency_ratio_rule_is_even_odds_after_five_usual_gaps() -> None:
    rule = RecencyRatioModel().fit([2, 1, 0], [10.0, 4.0, 0.0], [60.0, 30.0, 30.0])
    # customer 0: gap 5, silent 50 = 10 gaps -> 0.25; customer 1: gap 4, silent 26 -> 6.5 gaps
    pa = rule.conditional_probability_alive([2, 1, 0], [10.0, 4.0, 0.0], [60.0, 30.0, 30.0])
    assert pa[0] == pytest.approx(0.25)
    assert rule.conditional_probability_alive([1], [4.0], [24.0])[0] == pytest.approx(0.5)
    ey = rule.conditional_expected_number_of_purchases_up_to_time(
        52.0, [2, 1, 0], [10.0, 4.0, 0.0], [60.0, 30.0, 30.0]
    )
    assert np.all(np.isfinite(ey)) and np.all(ey >= 0)
