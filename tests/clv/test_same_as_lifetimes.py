"""Predictions equal lifetimes 0.11.3's (a second implementation) to 1e-6 relative.

``tests/data/lifetimes_reference.json`` is written by ``benchmarks/lifetimes_reference.py`` in a
separate environment with lifetimes (which needs numpy<2, pandas<2). Our formulas are evaluated at
*lifetimes'* fitted parameters, so differences between the optimisers do not matter.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from retentionkit.clv.models import (
    BaseFitter,
    BetaGeoBetaBinomFitter,
    BetaGeoFitter,
    GammaGammaFitter,
    ModifiedBetaGeoFitter,
    ParetoNBDFitter,
)

RTOL = 1e-6


def at_params(cls: type[BaseFitter], params: dict[str, float]) -> Any:
    return cls.from_dict({"model": cls.model_name, "params": params})


def check_series(ours: Any, ref: dict[str, Any]) -> None:
    arr = np.asarray(ours, dtype=np.float64)
    n = len(ref["first"])
    np.testing.assert_allclose(arr[:n], ref["first"], rtol=RTOL, atol=1e-12)
    assert arr.size == ref["n"]
    assert arr.sum() == pytest.approx(ref["sum"], rel=RTOL)


MODELS = [
    ("bgnbd", BetaGeoFitter),
    ("mbgnbd", ModifiedBetaGeoFitter),
    ("paretonbd", ParetoNBDFitter),
]


@pytest.mark.parametrize(("key", "cls"), MODELS)
def test_purchase_predictions_same_as_lifetimes(
    key: str, cls: type[BaseFitter], cdnow: pd.DataFrame, lifetimes_reference: dict[str, Any]
) -> None:
    ref = lifetimes_reference[key]
    m = at_params(cls, ref["params"])
    x, t_x, T = cdnow["x"], cdnow["t_x"], cdnow["T"]
    for horizon, series in ref["conditional_expected_purchases"].items():
        ours = m.conditional_expected_number_of_purchases_up_to_time(float(horizon), x, t_x, T)
        check_series(ours, series)
    check_series(m.conditional_probability_alive(x, t_x, T), ref["p_alive"])
    for t, value in ref["expected_purchases"].items():
        ours = m.expected_number_of_purchases_up_to_time(float(t))
        assert float(np.asarray(ours)[0]) == pytest.approx(value, rel=RTOL)
    for n, value in ref.get("p_n_purchases_t39", {}).items():
        ours = m.probability_of_n_purchases_up_to_time(39.0, int(n))
        assert float(np.asarray(ours)[0]) == pytest.approx(value, rel=RTOL)


def test_paretonbd_conditional_p_n_same_as_lifetimes(
    cdnow: pd.DataFrame, lifetimes_reference: dict[str, Any]
) -> None:
    ref = lifetimes_reference["paretonbd"]
    m = at_params(ParetoNBDFitter, ref["params"])
    for n, series in ref["conditional_p_n_purchases_t10"].items():
        ours = m.conditional_probability_of_n_purchases_up_to_time(
            int(n), 10.0, cdnow["x"], cdnow["t_x"], cdnow["T"]
        )
        check_series(ours, series)


def test_gamma_gamma_spend_and_clv_same_as_lifetimes(
    cdnow: pd.DataFrame, lifetimes_reference: dict[str, Any]
) -> None:
    ref = lifetimes_reference["gamma_gamma"]
    gg = at_params(GammaGammaFitter, ref["params"])
    bg = at_params(BetaGeoFitter, lifetimes_reference["bgnbd"]["params"])
    pn = at_params(ParetoNBDFitter, lifetimes_reference["paretonbd"]["params"])
    x, t_x, T, zbar = cdnow["x"], cdnow["t_x"], cdnow["T"], cdnow["zbar"]
    check_series(gg.conditional_expected_average_profit(x, zbar), ref["expected_average_profit"])
    clv = gg.customer_lifetime_value(bg, x, t_x, T, zbar, time=12, discount_rate=0.01, freq="W")
    check_series(clv, ref["clv_bgnbd_12m_w"])
    clv6 = gg.customer_lifetime_value(pn, x, t_x, T, zbar, time=6, discount_rate=0.02, freq="W")
    check_series(clv6, ref["clv_paretonbd_6m_w"])
    # the margin multiplies every cash flow
    with_margin = gg.customer_lifetime_value(bg, x, t_x, T, zbar, freq="W", margin=0.3)
    np.testing.assert_allclose(with_margin, 0.3 * np.asarray(clv), rtol=1e-12)
    assert isinstance(clv, pd.Series) and clv.index.equals(cdnow.index)


def test_bgbb_predictions_same_as_lifetimes(
    donations: pd.DataFrame, lifetimes_reference: dict[str, Any]
) -> None:
    ref = lifetimes_reference["bgbb"]
    m = at_params(BetaGeoBetaBinomFitter, ref["params"])
    f, r, n = donations["frequency"], donations["recency"], donations["periods"]
    np.testing.assert_allclose(
        m.conditional_expected_number_of_purchases_up_to_time(5, f, r, n),
        ref["conditional_expected_purchases_m5"],
        rtol=RTOL,
    )
    np.testing.assert_allclose(
        m.conditional_probability_alive(f, r, n, m_periods_in_future=1),
        ref["p_alive_m1"],
        rtol=RTOL,
    )


@pytest.mark.parametrize(("key", "cls"), [*MODELS, ("gamma_gamma", GammaGammaFitter)])
def test_our_fit_close_to_lifetimes_fit(
    key: str,
    cls: type[BaseFitter],
    cdnow: pd.DataFrame,
    lifetimes_reference: dict[str, Any],
) -> None:
    if cls is GammaGammaFitter:
        m = cls().fit(cdnow["x"], cdnow["zbar"])
    else:
        m = cls().fit(cdnow["x"], cdnow["t_x"], cdnow["T"])
    for k, v in lifetimes_reference[key]["params"].items():
        # Pareto/NBD in lifetimes is fitted by Nelder-Mead with tol 1e-4: looser agreement
        assert m.params_[k] == pytest.approx(v, rel=1e-3 if key == "paretonbd" else 1e-5), k
