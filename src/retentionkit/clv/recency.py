r"""The recency-ratio rule: the stand-in when no probabilistic purchase model is credible on the
data (:mod:`retentionkit.clv.choice`), used by ``clv predict`` (``model="auto"``) and churn
at-risk, which say so in their ``model`` key (``recency-ratio``) and warnings.

It is an exponential-lifetime rule with one rate per customer, set by their own rhythm:

* usual gap :math:`g = t_x / x` (repeat buyers; from first to last purchase per repeat
  purchase); a one-time buyer gets the median gap of the repeat buyers;
* the customer is alive with probability :math:`2^{-s/(h g)}` after a silence :math:`s = T - t_x`,
  :math:`h =` :data:`RATIO_HALF` (5): even odds at 5 usual gaps of silence, the silence at which
  the credibility rules call a customer more likely gone than not; churn risk is
  :math:`1 - P(\text{alive})`;
* while alive they buy at their observed rate :math:`\hat\lambda = x / T` (one-time buyers: the
  population rate :math:`\sum x / \sum T`) and stay alive with the same exponential law
  (rate :math:`\mu = \ln 2/(h g)`), so
  :math:`E[Y(t)] = P(\text{alive})\,\hat\lambda\,(1 - e^{-\mu t})/\mu`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike

from retentionkit.clv.choice import SILENCE_MULTIPLE

__all__ = ["RATIO_HALF", "RecencyRatioModel"]

#: Silent for this many usual gaps = even odds of being gone.
RATIO_HALF = SILENCE_MULTIPLE


class RecencyRatioModel:
    """The rule of the module docstring, "fitted" on an RFM summary (it only needs the median
    gap and the population rate); same prediction methods as the purchase models."""

    model_name: ClassVar[str] = "recency-ratio"
    kind: ClassVar[str] = "purchase"

    def __init__(self) -> None:
        self.status_ = "ok"
        self.warnings_: list[str] = []
        self.typical_gap_ = 1.0
        self.population_rate_ = 0.0
        self.log_likelihood_ = float("nan")

    def fit(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> RecencyRatioModel:
        x, t_x, big_t = (np.asarray(v, dtype="float64") for v in (frequency, recency, T))
        own = self._own_gap(x, t_x)
        finite = own[np.isfinite(own)]
        self.typical_gap_ = float(np.median(finite)) if len(finite) else float(np.median(big_t))
        self.typical_gap_ = max(self.typical_gap_, 1e-9)
        self.population_rate_ = float(x.sum() / big_t.sum()) if big_t.sum() > 0 else 0.0
        return self

    @staticmethod
    def _own_gap(x: np.ndarray, t_x: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.where((x > 0) & (t_x > 0), t_x / np.maximum(x, 1.0), np.nan)

    def gap(self, frequency: ArrayLike, recency: ArrayLike) -> np.ndarray:
        """Each customer's usual gap (the typical gap for one-time buyers)."""
        own = self._own_gap(np.asarray(frequency, "float64"), np.asarray(recency, "float64"))
        return np.where(np.isfinite(own), own, self.typical_gap_)

    def silence_ratio(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> Any:
        """Silence divided by the usual gap."""
        silence = np.asarray(T, "float64") - np.asarray(recency, "float64")
        return silence / self.gap(frequency, recency)

    def conditional_probability_alive(
        self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> Any:
        return np.exp2(-self.silence_ratio(frequency, recency, T) / RATIO_HALF)

    def conditional_expected_number_of_purchases_up_to_time(
        self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> Any:
        x = np.asarray(frequency, "float64")
        big_t = np.asarray(T, "float64")
        with np.errstate(all="ignore"):
            rate = np.where((x > 0) & (big_t > 0), x / big_t, self.population_rate_)
        mu = np.log(2.0) / (RATIO_HALF * self.gap(frequency, recency))
        alive = self.conditional_probability_alive(frequency, recency, T)
        return alive * rate * -np.expm1(-mu * np.asarray(t, "float64")) / mu
