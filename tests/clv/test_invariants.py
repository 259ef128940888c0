"""Invariants of every model: probabilities in [0, 1], monotone expectations, persistence,
analytic gradients equal to finite differences, errors for misuse."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retentionkit.clv.models import (
    MODELS,
    BaseFitter,
    BetaGeoBetaBinomFitter,
    BetaGeoFitter,
    GammaGammaFitter,
    ModifiedBetaGeoFitter,
    ParetoNBDFitter,
    ShiftedBetaGeometricFitter,
    get_model,
)
from retentionkit.clv.models.bgnbd import prepare_rfm
from retentionkit.errors import InputError, NotFittedError, UnknownNameError

PURCHASE = [BetaGeoFitter, ModifiedBetaGeoFitter, ParetoNBDFitter]


@pytest.fixture(scope="module")
def fitted(cdnow: pd.DataFrame) -> dict[str, BaseFitter]:
    x, t_x, T = cdnow["x"], cdnow["t_x"], cdnow["T"]
    return {cls.model_name: cls().fit(x, t_x, T) for cls in PURCHASE}


@pytest.mark.parametrize("name", ["bgnbd", "mbgnbd", "paretonbd"])
def test_p_alive_in_unit_interval_and_expectations_monotone(
    name: str, fitted: dict[str, BaseFitter], cdnow: pd.DataFrame
) -> None:
    m = fitted[name]
    x, t_x, T = cdnow["x"], cdnow["t_x"], cdnow["T"]
    p = np.asarray(m.conditional_probability_alive(x, t_x, T))
    assert np.all((p >= 0) & (p <= 1))
    previous = np.zeros(len(x))
    for t in (0.0, 1.0, 5.0, 20.0, 52.0, 200.0):
        e = np.asarray(m.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, T))
        assert np.all(np.isfinite(e)) and np.all(e >= 0)
        assert np.all(e >= previous - 1e-12)
        previous = e
    ts = np.array([0.0, 1.0, 10.0, 39.0, 100.0])
    u = np.asarray(m.expected_number_of_purchases_up_to_time(ts))
    assert u[0] == pytest.approx(0.0, abs=1e-12) and np.all(np.diff(u) > 0)


@pytest.mark.parametrize("name", ["bgnbd", "mbgnbd", "paretonbd"])
def test_p_n_purchases_is_a_distribution_with_the_model_mean(
    name: str, fitted: dict[str, BaseFitter]
) -> None:
    m = fitted[name]
    n = np.arange(0, 60)
    p = np.asarray(m.probability_of_n_purchases_up_to_time(10.0, n))
    assert np.all((p >= 0) & (p <= 1))
    assert p.sum() == pytest.approx(1.0, abs=1e-6)
    mean = float(np.asarray(m.expected_number_of_purchases_up_to_time(10.0))[0])
    assert float(np.dot(n, p)) == pytest.approx(mean, rel=1e-4)


@given(
    x=st.integers(0, 300),
    t_frac=st.floats(0.0, 1.0),
    T=st.floats(0.5, 500.0),
    t=st.floats(0.0, 1000.0),
)
@settings(max_examples=200, deadline=None)
def test_predictions_finite_and_bounded_for_any_history(
    x: int, t_frac: float, T: float, t: float
) -> None:
    """Extreme histories (300 repeat purchases, tiny T) still give finite, valid predictions."""
    t_x = 0.0 if x == 0 else t_frac * T
    params = {
        "bgnbd": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
        "mbgnbd": {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614},
        "paretonbd": {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669},
        # alpha << beta: the hypergeometric function overflows without the fallback
        "paretonbd-skewed": {"r": 2.0, "alpha": 0.5, "s": 0.5, "beta": 200.0},
    }
    for key, p in params.items():
        cls = get_model(key.split("-")[0])
        m = cls.from_dict({"model": cls.model_name, "params": p})
        alive = float(np.asarray(m.conditional_probability_alive(x, t_x, T))[0])
        assert 0.0 <= alive <= 1.0, key
        e = float(
            np.asarray(m.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, T))[0]
        )
        assert np.isfinite(e) and e >= 0, key


def test_paretonbd_hypergeometric_fallback_agrees_with_quadrature() -> None:
    """Where scipy's hyp2f1 fails (NaN/overflow), log A_0 still equals direct integration."""
    from scipy.integrate import quad

    from retentionkit.clv.models.paretonbd import _log_a0

    r, alpha, s, beta = 2.0, 0.5, 0.5, 200.0
    x, t_x, T = 400.0, 3.0, 50.0
    ours = float(_log_a0(r, alpha, s, beta, np.array([x]), np.array([t_x]), np.array([T]))[0])
    # A_0 = (r+s+x) int_{t_x}^{T} (alpha + y)^-(r+x) (beta + y)^-(s+1) dy, scaled (underflow)
    shift = -(r + x) * np.log(alpha + t_x) - (s + 1) * np.log(beta + t_x)

    def integrand(y: float) -> float:
        return float(np.exp(-(r + x) * np.log(alpha + y) - (s + 1) * np.log(beta + y) - shift))

    value, _ = quad(integrand, t_x, T, epsabs=0, epsrel=1e-12, points=[t_x + 0.01, t_x + 0.1])
    assert ours == pytest.approx(np.log(r + s + x) + np.log(value) + shift, rel=1e-9)


def test_paretonbd_a0_quadrature_agrees_with_hypergeometric_form(cdnow: pd.DataFrame) -> None:
    from retentionkit.clv.models.paretonbd import _log_a0, _log_a0_quadrature

    d = cdnow[cdnow["t_x"] < cdnow["T"]]
    x, t_x, T = (d[c].to_numpy(float) for c in ("x", "t_x", "T"))
    for params in ((0.553, 10.578, 0.606, 11.669), (0.5, 20.0, 0.7, 3.0), (2.0, 0.5, 0.5, 200.0)):
        np.testing.assert_allclose(
            _log_a0(*params, x, t_x, T), _log_a0_quadrature(*params, x, t_x, T), rtol=1e-6
        )


@pytest.mark.parametrize("cls", [BetaGeoFitter, ModifiedBetaGeoFitter])
def test_analytic_gradient_equals_finite_differences(cls: type, cdnow: pd.DataFrame) -> None:
    data = prepare_rfm(
        cdnow["x"].to_numpy(float),
        cdnow["t_x"].to_numpy(float),
        cdnow["T"].to_numpy(float),
        np.ones(len(cdnow)),
    )
    m = cls()
    p = np.array([0.4, 3.0, 1.2, 2.0])
    _, g = m._nll(p, data, True)
    for i in range(4):
        h = 1e-6 * p[i]
        e = np.zeros(4)
        e[i] = h
        fd = (m._nll(p + e, data, False)[0] - m._nll(p - e, data, False)[0]) / (2 * h)
        assert g[i] == pytest.approx(fd, rel=1e-5)


def test_gamma_gamma_and_sbg_gradients_equal_finite_differences(cdnow: pd.DataFrame) -> None:
    rep = cdnow[cdnow["x"] > 0]
    gg_data = {
        "x": rep["x"].to_numpy(float),
        "m": rep["zbar"].to_numpy(float),
        "weights": np.ones(len(rep)),
    }
    sbg_data = {
        "t": np.array([1.0, 2.0, 3.0, 7.0]),
        "churned": np.array([1.0, 1.0, 1.0, 0.0]),
        "weights": np.array([369.0, 163.0, 86.0, 241.0]),
    }
    for m, data, p in (
        (GammaGammaFitter(), gg_data, np.array([5.0, 3.0, 12.0])),
        (ShiftedBetaGeometricFitter(), sbg_data, np.array([0.7, 1.3])),
    ):
        _, g = m._nll(p, data, True)
        for i in range(len(p)):
            e = np.zeros(len(p))
            e[i] = 1e-6 * p[i]
            fd = (m._nll(p + e, data, False)[0] - m._nll(p - e, data, False)[0]) / (2 * e[i])
            assert g[i] == pytest.approx(fd, rel=1e-5)


def test_collapsing_rows_into_weights_gives_the_same_fit(cdnow: pd.DataFrame) -> None:
    x, t_x, T = cdnow["x"], cdnow["t_x"], cdnow["T"]
    plain = BetaGeoFitter().fit(x, t_x, T)
    grouped = cdnow.groupby(["x", "t_x", "T"], as_index=False).size()
    weighted = BetaGeoFitter().fit(grouped["x"], grouped["t_x"], grouped["T"], grouped["size"])
    assert weighted.params_ == pytest.approx(plain.params_, rel=1e-7)
    assert weighted.log_likelihood_ == pytest.approx(plain.log_likelihood_, rel=1e-10)
    assert weighted.n_customers_ == plain.n_customers_ == 2357


@pytest.mark.parametrize("name", list(MODELS))
def test_predicting_before_fit_raises_not_fitted(name: str) -> None:
    m = get_model(name)()
    with pytest.raises(NotFittedError, match="not fitted yet"):
        m.summary()
    with pytest.raises(NotFittedError):
        m.save("unused.json")
    if hasattr(m, "conditional_probability_alive"):
        with pytest.raises(NotFittedError, match=r"call `fit\(\.\.\.\)`"):
            m.conditional_probability_alive(1, 1, 2)
    if hasattr(m, "survival_function"):
        with pytest.raises(NotFittedError):
            m.survival_function(3)
    if hasattr(m, "conditional_expected_average_profit"):
        with pytest.raises(NotFittedError):
            m.conditional_expected_average_profit(1, 10.0)


def test_save_load_round_trip_gives_identical_predictions(
    tmp_path: Path, fitted: dict[str, BaseFitter], cdnow: pd.DataFrame, donations: pd.DataFrame
) -> None:
    x, t_x, T = cdnow["x"], cdnow["t_x"], cdnow["T"]
    for name, m in fitted.items():
        path = tmp_path / f"{name}.json"
        m.save(path)
        payload = json.loads(path.read_text())
        assert payload["model"] == name and set(payload["params"]) == set(m.param_names)
        for loader in (type(m), BaseFitter):
            back = loader.load(path)
            assert type(back) is type(m)
            assert back.params_ == m.params_ and back.standard_errors_ == m.standard_errors_
            np.testing.assert_array_equal(
                back.conditional_expected_number_of_purchases_up_to_time(10, x, t_x, T),
                m.conditional_expected_number_of_purchases_up_to_time(10, x, t_x, T),
            )
        pd.testing.assert_frame_equal(BaseFitter.load(path).summary(), m.summary())
    bb = BetaGeoBetaBinomFitter().fit(
        donations["frequency"], donations["recency"], donations["periods"], donations["weights"]
    )
    bb.save(tmp_path / "bgbb.json")
    assert BaseFitter.load(tmp_path / "bgbb.json").params_ == bb.params_
    # loading a BG/NBD file as a Pareto/NBD is refused
    with pytest.raises(InputError, match="not a ParetoNBDFitter"):
        ParetoNBDFitter.load(tmp_path / "bgnbd.json")


def test_load_rejects_bad_files(tmp_path: Path) -> None:
    from retentionkit.errors import MissingFileError

    with pytest.raises(MissingFileError):
        BaseFitter.load(tmp_path / "absent.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        BaseFitter.load(bad)
    bad.write_text(json.dumps({"model": "nope", "params": {}}))
    with pytest.raises(InputError, match="unknown model 'nope'"):
        BaseFitter.load(bad)


def test_registry_names_and_unknown_name() -> None:
    assert set(MODELS) == {"bgnbd", "mbgnbd", "paretonbd", "gamma-gamma", "sbg", "bgbb"}
    assert get_model("BG/NBD") is BetaGeoFitter
    assert get_model("gamma_gamma") is GammaGammaFitter
    assert get_model("Pareto-NBD") is ParetoNBDFitter
    with pytest.raises(UnknownNameError, match="valid names are: bgnbd, mbgnbd, paretonbd"):
        get_model("bg-nbd-2")
    for name, cls in MODELS.items():
        assert cls.model_name == name


def test_predictions_stay_keyed_by_customer(
    fitted: dict[str, BaseFitter], cdnow: pd.DataFrame
) -> None:
    frame = cdnow.set_index("ID")
    out = fitted["bgnbd"].conditional_probability_alive(frame["x"], frame["t_x"], frame["T"])
    assert isinstance(out, pd.Series) and out.index.equals(frame.index)
    arr = fitted["bgnbd"].conditional_probability_alive(
        frame["x"].to_numpy(), frame["t_x"].to_numpy(), frame["T"].to_numpy()
    )
    assert isinstance(arr, np.ndarray)
    np.testing.assert_array_equal(arr, out.to_numpy())


def test_sbg_and_bgbb_prediction_invariants(donations: pd.DataFrame) -> None:
    sbg = ShiftedBetaGeometricFitter().fit_survival([1000, 869, 743, 653, 593, 551, 517, 491])
    s = np.asarray(sbg.survival_function(np.arange(0, 30)))
    assert s[0] == 1.0 and np.all(np.diff(s) < 0) and np.all(s > 0)
    churn = np.asarray(sbg.probability_of_churn_at(np.arange(1, 30)))
    np.testing.assert_allclose(np.cumsum(churn), 1 - s[1:], rtol=1e-10)
    derl = np.asarray(sbg.discounted_expected_residual_lifetime([0, 5, 20], discount_rate=0.1))
    assert np.all(np.diff(derl) > 0)  # survivors are the loyal ones
    bb = BetaGeoBetaBinomFitter().fit(
        donations["frequency"], donations["recency"], donations["periods"], donations["weights"]
    )
    p = bb.probability_of_n_purchases_up_to_time(6, np.arange(0, 7))
    assert p.sum() == pytest.approx(1.0, abs=1e-10)
    mean = float(np.asarray(bb.expected_number_of_purchases_up_to_time(6))[0])
    assert float(np.dot(np.arange(7), p)) == pytest.approx(mean, rel=1e-9)
    alive = np.asarray(
        bb.conditional_probability_alive(
            donations["frequency"], donations["recency"], donations["periods"]
        )
    )
    assert np.all((alive >= 0) & (alive <= 1))
