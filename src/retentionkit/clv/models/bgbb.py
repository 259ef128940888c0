r"""BG/BB: the beta-geometric / beta-Bernoulli model for discrete-time, non-contractual data.

Fader, P. S., Hardie, B. G. S. & Shang, J. (2010). "Customer-Base Analysis in a Discrete-Time
Noncontractual Setting". *Marketing Science* 29(6), 1086-1108.

There are ``n`` transaction opportunities (e.g. yearly campaigns). While alive, a customer
transacts at each with probability :math:`p \sim \mathrm{Beta}(\alpha, \beta)`; at the start of
each opportunity an alive customer dies with probability :math:`\theta \sim
\mathrm{Beta}(\gamma, \delta)`. For :math:`x` transactions, the last at opportunity :math:`t_x`,
FHS (2010) eq. (5) gives

.. math::

    L = \frac{B(\alpha + x, \beta + n - x)}{B(\alpha, \beta)}
        \frac{B(\gamma, \delta + n)}{B(\gamma, \delta)}
      + \sum_{i=0}^{n - t_x - 1}
        \frac{B(\alpha + x, \beta + t_x - x + i)}{B(\alpha, \beta)}
        \frac{B(\gamma + 1, \delta + t_x + i)}{B(\gamma, \delta)},

computed with log-sum-exp over the finite sum and over the two terms. The gradient is numerical.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import betaln, gammaln, logsumexp

from retentionkit.clv.models.base import (
    BaseFitter,
    FitData,
    FloatArray,
    as_float_array,
    check_integer,
    check_same_length,
    check_weights,
    collapse,
    index_of,
    keyed,
    wdot,
    where,
)
from retentionkit.errors import InputError, ModelFitError

__all__ = ["BetaGeoBetaBinomFitter"]


def _check_bgbb(
    frequency: ArrayLike, recency: ArrayLike, n_periods: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    idx = index_of(frequency, recency, n_periods)
    x = as_float_array("frequency", frequency)
    t_x = as_float_array("recency", recency)
    n = as_float_array("n_periods", n_periods)
    check_same_length(frequency=x, recency=t_x, n_periods=n)
    for name, arr in (("frequency", x), ("recency", t_x), ("n_periods", n)):
        check_integer(name, arr, idx)
    bad = (x < 0) | (x > t_x) | (t_x > n) | (n < 1) | ((x == 0) & (t_x != 0))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"BG/BB data need whole numbers with 0 <= frequency <= recency <= n_periods, "
            f"n_periods >= 1 and recency 0 when frequency is 0; {where(idx, i)} has "
            f"frequency={x[i]:g}, recency={t_x[i]:g}, n_periods={n[i]:g}."
        )
    return x, t_x, n


def _log_likelihood(
    params: tuple[float, ...], x: FloatArray, t_x: FloatArray, n: FloatArray
) -> Any:
    alpha, beta, gamma, delta = params
    with np.errstate(all="ignore"):
        base = betaln(alpha, beta) + betaln(gamma, delta)
        first = betaln(alpha + x, beta + n - x) + betaln(gamma, delta + n) - base
        span = n - t_x  # number of terms in the finite sum
        kmax = int(span.max()) if len(span) else 0
        if kmax <= 0:
            return first
        i = np.arange(kmax, dtype=np.float64)[None, :]
        terms = betaln(alpha + x[:, None], beta + t_x[:, None] - x[:, None] + i) + betaln(
            gamma + 1, delta + t_x[:, None] + i
        )
        terms = np.where(i < span[:, None], terms, -np.inf)
        second = logsumexp(terms, axis=1) - base
        return np.logaddexp(first, second)


class BetaGeoBetaBinomFitter(BaseFitter):
    r"""BG/BB model (Fader, Hardie & Shang 2010), fitted by maximum likelihood.

    Parameters ``alpha, beta`` (transaction probability) and ``gamma, delta`` (drop-out
    probability). ``fit(frequency, recency, n_periods, weights=None)``: ``frequency`` = number of
    repeat transactions, ``recency`` = the opportunity of the last one (0 if none),
    ``n_periods`` = number of opportunities observed.
    """

    model_name: ClassVar[str] = "bgbb"
    param_names: ClassVar[tuple[str, ...]] = ("alpha", "beta", "gamma", "delta")
    kind: ClassVar[str] = "discrete"
    aliases: ClassVar[tuple[str, ...]] = ("bg/bb", "betageobetabinom")
    description: ClassVar[str] = (
        "BG/BB (Fader, Hardie & Shang 2010): one purchase opportunity per period, "
        "drop-out between opportunities."
    )
    needs: ClassVar[str] = (
        "orders: customer_id, ordered_at (repeat purchase yes/no in each period after the first)"
    )
    _has_gradient: ClassVar[bool] = False

    def fit(
        self,
        frequency: ArrayLike,
        recency: ArrayLike,
        n_periods: ArrayLike,
        weights: ArrayLike | None = None,
    ) -> BetaGeoBetaBinomFitter:
        """Fit on per-customer (or per-pattern with ``weights``) data; returns ``self``."""
        x, t_x, n = _check_bgbb(frequency, recency, n_periods)
        w = check_weights(weights, len(x))
        if not (w[x > 0] > 0).any():
            raise ModelFitError(
                "BetaGeoBetaBinomFitter cannot be fitted: no customer made a repeat transaction. "
                "Observe more opportunities or more customers."
            )
        data = collapse({"x": x, "t_x": t_x, "n": n}, w)
        self._optimise(data, "(e.g. coarser periods)")
        return self

    def _nll(
        self, params: FloatArray, data: FitData, grad: bool
    ) -> tuple[float, FloatArray | None]:
        ll = _log_likelihood(tuple(float(v) for v in params), data["x"], data["t_x"], data["n"])
        return -float(wdot(data["weights"], ll)), None

    # -- predictions --------------------------------------------------------------------------

    def conditional_expected_number_of_purchases_up_to_time(
        self,
        m_periods_in_future: ArrayLike,
        frequency: ArrayLike,
        recency: ArrayLike,
        n_periods: ArrayLike,
    ) -> Any:
        r"""Expected transactions in the next ``m`` opportunities given the history (FHS eq. 13).

        .. math::

            E[X(n, n + m) \mid x, t_x, n] = \frac{1}{L}
              \frac{B(\alpha + x + 1, \beta + n - x)}{B(\alpha, \beta)}
              \frac{\delta}{\gamma - 1}\frac{\Gamma(\gamma + \delta)}{\Gamma(1 + \delta)}
              \left[\frac{\Gamma(1 + \delta + n)}{\Gamma(\gamma + \delta + n)}
                  - \frac{\Gamma(1 + \delta + n + m)}{\Gamma(\gamma + \delta + n + m)}\right]
        """
        alpha, beta, gamma, delta = self._p()
        idx = index_of(frequency, recency, n_periods, m_periods_in_future)
        x, t_x, n = _check_bgbb(frequency, recency, n_periods)
        m = _whole("m_periods_in_future", m_periods_in_future)
        with np.errstate(all="ignore"):
            ll = _log_likelihood((alpha, beta, gamma, delta), x, t_x, n)
            p2 = betaln(alpha + x + 1, beta + n - x) - betaln(alpha, beta)
            p3 = delta / (gamma - 1) * np.exp(gammaln(gamma + delta) - gammaln(1 + delta))
            p4 = np.exp(gammaln(1 + delta + n) - gammaln(gamma + delta + n))
            p5 = np.exp(gammaln(1 + delta + n + m) - gammaln(gamma + delta + n + m))
            out = np.exp(p2 - ll) * p3 * (p4 - p5)
        return keyed(np.asarray(out, dtype=np.float64), idx, "expected_purchases")

    def conditional_probability_alive(
        self,
        frequency: ArrayLike,
        recency: ArrayLike,
        n_periods: ArrayLike,
        m_periods_in_future: ArrayLike = 1,
    ) -> Any:
        r"""P(alive at opportunity n + m | x, t_x, n); ``m = 1`` is FHS (2010) eq. (11).

        .. math::

            P = \frac{B(\alpha + x, \beta + n - x)}{B(\alpha, \beta)}
                \frac{B(\gamma, \delta + n + m)}{B(\gamma, \delta)} \Big/ L
        """
        alpha, beta, gamma, delta = self._p()
        idx = index_of(frequency, recency, n_periods)
        x, t_x, n = _check_bgbb(frequency, recency, n_periods)
        m = _whole("m_periods_in_future", m_periods_in_future)
        with np.errstate(all="ignore"):
            ll = _log_likelihood((alpha, beta, gamma, delta), x, t_x, n)
            p1 = betaln(alpha + x, beta + n - x) - betaln(alpha, beta)
            p2 = betaln(gamma, delta + n + m) - betaln(gamma, delta)
            out = np.exp(p1 + p2 - ll)
        return keyed(np.asarray(out, dtype=np.float64), idx, "p_alive")

    def expected_number_of_purchases_up_to_time(self, n: ArrayLike) -> Any:
        r"""Expected transactions of a new customer in the first ``n`` opportunities (FHS eq. 9).

        .. math::

            E[X(n)] = \frac{\alpha}{\alpha + \beta}\frac{\delta}{\gamma - 1}
              \left[1 - \frac{\Gamma(\gamma + \delta)}{\Gamma(\gamma + \delta + n)}
                        \frac{\Gamma(1 + \delta + n)}{\Gamma(1 + \delta)}\right]
        """
        alpha, beta, gamma, delta = self._p()
        idx = index_of(n)
        nn = _whole("n", n)
        with np.errstate(all="ignore"):
            ratio = np.exp(
                gammaln(gamma + delta)
                - gammaln(gamma + delta + nn)
                + gammaln(1 + delta + nn)
                - gammaln(1 + delta)
            )
            out = alpha / (alpha + beta) * delta / (gamma - 1) * (1 - ratio)
        return keyed(np.asarray(out, dtype=np.float64), idx, "expected_purchases")

    def probability_of_n_purchases_up_to_time(self, n_periods: int, x: ArrayLike) -> Any:
        r"""P(a new customer makes exactly ``x`` transactions in ``n_periods`` opportunities).

        FHS (2010) eq. (7):

        .. math::

            P(X(n) = x) = \binom{n}{x}\frac{B(\alpha + x, \beta + n - x)}{B(\alpha, \beta)}
                \frac{B(\gamma, \delta + n)}{B(\gamma, \delta)}
              + \sum_{i=x}^{n-1}\binom{i}{x}\frac{B(\alpha + x, \beta + i - x)}{B(\alpha, \beta)}
                \frac{B(\gamma + 1, \delta + i)}{B(\gamma, \delta)}
        """
        alpha, beta, gamma, delta = self._p()
        nper = _whole("n_periods", n_periods)
        if nper.size != 1:
            raise InputError("`n_periods` must be a single whole number here.")
        n = float(nper[0])
        xs = _whole("x", x)
        base = betaln(alpha, beta) + betaln(gamma, delta)
        out = np.empty_like(xs)
        for k, xv in enumerate(xs):
            if xv > n:
                out[k] = 0.0
                continue
            logs = [
                _log_binom(n, xv) + betaln(alpha + xv, beta + n - xv) + betaln(gamma, delta + n)
            ]
            i = np.arange(xv, n)
            if len(i):
                logs.extend(
                    _log_binom(i, xv)
                    + betaln(alpha + xv, beta + i - xv)
                    + betaln(gamma + 1, delta + i)
                )
            out[k] = np.exp(logsumexp(np.asarray(logs, dtype=np.float64)) - base)
        return out


def _log_binom(n: Any, k: float) -> Any:
    return gammaln(np.asarray(n) + 1) - gammaln(k + 1) - gammaln(np.asarray(n) - k + 1)


def _whole(name: str, values: ArrayLike) -> FloatArray:
    arr = as_float_array(name, values)
    check_integer(name, arr)
    if (arr < 0).any():
        raise InputError(f"`{name}` must be whole numbers >= 0; got {arr.min():g}.")
    return arr
