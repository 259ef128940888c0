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

import math
from typing import Any, ClassVar

import numpy as np
import pandas as pd
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
    where,
)
from retentionkit.clv.value import TransactionModel, customer_lifetime_value
from retentionkit.errors import ModelFitError

__all__ = ["GammaGammaFitter"]


#: At most this many customer ids are named in one warning (the count is always given).
MAX_NAMED = 20


def _check_spend(frequency: ArrayLike, monetary_value: ArrayLike) -> tuple[FloatArray, FloatArray]:
    idx = index_of(frequency, monetary_value)
    x = as_float_array("frequency", frequency)
    m = as_float_array("monetary_value", monetary_value)
    check_same_length(frequency=x, monetary_value=m)
    check_non_negative("frequency", x, idx)
    check_integer("frequency", x, idx)
    return x, m


def name_customers(index: pd.Index | None, rows: FloatArray) -> str:
    """'customers 10244, 20001 and 3 more' (index labels) or 'rows 4, 9' for plain arrays."""
    shown = [where(index, int(i)).split(" ", 1)[1] for i in rows[:MAX_NAMED]]
    noun = "customer" if index is not None and not isinstance(index, pd.RangeIndex) else "row"
    text = f"{noun}{'s' if len(rows) > 1 else ''} {', '.join(shown)}"
    if len(rows) > MAX_NAMED:
        text += f" and {len(rows) - MAX_NAMED} more"
    return text


class GammaGammaFitter(BaseFitter):
    r"""Gamma-Gamma spend model, fitted by maximum likelihood on repeat buyers.

    Parameters ``p, q, gamma`` (lifetimes calls ``gamma`` "v"). Fit with
    ``fit(frequency, monetary_value, weights=None)``: ``monetary_value`` is the mean value of the
    customer's *repeat* purchases; customers with ``frequency == 0`` carry no information about
    spend and are left out of the fit.

    Rules for messy real spend (issue 12):

    * repeat buyers whose average spend is 0 or negative (free orders, refunds) cannot come from
      a gamma distribution: they are left out of the fit, counted and named (by the index label
      of the pandas input: the customer id) in ``warnings_``, and their expected spend is the
      population mean :math:`\gamma p/(q-1)`;
    * when every remaining repeat buyer has the same average spend, no model is needed: the fit
      is a *boundary* fit whose limit is that constant (``limit_ = {"mean_spend": m}``) and every
      customer's expected spend is ``m``.
    """

    model_name: ClassVar[str] = "gamma-gamma"
    param_names: ClassVar[tuple[str, ...]] = ("p", "q", "gamma")
    kind: ClassVar[str] = "spend"
    aliases: ClassVar[tuple[str, ...]] = ("gammagamma", "gg")
    description: ClassVar[str] = (
        "Gamma-Gamma (Fader, Hardie & Lee 2005): average spend per purchase, shrunk towards "
        "the population mean."
    )
    needs: ClassVar[str] = "orders: customer_id, ordered_at, amount (repeat buyers' average spend)"

    def fit(
        self,
        frequency: ArrayLike,
        monetary_value: ArrayLike,
        weights: ArrayLike | None = None,
    ) -> GammaGammaFitter:
        """Fit on the repeat buyers with a positive average spend; returns ``self``."""
        idx = index_of(frequency, monetary_value)
        x, m = _check_spend(frequency, monetary_value)
        w = check_weights(weights, len(x))
        keep = (x > 0) & (w > 0)
        if not keep.any():
            raise ModelFitError(
                "GammaGammaFitter cannot be fitted: no customer has a repeat purchase "
                "(frequency > 0), so there is no spend to model. Use a longer observation window."
            )
        nonpos = np.flatnonzero(keep & (m <= 0))
        keep &= m > 0
        if not keep.any():
            raise ModelFitError(
                "GammaGammaFitter cannot be fitted: no repeat buyer has a positive average spend "
                "(all are 0 or negative). Use gross order values."
            )
        notes = []
        if len(nonpos):
            notes.append(
                f"{len(nonpos)} repeat buyer{'s' if len(nonpos) > 1 else ''} with an average "
                f"spend of 0 or less ({name_customers(idx, nonpos)}) "
                f"{'were' if len(nonpos) > 1 else 'was'} left out of the spend model; "
                f"their expected spend is the population mean."
            )
        values = m[keep]
        if np.ptp(values) <= 1e-12 * max(abs(float(values[0])), 1.0):
            mean = float(values[0])
            self._check_hyperparameters()
            self.params_ = {name: math.nan for name in self.param_names}
            self.standard_errors_ = {name: math.nan for name in self.param_names}
            self.log_likelihood_ = math.nan
            self.n_customers_ = round(float(w[keep].sum()))
            self.converged_ = True
            self.status_ = "boundary"
            self.limit_ = {"mean_spend": mean}
            self.warnings_ = [
                f"Every repeat buyer spends the same on average ({mean:g}), so no spend model is "
                f"needed: the expected spend is {mean:g} for every customer.",
                *notes,
            ]
            return self
        data = collapse({"x": x[keep], "m": values}, w[keep])
        self._optimise(data, "(spend in another currency unit, e.g. hundreds)")
        self.warnings_ = [*self.warnings_, *notes]
        return self

    def _limit(self, runaway: Any) -> tuple[dict[str, float], str] | None:
        """Parameters running to infinity with a finite population mean spend γp/(q-1) are the
        no-heterogeneity limits of the model (spend the same across purchases or across
        customers); eq. 5 stays valid there."""
        p, q, g = (self.params_[k] for k in self.param_names)
        if all(v == "infinity" for v in runaway.values()) and q > 1:
            mean = g * p / (q - 1)
            if math.isfinite(mean) and mean > 0:
                return (
                    {"population_mean_spend": mean},
                    f"spend without heterogeneity (population mean {mean:.4g})",
                )
        return None

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
        ``frequency == 0`` or an average spend of 0 or less get the population mean; after a
        constant-spend fit everyone gets that constant.
        """
        self._check_fitted()
        idx = index_of(frequency, monetary_value)
        x, m = _check_spend(frequency, monetary_value)
        if self.limit_ is not None and "mean_spend" in self.limit_:
            return keyed(np.full(len(x), self.limit_["mean_spend"]), idx, "expected_spend")
        p, q, g = self._p()
        if q <= 1:
            raise ModelFitError(
                f"The fitted Gamma-Gamma model has q={q:.4g} <= 1, so the expected spend per "
                f"purchase is infinite; refit with a `penalizer_coef` or on more repeat buyers."
            )
        # no usable own spend (0 or negative average): the population mean (weight 0)
        weight = np.where(m > 0, p * x / (p * x + q - 1), 0.0)
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
