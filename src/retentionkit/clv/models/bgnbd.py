r"""BG/NBD: the beta-geometric / negative binomial distribution model.

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "'Counting Your Customers' the Easy Way: An
Alternative to the Pareto/NBD Model". *Marketing Science* 24(2), 275-284.

While active, a customer buys as a Poisson process with rate :math:`\lambda \sim
\mathrm{Gamma}(r, \alpha)`; after each purchase they drop out with probability :math:`p \sim
\mathrm{Beta}(a, b)`. For a customer with :math:`x` repeat purchases, the last at :math:`t_x`,
observed until :math:`T` (all measured from their first purchase), FHL (2005) eq. (6) gives

.. math::

    L(r, \alpha, a, b \mid x, t_x, T) =
        \frac{B(a, b + x)}{B(a, b)} \frac{\Gamma(r + x)\,\alpha^r}{\Gamma(r)\,(\alpha + T)^{r + x}}
        + \delta_{x > 0}\,\frac{B(a + 1, b + x - 1)}{B(a, b)}
          \frac{\Gamma(r + x)\,\alpha^r}{\Gamma(r)\,(\alpha + t_x)^{r + x}} .

It is evaluated in log space as :math:`A_1 + u_1 + \log(1 + e^{d})` with
:math:`u_1 = -(r+x)\log(\alpha+T)` and
:math:`d = \log a - \log(b+x-1) + (r+x)\,[\log(\alpha+T) - \log(\alpha+t_x)]` (a log-sum-exp that
cannot overflow), and its gradient is analytic. The terms that depend on :math:`x` only
(:math:`\Gamma` and beta functions) are computed once per distinct :math:`x`, which is what makes a
fit on a million customers take about a second.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import betainc, betaln, digamma, expit, gammaln, hyp2f1, xlogy

from retentionkit.clv.models import limits
from retentionkit.clv.models.base import (
    SOFT_LOG_PARAM_LIMIT,
    BaseFitter,
    FitData,
    FloatArray,
    as_float_array,
    check_rfm,
    check_weights,
    collapse,
    index_of,
    keyed,
    log_hyp2f1,
    num,
    per_distinct_pair,
    wdot,
)
from retentionkit.errors import InputError, ModelFitError

__all__ = ["BetaGeoFitter"]

_UNIT_HINT = "(e.g. weeks instead of days)"


def prepare_rfm(x: FloatArray, t_x: FloatArray, T: FloatArray, w: FloatArray) -> FitData:
    """Collapse (x, t_x, T) rows and add the bookkeeping the likelihoods use.

    Besides the collapsed columns ``x, t_x, T, weights`` it stores the distinct ``x`` values and
    their total weights (``xu``, ``xw``: the Gamma/Beta-function terms depend on ``x`` only), the
    rows with ``x > 0`` (``px, ptx, pT, pw``) and the ``x == 0`` rows aggregated by ``T``
    (``zT, zw``), for which the BG/NBD likelihood needs no ``t_x``.
    """
    data = collapse({"x": x, "t_x": t_x, "T": T}, w)
    xu, inverse = np.unique(data["x"], return_inverse=True)
    data["xu"] = xu
    data["xw"] = np.bincount(inverse, weights=data["weights"], minlength=len(xu))
    pos = data["x"] > 0
    for short, name in (("px", "x"), ("ptx", "t_x"), ("pT", "T"), ("pw", "weights")):
        data[short] = np.ascontiguousarray(data[name][pos])
    zT, zinv = np.unique(data["T"][~pos], return_inverse=True)
    data["zT"] = zT
    data["zw"] = np.bincount(zinv, weights=data["weights"][~pos], minlength=len(zT))
    return data


def check_time(name: str, t: ArrayLike) -> FloatArray:
    """Validate a prediction horizon (>= 0)."""
    arr = as_float_array(name, t)
    if (arr < 0).any():
        raise InputError(f"`{name}` must not be negative; got {num(arr[arr < 0][0])}.")
    return arr


class BetaGeoFitter(BaseFitter):
    r"""BG/NBD model (Fader, Hardie & Lee 2005), fitted by maximum likelihood.

    Parameters ``r, alpha`` (gamma heterogeneity of the purchase rate, ``alpha`` in the time unit
    of the data) and ``a, b`` (beta heterogeneity of the drop-out probability). See the module
    docstring for the likelihood (FHL 2005 eq. 6).

    Time unit: whatever ``recency`` and ``T`` are measured in (days, weeks …); predictions for a
    horizon ``t`` use the same unit. ``T`` runs from the first purchase to the end of observation.

    Examples
    --------
    >>> bgf = BetaGeoFitter().fit(frequency, recency, T)          # doctest: +SKIP
    >>> bgf.conditional_expected_number_of_purchases_up_to_time(39, frequency, recency, T)
    """

    model_name: ClassVar[str] = "bgnbd"
    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "a", "b")
    kind: ClassVar[str] = "purchase"
    aliases: ClassVar[tuple[str, ...]] = ("bg/nbd", "betageo")
    description: ClassVar[str] = (
        "BG/NBD (Fader, Hardie & Lee 2005): Poisson purchases, drop-out after any purchase."
    )
    needs: ClassVar[str] = "orders: customer_id, ordered_at (frequency, recency, T per customer)"
    #: MBG/NBD customers can also drop out before their first repeat purchase.
    _drop_at_start: ClassVar[bool] = False

    def _runaway(self, theta: FloatArray, standard_errors: Any) -> dict[str, str]:
        """As the base rule, and a, b both above e^7 (≈ 1100) count as run off to infinity: the
        beta distribution of the drop-out probability has collapsed onto a/(a+b) (its variance
        is below 1/1100 of p(1-p)), so the fit is its limit and predicts with its formulas."""
        out = super()._runaway(theta, standard_errors)
        if min(theta[2], theta[3]) > SOFT_LOG_PARAM_LIMIT:
            out.update({"a": "infinity", "b": "infinity"})
        return out

    def _limit(self, runaway: Any) -> tuple[dict[str, float], str] | None:
        """a, b → ∞ together (a/(a+b) finite): the geometric drop-out limit
        (:mod:`retentionkit.clv.models.limits`)."""
        if set(runaway) <= {"a", "b"} and all(v == "infinity" for v in runaway.values()):
            a, b = self.params_["a"], self.params_["b"]
            if min(a, b) > 1.0:
                p = a / (a + b)
                return (
                    {"r": self.params_["r"], "alpha": self.params_["alpha"], "p": p},
                    f"the same drop-out probability p = {p:.4g} after every purchase for "
                    f"everyone (geometric drop-out)",
                )
        return None

    def _geometric(self) -> tuple[float, float, float] | None:
        """(r, alpha, p) when this is a boundary fit predicting with the geometric limit."""
        if self.limit_ is not None and "p" in self.limit_:
            return self.limit_["r"], self.limit_["alpha"], self.limit_["p"]
        return None

    def fit(
        self,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
        weights: ArrayLike | None = None,
    ) -> BetaGeoFitter:
        """Fit on per-customer repeat frequency, recency and age ``T``; returns ``self``.

        Identical ``(frequency, recency, T)`` rows are collapsed into weights first.
        ``weights`` (optional) counts how many customers each row stands for.
        """
        x, t_x, t = check_rfm(frequency, recency, T)
        w = check_weights(weights, len(x))
        if not (w[x > 0] > 0).any():
            raise ModelFitError(
                f"{type(self).__name__} cannot be fitted: no customer made a repeat purchase "
                f"(every frequency is 0), so the purchase and drop-out processes are not "
                f"identified. Use a longer observation window or more data."
            )
        data = prepare_rfm(x, t_x, t, w)
        self._optimise(data, _UNIT_HINT)
        return self

    def _initial_log_params(self, data: FitData) -> FloatArray:
        # r=1, alpha = mean T / mean-rate scale, a=1, b=1 (a data-scaled alpha speeds convergence)
        w = data["weights"]
        mean_T = float(np.sum(w * data["T"]) / w.sum())
        mean_x = float(np.sum(w * data["x"]) / w.sum())
        alpha0 = max(mean_T / max(mean_x, 0.1), 1e-3)
        return np.log(np.array([1.0, alpha0, 1.0, 1.0]))

    def _nll(
        self, params: FloatArray, data: FitData, grad: bool
    ) -> tuple[float, FloatArray | None]:
        r, alpha, a, b = params
        xu, xw = data["xu"], data["xw"]
        x, t_x, T, w = data["px"], data["ptx"], data["pT"], data["pw"]
        zT, zw = data["zT"], data["zw"]
        # per distinct x
        a1 = (
            gammaln(r + xu)
            - gammaln(r)
            + r * np.log(alpha)
            + gammaln(a + b)
            + gammaln(b + xu)
            - gammaln(b)
            - gammaln(a + b + xu)
        )
        # customers without repeat purchases: only -r log(alpha + T), per distinct T
        lz = np.log(alpha + zT)
        # customers with repeat purchases: -(r+x) log(alpha+T) + log(1 + e^d)
        la = np.log(alpha + T)
        lb = np.log(alpha + t_x)
        rx = r + x
        inv_bx = 1.0 / (b + x - 1)
        d = np.log(a) + np.log(inv_bx) + rx * (la - lb)
        e = np.exp(-np.abs(d))
        soft = np.maximum(d, 0.0) + np.log1p(e)
        ll = float(wdot(xw, a1) - r * wdot(zw, lz) + wdot(w, soft - rx * la))
        if not grad:
            return -ll, None
        sig = np.where(d >= 0, 1.0, e) / (1.0 + e)
        ws = w * sig
        inv_a = 1.0 / (alpha + T)
        inv_t = 1.0 / (alpha + t_x)
        dr = (
            wdot(xw, digamma(r + xu) - digamma(r) + np.log(alpha))
            - wdot(zw, lz)
            - wdot(w, la)
            + wdot(ws, la - lb)
        )
        dalpha = (
            xw.sum() * r / alpha
            - r * wdot(zw, 1.0 / (alpha + zT))
            - wdot(w * rx, inv_a)
            + wdot(ws * rx, inv_a - inv_t)
        )
        psi_ab = digamma(a + b)
        psi_abx = digamma(a + b + xu)
        da = wdot(xw, psi_ab - psi_abx) + ws.sum() / a
        db = wdot(xw, psi_ab + digamma(b + xu) - digamma(b) - psi_abx) - wdot(ws, inv_bx)
        return -ll, -np.array([dr, dalpha, da, db])

    # -- predictions --------------------------------------------------------------------------

    def conditional_expected_number_of_purchases_up_to_time(
        self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> Any:
        r"""Expected repeat purchases in :math:`(T, T + t]` given the customer's history.

        FHL (2005) eq. (10):

        .. math::

            E[Y(t) \mid x, t_x, T] = \frac{a + b + x - 1}{a - 1}
              \frac{1 - \left(\frac{\alpha + T}{\alpha + T + t}\right)^{r + x}
                    {}_2F_1\!\left(r + x, b + x; a + b + x - 1; \frac{t}{\alpha + T + t}\right)}
                   {1 + \delta_{x > 0} \frac{a}{b + x - 1}
                    \left(\frac{\alpha + T}{\alpha + t_x}\right)^{r + x}} .

        Where :math:`{}_2F_1` overflows, Euler's transformation
        :math:`{}_2F_1(a,b;c;z) = (1-z)^{c-a-b}\,{}_2F_1(c-a, c-b; c; z)` is used instead.
        ``t`` may be a scalar or one horizon per customer.
        """
        r, alpha, a, b = self._p()
        idx = index_of(frequency, recency, T, t)
        x, t_x, age = check_rfm(frequency, recency, T)
        tt = check_time("t", t)
        if (lim := self._geometric()) is not None:
            out = limits.geometric_expected(tt, *lim, x, t_x, age, self._drop_at_start)
            return keyed(np.asarray(out, dtype=np.float64), idx, "expected_purchases")

        def second_of(x: FloatArray, age: FloatArray) -> FloatArray:
            """1 − ((α+T)/(α+T+t))^(r+x) 2F1(…): a function of (x, T) for one horizon."""
            pa = r + x
            pb = b + x
            pc = a + b + x - 1
            z = tt / (alpha + age + tt)
            ln_hyp = log_hyp2f1(pa, pb, pc, z)
            return np.asarray(
                -np.expm1(ln_hyp + (r + x) * np.log((alpha + age) / (alpha + tt + age))),
                dtype=np.float64,
            )

        with np.errstate(all="ignore"):
            # one horizon for everyone: once per distinct (x, T) pair, the same numbers
            second = per_distinct_pair(x, age, second_of) if tt.size == 1 else second_of(x, age)
            first = (a + b + x - 1) / (a - 1)
            denom = 1 + np.where(
                x > 0,
                (a / np.where(x > 0, b + x - 1, 1.0))
                * np.exp((r + x) * np.log((alpha + age) / (alpha + t_x))),
                0.0,
            )
            # rounding can leave -1e-16 for t ~ 0; an expectation of counts is never negative
            out = np.maximum(first * second / denom, 0.0)
        return keyed(np.asarray(out, dtype=np.float64), idx, "expected_purchases")

    def conditional_probability_alive(
        self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> Any:
        r"""Probability the customer is still active at :math:`T` (FHL 2005 eq. 11; "P(alive)").

        .. math::

            P(\text{alive} \mid x, t_x, T) = \left[1 + \delta_{x>0} \frac{a}{b + x - 1}
                \left(\frac{\alpha + T}{\alpha + t_x}\right)^{r + x}\right]^{-1}
        """
        r, alpha, a, b = self._p()
        idx = index_of(frequency, recency, T)
        x, t_x, age = check_rfm(frequency, recency, T)
        if (lim := self._geometric()) is not None:
            return keyed(limits.geometric_p_alive(*lim, x, t_x, age), idx, "p_alive")
        with np.errstate(all="ignore"):
            log_div = (r + x) * np.log((alpha + age) / (alpha + t_x)) + np.log(
                a / (b + np.maximum(x, 1) - 1)
            )
            out = np.where(x == 0, 1.0, expit(-log_div))
        return keyed(out, idx, "p_alive")

    def expected_number_of_purchases_up_to_time(self, t: ArrayLike) -> Any:
        r"""Expected repeat purchases in :math:`(0, t]` of a new customer (FHL 2005 eq. 9).

        .. math::

            E[X(t)] = \frac{a + b - 1}{a - 1}\left[1 - \left(\frac{\alpha}{\alpha + t}\right)^r
                {}_2F_1\!\left(r, b; a + b - 1; \frac{t}{\alpha + t}\right)\right]
        """
        r, alpha, a, b = self._p()
        idx = index_of(t)
        tt = check_time("t", t)
        if (lim := self._geometric()) is not None:
            out = limits.geometric_new_customer_expected(tt, *lim)
            return keyed(out, idx, "expected_purchases")
        with np.errstate(all="ignore"):
            hyp = hyp2f1(r, b, a + b - 1, tt / (alpha + tt))
            out = (a + b - 1) / (a - 1) * (1 - hyp * (alpha / (alpha + tt)) ** r)
        return keyed(out, idx, "expected_purchases")

    def probability_of_n_purchases_up_to_time(self, t: ArrayLike, n: ArrayLike) -> Any:
        r"""Probability that a new customer makes exactly ``n`` repeat purchases in :math:`(0, t]`.

        FHL (2005) eq. (8):

        .. math::

            P(X(t) = n) = \frac{B(a, b + n)}{B(a, b)} \mathrm{NBD}(n; r, \alpha, t)
              + \delta_{n > 0} \frac{B(a + 1, b + n - 1)}{B(a, b)}
                \left[1 - \sum_{j=0}^{n-1} \mathrm{NBD}(j; r, \alpha, t)\right],

        with the negative-binomial pmf
        :math:`\mathrm{NBD}(j) = \frac{\Gamma(r+j)}{\Gamma(r) j!}
        (\frac{\alpha}{\alpha+t})^r (\frac{t}{\alpha+t})^j`; the bracket is the NBD tail,
        computed as the regularised incomplete beta :math:`I_{t/(\alpha+t)}(n, r)`.
        ``t`` and ``n`` broadcast against each other.
        """
        r, alpha, a, b = self._p()
        tt, nn = _t_and_n(t, n)
        with np.errstate(all="ignore"):
            first = np.exp(betaln(a, b + nn) - betaln(a, b) + _log_nbd(nn, r, alpha, tt))
            tail = _nbd_tail(nn, r, alpha, tt)
            second = np.where(
                nn > 0,
                np.exp(betaln(a + 1, b + np.maximum(nn, 1) - 1) - betaln(a, b)) * tail,
                0.0,
            )
        return first + second


# -- helpers shared with the other purchase models ------------------------------------------


def _t_and_n(t: ArrayLike, n: ArrayLike) -> tuple[FloatArray, FloatArray]:
    tt = check_time("t", t)
    nn = as_float_array("n", n)
    if (nn < 0).any() or (nn != np.round(nn)).any():
        raise InputError(f"`n` must hold whole numbers >= 0; got {nn.tolist()[:5]!r}.")
    try:
        tt, nn = np.broadcast_arrays(tt, nn)
    except ValueError:
        raise InputError(
            f"`t` and `n` must be scalars or arrays of the same length; "
            f"got {len(tt)} and {len(nn)}."
        ) from None
    return tt.astype(np.float64), nn.astype(np.float64)


def _log_nbd(n: FloatArray, r: float, alpha: float, t: FloatArray) -> FloatArray:
    """log of the negative-binomial pmf of ``n`` purchases in ``t`` (gamma(r, alpha) rates)."""
    return (
        gammaln(r + n)
        - gammaln(r)
        - gammaln(n + 1)
        + r * np.log(alpha / (alpha + t))
        + xlogy(n, t / (alpha + t))
    )


def _nbd_tail(n: FloatArray, r: float, alpha: float, t: FloatArray) -> FloatArray:
    """P(NBD >= n) = I_{t/(alpha+t)}(n, r); 1 for n = 0."""
    safe_n = np.maximum(n, 1)
    return np.where(n > 0, betainc(safe_n, r, t / (alpha + t)), 1.0)
