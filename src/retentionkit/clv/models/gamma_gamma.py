r"""Gamma-Gamma model of the value of a customer's purchases.

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "RFM and CLV: Using Iso-Value Curves for
Customer Base Analysis". *Journal of Marketing Research* 42(4), 415-430; and Fader & Hardie
(2013), "The Gamma-Gamma Model of Monetary Value", http://brucehardie.com/notes/025/.

Each purchase value is :math:`\mathrm{Gamma}(p, \nu)`, the customer's scale :math:`\nu \sim
\mathrm{Gamma}(q, \gamma)`. For a customer with :math:`x \ge 1` repeat purchases of mean value
:math:`\bar z` the likelihood (note 025, eq. 3) is

.. math::

    f(\bar z \mid p, q, \gamma; x) = \frac{\Gamma(px + q)}{\Gamma(px)\,\Gamma(q)}
        \frac{\gamma^q\, \bar z^{px - 1}\, x^{px}}{(\gamma + x\bar z)^{px + q}},

and the conditional expected mean purchase value (eq. 5) is

.. math::

    E[Z \mid p, q, \gamma; \bar z, x] = \frac{(\gamma + x \bar z)\,p}{px + q - 1}
      = \Bigl(1 - w\Bigr)\frac{\gamma p}{q - 1} + w\,\bar z,\qquad w = \frac{px}{px + q - 1}.

The model assumes spend is independent of the purchase process; check that the correlation of
``frequency`` and ``monetary_value`` is small before relying on it.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import digamma, gammaln

from retentionkit.clv.models.base import (
    BaseFitter,
    FitData,
    FloatArray,
    as_float_array,
    check_integer,
    check_non_negative,
    check_same_length,
    check_weights,
    collapse,
    index_of,
    keyed,
    wdot,
)
from retentionkit.clv.value import TransactionModel, customer_lifetime_value
from retentionkit.errors import InputError, ModelFitError

__all__ = ["GammaGammaFitter"]


def _check_spend(frequency: ArrayLike, monetary_value: ArrayLike) -> tuple[FloatArray, FloatArray]:
    x = as_float_array("frequency", frequency)
    m = as_float_array("monetary_value", monetary_value)
    check_same_length(frequency=x, monetary_value=m)
    check_non_negative("frequency", x)
    check_integer("frequency", x)
    check_non_negative("monetary_value", m)
    return x, m


class GammaGammaFitter(BaseFitter):
    r"""Gamma-Gamma spend model, fitted by maximum likelihood on repeat buyers.

    Parameters ``p, q, gamma`` (lifetimes calls ``gamma`` "v"). Fit with
    ``fit(frequency, monetary_value, weights=None)``: ``monetary_value`` is the mean value of the
    customer's *repeat* purchases; customers with ``frequency == 0`` carry no information about
    spend and are left out of the fit.
    """

    model_name: ClassVar[str] = "gamma-gamma"
    param_names: ClassVar[tuple[str, ...]] = ("p", "q", "gamma")

    def fit(
        self,
        frequency: ArrayLike,
        monetary_value: ArrayLike,
        weights: ArrayLike | None = None,
    ) -> GammaGammaFitter:
        """Fit on the repeat buyers among the given customers; returns ``self``."""
        x, m = _check_spend(frequency, monetary_value)
        w = check_weights(weights, len(x))
        keep = (x > 0) & (w > 0)
        if not keep.any():
            raise ModelFitError(
                "GammaGammaFitter cannot be fitted: no customer has a repeat purchase "
                "(frequency > 0), so there is no spend to model. Use a longer observation window."
            )
        nonpos = keep & (m <= 0)
        if nonpos.any():
            i = int(np.flatnonzero(nonpos)[0])
            raise InputError(
                f"`monetary_value` must be > 0 for customers with repeat purchases; position {i} "
                f"has frequency={x[i]:g} and monetary_value={m[i]!r}. Drop returns/refunds-only "
                f"customers or use gross order values."
            )
        data = collapse({"x": x[keep], "m": m[keep]}, w[keep])
        self._optimise(data, "(spend in another currency unit, e.g. hundreds)")
        return self

    def _initial_log_params(self, data: FitData) -> FloatArray:
        mean_m = float(np.sum(data["weights"] * data["m"]) / data["weights"].sum())
        return np.log(np.array([1.0, 2.0, max(mean_m, 1e-6)]))

    def _nll(
        self, params: FloatArray, data: FitData, grad: bool
    ) -> tuple[float, FloatArray | None]:
        p, q, g = params
        x, m, w = data["x"], data["m"], data["weights"]
        px = p * x
        lxm = np.log(x * m + g)
        ll_rows = (
            gammaln(px + q)
            - gammaln(px)
            - gammaln(q)
            + q * np.log(g)
            + (px - 1) * np.log(m)
            + px * np.log(x)
            - (px + q) * lxm
        )
        ll = float(wdot(w, ll_rows))
        if not grad:
            return -ll, None
        psi = digamma(px + q)
        dp = wdot(w, x * (psi - digamma(px) + np.log(m) + np.log(x) - lxm))
        dq = wdot(w, psi - digamma(q) + np.log(g) - lxm)
        dg = wdot(w, q / g - (px + q) / (x * m + g))
        return -ll, -np.array([dp, dq, dg])

    def conditional_expected_average_profit(
        self, frequency: ArrayLike, monetary_value: ArrayLike
    ) -> Any:
        r"""Expected value of a future purchase given ``frequency`` and mean spend (note 025 eq. 5).

        A weighted mean of the population mean :math:`\gamma p/(q-1)` and the customer's own mean,
        the weight :math:`px/(px+q-1)` growing with the number of repeat purchases. Customers with
        ``frequency == 0`` get the population mean.
        """
        p, q, g = self._p()
        if q <= 1:
            raise ModelFitError(
                f"The fitted Gamma-Gamma model has q={q:.4g} <= 1, so the expected spend per "
                f"purchase is infinite; refit with a `penalizer_coef` or on more repeat buyers."
            )
        idx = index_of(frequency, monetary_value)
        x, m = _check_spend(frequency, monetary_value)
        weight = p * x / (p * x + q - 1)
        population_mean = g * p / (q - 1)
        out = (1 - weight) * population_mean + weight * m
        return keyed(out, idx, "expected_spend")

    def customer_lifetime_value(
        self,
        transaction_model: TransactionModel,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
        monetary_value: ArrayLike,
        time: int = 12,
        discount_rate: float = 0.01,
        freq: str = "D",
        margin: float = 1.0,
    ) -> Any:
        """CLV over ``time`` months: discounted monthly purchases x expected spend x margin.

        The cash-flow scheme is lifetimes 0.11.3's (see :mod:`retentionkit.clv.value`); ``freq``
        is the time unit of ``transaction_model`` ("D", "W", "M", "H") and ``discount_rate`` is
        monthly.
        """
        spend = self.conditional_expected_average_profit(frequency, monetary_value)
        return customer_lifetime_value(
            transaction_model,
            frequency,
            recency,
            T,
            spend,
            time=time,
            discount_rate=discount_rate,
            freq=freq,
            margin=margin,
        )
