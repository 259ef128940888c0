r"""MBG/NBD: the modified beta-geometric / NBD model.

Batislam, E. P., Denizel, M. & Filiztekin, A. (2007). "Empirical validation and comparison of
models for customer base analysis". *International Journal of Research in Marketing* 24(3),
201-209. (Also Wagner & Hoppe 2008.)

As BG/NBD, except that a customer may also drop out at time 0, right after the first purchase,
so a customer with no repeat purchase is no longer certainly alive. The likelihood (Batislam et
al. 2007, appendix A) is

.. math::

    L(r, \alpha, a, b \mid x, t_x, T) =
      \frac{B(a, b + x + 1)}{B(a, b)}
        \frac{\Gamma(r + x)\,\alpha^r}{\Gamma(r)\,(\alpha + T)^{r + x}}
      + \frac{B(a + 1, b + x)}{B(a, b)}
        \frac{\Gamma(r + x)\,\alpha^r}{\Gamma(r)\,(\alpha + t_x)^{r + x}},

evaluated as :math:`A_1 + u_1 + \log(1 + e^{d})` with
:math:`d = \log a - \log(b + x) + (r + x)[\log(\alpha+T) - \log(\alpha+t_x)]`; analytic gradient.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from retentionkit.clv.models import limits
from retentionkit.clv.models.base import (
    FitData,
    FloatArray,
    check_rfm,
    index_of,
    keyed,
    log_hyp2f1,
    per_distinct_pair,
    wdot,
)
from retentionkit.clv.models.bgnbd import (
    BetaGeoFitter,
    _log_nbd,
    _nbd_tail,
    _t_and_n,
    check_time,
)

__all__ = ["ModifiedBetaGeoFitter"]


class ModifiedBetaGeoFitter(BetaGeoFitter):
    r"""MBG/NBD model (Batislam, Denizel & Filiztekin 2007), fitted by maximum likelihood.

    Parameters ``r, alpha, a, b`` as in :class:`~retentionkit.clv.models.bgnbd.BetaGeoFitter`;
    ``fit(frequency, recency, T, weights=None)`` has the same conventions. Unlike BG/NBD, a
    customer with no repeat purchase can be inactive, so P(alive) < 1 for them.
    """

    model_name: ClassVar[str] = "mbgnbd"
    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    aliases: ClassVar[tuple[str, ...]] = ("mbg/nbd", "modifiedbetageo")
    description: ClassVar[str] = (
        "MBG/NBD (Batislam et al. 2007): BG/NBD where customers may also drop out before "
        "any repeat purchase."
    )
    _drop_at_start: ClassVar[bool] = True

    def _nll(
        self, params: FloatArray, data: FitData, grad: bool
    ) -> tuple[float, FloatArray | None]:
        r, alpha, a, b = params
        xu, xw = data["xu"], data["xw"]
        x, t_x, T, w = data["x"], data["t_x"], data["T"], data["weights"]
        a1 = (
            gammaln(r + xu)
            - gammaln(r)
            + r * np.log(alpha)
            + gammaln(a + b)
            + gammaln(b + xu + 1)
            - gammaln(b)
            - gammaln(a + b + xu + 1)
        )
        la = np.log(alpha + T)
        lb = np.log(alpha + t_x)
        rx = r + x
        d = np.log(a) - np.log(b + x) + rx * (la - lb)
        ll = float(wdot(xw, a1) + wdot(w, -rx * la + np.logaddexp(0.0, d)))
        if not grad:
            return -ll, None
        ws = w * expit(d)
        dr = (
            wdot(xw, digamma(r + xu) - digamma(r) + np.log(alpha)) - wdot(w, la) + wdot(ws, la - lb)
        )
        dalpha = (
            xw.sum() * r / alpha
            - wdot(w, rx / (alpha + T))
            + wdot(ws, rx * (1.0 / (alpha + T) - 1.0 / (alpha + t_x)))
        )
        psi_ab = digamma(a + b)
        psi_abx = digamma(a + b + xu + 1)
        da = wdot(xw, psi_ab - psi_abx) + ws.sum() / a
        db = wdot(xw, psi_ab + digamma(b + xu + 1) - digamma(b) - psi_abx) - wdot(ws, 1.0 / (b + x))
        return -ll, -np.array([dr, dalpha, da, db])

    def conditional_expected_number_of_purchases_up_to_time(
        self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> Any:
        r"""Expected repeat purchases in :math:`(T, T + t]` given the history (Batislam eq. A.8).

        .. math::

            E[Y(t) \mid x, t_x, T] = \frac{a + b + x}{a - 1}
              \frac{1 - \left(\frac{\alpha + T}{\alpha + T + t}\right)^{r + x}
                    {}_2F_1\!\left(r + x, b + x + 1; a + b + x; \frac{t}{\alpha + T + t}\right)}
                   {1 + \frac{a}{b + x}\left(\frac{\alpha + T}{\alpha + t_x}\right)^{r + x}}
        """
        r, alpha, a, b = self._p()
        idx = index_of(frequency, recency, T, t)
        x, t_x, age = check_rfm(frequency, recency, T)
        tt = check_time("t", t)
        if (lim := self._geometric()) is not None:
            out = limits.geometric_expected(tt, *lim, x, t_x, age, drop_at_start=True)
            return keyed(np.asarray(out, dtype=np.float64), idx, "expected_purchases")

        def second_of(x: FloatArray, age: FloatArray) -> FloatArray:
            """1 − ((α+T)/(α+T+t))^(r+x) 2F1(…): a function of (x, T) for one horizon."""
            pa, pb, pc = r + x, b + x + 1, a + b + x
            z = tt / (alpha + age + tt)
            ln_hyp = log_hyp2f1(pa, pb, pc, z)
            return np.asarray(
                -np.expm1(ln_hyp + (r + x) * np.log((alpha + age) / (alpha + tt + age))),
                dtype=np.float64,
            )

        with np.errstate(all="ignore"):
            # one horizon for everyone: once per distinct (x, T) pair, the same numbers
            second = per_distinct_pair(x, age, second_of) if tt.size == 1 else second_of(x, age)
            first = (a + b + x) / (a - 1)
            denom = 1 + (a / (b + x)) * np.exp((r + x) * np.log((alpha + age) / (alpha + t_x)))
            # rounding can leave -1e-16 for t ~ 0; an expectation of counts is never negative
            out = np.maximum(first * second / denom, 0.0)
        return keyed(np.asarray(out, dtype=np.float64), idx, "expected_purchases")

    def conditional_probability_alive(
        self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> Any:
        r"""P(alive at T | x, t_x, T) (Batislam et al. 2007, appendix A, eq. 5).

        .. math::

            P(\text{alive}) = \left[1 + \frac{a}{b + x}
                \left(\frac{\alpha + T}{\alpha + t_x}\right)^{r + x}\right]^{-1}
        """
        r, alpha, a, b = self._p()
        idx = index_of(frequency, recency, T)
        x, t_x, age = check_rfm(frequency, recency, T)
        if (lim := self._geometric()) is not None:
            out = limits.geometric_p_alive(*lim, x, t_x, age, drop_at_start=True)
            return keyed(out, idx, "p_alive")
        with np.errstate(all="ignore"):
            log_div = (r + x) * np.log((alpha + age) / (alpha + t_x)) + np.log(a / (b + x))
            out = expit(-log_div)
        return keyed(out, idx, "p_alive")

    def expected_number_of_purchases_up_to_time(self, t: ArrayLike) -> Any:
        r"""Expected repeat purchases in :math:`(0, t]` of a new customer (Batislam eq. A.7).

        .. math::

            E[X(t)] = \frac{b}{a - 1}\left[1 - \left(\frac{\alpha}{\alpha + t}\right)^r
                {}_2F_1\!\left(r, b + 1; a + b; \frac{t}{\alpha + t}\right)\right]
        """
        r, alpha, a, b = self._p()
        idx = index_of(t)
        tt = check_time("t", t)
        if (lim := self._geometric()) is not None:
            out = limits.geometric_new_customer_expected(tt, *lim, drop_at_start=True)
            return keyed(out, idx, "expected_purchases")
        with np.errstate(all="ignore"):
            hyp = hyp2f1(r, b + 1, a + b, tt / (alpha + tt))
            out = b / (a - 1) * (1 - hyp * (alpha / (alpha + tt)) ** r)
        return keyed(out, idx, "expected_purchases")

    def probability_of_n_purchases_up_to_time(self, t: ArrayLike, n: ArrayLike) -> Any:
        r"""Probability that a new customer makes exactly ``n`` repeat purchases in :math:`(0, t]`.

        With the drop-out coin also tossed at time 0:

        .. math::

            P(X(t) = n) = \frac{B(a, b + n + 1)}{B(a, b)} \mathrm{NBD}(n; r, \alpha, t)
              + \frac{B(a + 1, b + n)}{B(a, b)}
                \left[1 - \sum_{j=0}^{n-1} \mathrm{NBD}(j; r, \alpha, t)\right]
        """
        r, alpha, a, b = self._p()
        tt, nn = _t_and_n(t, n)
        with np.errstate(all="ignore"):
            first = np.exp(betaln(a, b + nn + 1) - betaln(a, b) + _log_nbd(nn, r, alpha, tt))
            second = np.exp(betaln(a + 1, b + nn) - betaln(a, b)) * _nbd_tail(nn, r, alpha, tt)
        return first + second
