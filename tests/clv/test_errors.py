"""Bad inputs raise InputError (naming the customer or row, never a numpy repr); degenerate fits
are flagged with status and warnings; failures raise ModelFitError, each with a sentence."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from retentionkit.clv.models import (
    BetaGeoBetaBinomFitter,
    BetaGeoFitter,
    GammaGammaFitter,
    ModifiedBetaGeoFitter,
    ParetoNBDFitter,
    ShiftedBetaGeometricFitter,
)
from retentionkit.clv.simulate import simulate_bgnbd
from retentionkit.clv.value import customer_lifetime_value
from retentionkit.errors import InputError, ModelFitError

PURCHASE = [BetaGeoFitter, ModifiedBetaGeoFitter, ParetoNBDFitter]


@pytest.mark.parametrize("cls", PURCHASE)
@pytest.mark.parametrize(
    ("frequency", "recency", "T", "message"),
    [
        ([1, -1], [1.0, 0.0], [2.0, 2.0], r"`frequency` must not be negative; row 1 holds"),
        ([1, 2], [-1.0, 1.0], [2.0, 2.0], r"`recency` must not be negative; row 0 holds"),
        ([1, 2], [3.0, 1.0], [2.0, 2.0], r"`recency` must not exceed `T`.*row 0"),
        ([1.5, 2], [1.0, 1.0], [2.0, 2.0], r"`frequency` must hold whole numbers.*row 0"),
        ([1, 2], [1.0], [2.0, 2.0], r"same length; got frequency=2, recency=1, T=2"),
        ([0, 2], [1.0, 1.0], [2.0, 2.0], r"`recency` must be 0 for a customer with no repeat"),
        ([1, np.nan], [1.0, 1.0], [2.0, 2.0], r"`frequency` must be finite; row 1 holds"),
        (["a", 1], [1.0, 1.0], [2.0, 2.0], r"`frequency` must be numeric"),
        ([], [], [], r"empty"),
    ],
)
def test_bad_inputs_raise_input_error(
    cls: type, frequency: list, recency: list, T: list, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        cls().fit(frequency, recency, T)


def test_bad_weights_and_hyperparameters() -> None:
    x, t_x, T = [1, 2, 0], [1.0, 2.0, 0.0], [3.0, 3.0, 3.0]
    with pytest.raises(InputError, match="one value per customer"):
        BetaGeoFitter().fit(x, t_x, T, weights=[1, 2])
    with pytest.raises(InputError, match="`weights` must not be negative"):
        BetaGeoFitter().fit(x, t_x, T, weights=[1, -2, 1])
    with pytest.raises(InputError, match="`penalizer_coef` must be a number >= 0"):
        BetaGeoFitter(penalizer_coef=-1).fit(x * 5, t_x * 5, T * 5)


def test_no_repeat_buyers_raise_model_fit_error() -> None:
    for cls in PURCHASE:
        with pytest.raises(ModelFitError, match="no customer made a repeat purchase"):
            cls().fit([0] * 50, [0.0] * 50, [10.0] * 50)
    with pytest.raises(ModelFitError, match="no customer has a repeat purchase"):
        GammaGammaFitter().fit([0, 0, 0], [0.0, 0.0, 0.0])
    with pytest.raises(ModelFitError, match="no customer made a repeat transaction"):
        BetaGeoBetaBinomFitter().fit([0, 0], [0, 0], [6, 6])
    with pytest.raises(ModelFitError, match="no customer has cancelled"):
        ShiftedBetaGeometricFitter().fit([5, 5], [5, 5])


def test_too_few_customers_raise_model_fit_error() -> None:
    with pytest.raises(ModelFitError, match="needs at least 5 customers to fit; got 3"):
        BetaGeoFitter().fit([1, 2, 0], [1.0, 2.0, 0.0], [3.0, 3.0, 3.0])


def test_degenerate_fit_is_flagged_not_raised() -> None:
    # Every customer buys at a steady rate right up to the end: nobody looks dead, so the
    # drop-out probability runs off to 0 (a -> 0) and the model is not identified.
    n = 400
    rng = np.random.default_rng(0)
    T = rng.uniform(30, 40, n)
    x = rng.integers(3, 12, n)
    m = BetaGeoFitter().fit(x, T, T)
    assert m.status_ == "degenerate"
    assert m.limit_ is None
    assert len(m.warnings_) == 1
    assert re.search(r"degenerate \(.*a to 0.*not credible.*penalizer_coef", m.warnings_[0])
    assert m.to_dict()["status"] == "degenerate"


def test_non_convergence_raises_model_fit_error() -> None:
    d = simulate_bgnbd(2000, 0.25, 4.0, 0.8, 2.5, T=39.0, seed=1)
    with pytest.raises(ModelFitError, match=r"did not converge after .* larger `max_iter`"):
        BetaGeoFitter(max_iter=2).fit(d["frequency"], d["recency"], d["T"])


def test_gamma_gamma_and_clv_input_errors() -> None:
    with pytest.raises(ModelFitError, match="no repeat buyer has a positive average spend"):
        GammaGammaFitter().fit([1, 2, 3], [0.0, -1.0, 0.0])
    with pytest.raises(InputError, match="`monetary_value` must be finite; customer c2 holds nan"):
        GammaGammaFitter().fit(
            pd.Series([1, 2], index=["c1", "c2"]), pd.Series([1.0, np.nan], index=["c1", "c2"])
        )
    bg = BetaGeoFitter.from_dict(
        {"model": "bgnbd", "params": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}}
    )
    with pytest.raises(InputError, match="Unknown time unit freq='Y'"):
        customer_lifetime_value(bg, [1], [1.0], [2.0], [10.0], freq="Y")
    with pytest.raises(InputError, match="`time` must be a whole number of months"):
        customer_lifetime_value(bg, [1], [1.0], [2.0], [10.0], time=0)


def test_sbg_and_bgbb_input_errors() -> None:
    with pytest.raises(InputError, match=r"1 <= recency <= T.*row 1"):
        ShiftedBetaGeometricFitter().fit([1, 9], [8, 8])
    with pytest.raises(InputError, match="never increase"):
        ShiftedBetaGeometricFitter().fit_survival([100, 120, 80])
    with pytest.raises(InputError, match=r"0 <= frequency <= recency <= n_periods.*row 0"):
        BetaGeoBetaBinomFitter().fit([3], [2], [6])
