r"""Pareto/NBD: Poisson purchases with exponential lifetimes.

Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987). "Counting Your Customers: Who Are They
and What Will They Do Next?". *Management Science* 33(1), 1-24; likelihood as written in
Fader, P. S. & Hardie, B. G. S. (2005), "A Note on Deriving the Pareto/NBD Model and Related
Expressions", http://brucehardie.com/notes/009/, eqs. (18)-(22).

While active a customer buys at rate :math:`\lambda \sim \mathrm{Gamma}(r, \alpha)`; the lifetime
is exponential with rate :math:`\mu \sim \mathrm{Gamma}(s, \beta)`. Then

.. math::

    L = \frac{\Gamma(r + x)\,\alpha^r \beta^s}{\Gamma(r)}
        \left[\frac{1}{(\alpha + T)^{r + x}(\beta + T)^s} + \frac{s}{r + s + x} A_0\right],

    A_0 = \frac{{}_2F_1\left(r+s+x, b; r+s+x+1; \frac{|\alpha-\beta|}{m + t_x}\right)}
               {(m + t_x)^{r+s+x}}
        - \frac{{}_2F_1\left(r+s+x, b; r+s+x+1; \frac{|\alpha-\beta|}{m + T}\right)}
               {(m + T)^{r+s+x}},

with :math:`m = \max(\alpha, \beta)`, and :math:`b = s + 1` if :math:`\alpha \ge \beta`, else
:math:`b = r + x`. The Gauss hypergeometric function overflows for heavy buyers when
:math:`\alpha \ll \beta` (:math:`{}_2F_1 \le (1-z)^{-b}` with :math:`b = r + x` large), so where
``scipy.special.hyp2f1`` is not finite its logarithm is taken through Euler's transformation
:math:`{}_2F_1(a, b; c; z) = (1-z)^{c-a-b}\,{}_2F_1(c-a, c-b; c; z)`, which for :math:`c = a + 1`
leaves the bounded :math:`{}_2F_1(1, a + 1 - b; a + 1; z) \in [1, (1-z)^{-1}]`. The difference in
:math:`A_0` and the outer sum are taken in log space.

The gradient is analytic (:func:`_log_likelihood_and_gradient`): the Gamma terms by digamma, and
:math:`\log A_0` by differentiating under its integral, whose expectations are taken with the
nodes of the same 64-node quadrature (:func:`_a0_expectations`). It agrees with central
differences of the likelihood to ~1e-7 relative (``tests/clv/test_paretonbd_gradient.py``) and
replaces L-BFGS-B's 3-point differences (8 likelihood calls per gradient): CDNOW's fit 0.5 →
0.1 s, a boundary fit on 50,000 customers 12.0 → 5.1 s, the same optimum. Each evaluation
integrates A_0 once (:func:`_nodes`), 2,048 rows at a time in reused buffers: the rows the
likelihood integrates numerically and the gradient's expectations share the same 64 nodes,
bit for bit; that boundary fit 5.3–6.2 → 2.4–2.9 s (docs/benchmarks.md, thirteenth session).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import betaln, gammaln, logsumexp

from retentionkit.clv.models import limits
from retentionkit.clv.models.base import (
    SOFT_LOG_PARAM_LIMIT,
    BaseFitter,
    FitData,
    FloatArray,
    check_rfm,
    check_weights,
    index_of,
    keyed,
    log_hyp2f1,
    logsumexp_rows,
    wdot,
)
from retentionkit.clv.models.bgnbd import _t_and_n, check_time, prepare_rfm
from retentionkit.errors import InputError, ModelFitError

__all__ = ["ParetoNBDFitter"]


def _log_a0(
    r: float,
    alpha: float,
    s: float,
    beta: float,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    nodes: _Nodes | None = None,
) -> FloatArray:
    """log A_0 of the Pareto/NBD likelihood (Fader & Hardie 2005 note, eqs. 19-22). ``nodes``,
    the quadrature of every row with t_x < T (:func:`_nodes`), spares recomputing it for the
    rows integrated numerically."""
    if alpha < beta:
        low, high = alpha, beta
        b = r + x
    else:
        low, high = beta, alpha
        b = s + 1.0 + np.zeros_like(x)
    diff = high - low
    rsx = r + s + x
    # scipy's hyp2f1 is slow (seconds per call) and fragile for z within 1e-4 of 1 (alpha and
    # beta orders of magnitude apart, as when a fit runs off to a boundary): integrate instead.
    near_one = diff / (high + t_x) > _Z_QUADRATURE
    with np.errstate(all="ignore"):
        zu = np.where(near_one, 0.0, diff / (high + t_x))
        zv = np.where(near_one, 0.0, diff / (high + T))
        u = log_hyp2f1(rsx, b, rsx + 1.0, zu) - rsx * np.log(high + t_x)
        v = log_hyp2f1(rsx, b, rsx + 1.0, zv) - rsx * np.log(high + T)
        # A_0 = e^u - e^v >= 0 (the integrand is positive); -inf when t_x == T
        out = np.where(v < u, u + np.log(-np.expm1(np.minimum(v - u, 0.0))), -np.inf)
    # Where scipy's hyp2f1 fails even after Euler's transformation (NaN, e.g. when c - a - b is
    # an integer and z is close to 1), integrate A_0 numerically instead.
    bad = near_one | ~(np.isfinite(out) | ((out == -np.inf) & (t_x >= T)))
    bad &= t_x < T
    if np.any(bad):
        out = np.array(out, dtype=np.float64, copy=True)
        if nodes is None:
            out[bad] = _log_a0_quadrature(r, alpha, s, beta, x[bad], t_x[bad], T[bad])
        else:
            out[bad] = nodes.log_a0(r, s, x[bad], bad[nodes.live])
    return out


_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(64)
#: Above this argument of 2F1, A_0 is integrated by quadrature.
_Z_QUADRATURE = 0.95


def _log_a0_quadrature(
    r: float, alpha: float, s: float, beta: float, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> FloatArray:
    r"""log A_0 by Gauss-Legendre quadrature of its integral form.

    :math:`A_0 = (r+s+x)\int_{t_x}^{T} (\alpha+y)^{-(r+x)} (\beta+y)^{-(s+1)}\,dy`. With
    :math:`m = r + x - 1 > 0` the substitution :math:`w = ((\alpha+y)/(\alpha+t_x))^{-m}` turns it
    into :math:`\frac{(\alpha+t_x)^{-m}}{m}\int_{w_T}^{1} (\beta+y(w))^{-(s+1)}\,dw`, whose
    integrand is bounded and smooth, so 64 nodes suffice; everything stays in log space
    (:func:`_integrate`, every row given, no expectations).
    """
    every = np.ones(len(x), dtype=bool)
    return _integrate(r, alpha, s, beta, x, t_x, T, every, expectations=False).log_a0(
        r, s, x, every
    )


@dataclass(frozen=True)
class _Nodes:
    """The quadrature of A_0's integral over some rows (``live``, a mask of the rows given to
    :func:`_integrate`). Per row: ``m``, ``l0`` and ``delta`` of the substitution, the log of
    the weighted sum of the integrand (``log_sum``) and, when asked for, the gradient's four
    expectations (:func:`_a0_expectations`); the (rows × 64) arrays are not kept. The
    log-likelihood and its gradient read one per evaluation (:func:`_nodes`), bit for bit the
    former two quadratures (``tests/clv/test_paretonbd_nodes.py``)."""

    live: np.ndarray
    m: FloatArray
    l0: FloatArray
    delta: FloatArray
    log_sum: FloatArray
    expectations: FloatArray | None

    def log_a0(self, r: float, s: float, x: FloatArray, rows: np.ndarray) -> FloatArray:
        """log A_0 of the live rows selected by ``rows`` (``x`` is theirs)."""
        m, l0 = self.m[rows], self.l0[rows]
        log_span = np.log(-np.expm1(-m * self.delta[rows]))
        log_int = -m * l0 - np.log(m) + log_span - np.log(2.0) + self.log_sum[rows]
        return np.log(r + s + x) + log_int


def _nodes(
    r: float, alpha: float, s: float, beta: float, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> _Nodes:
    """:class:`_Nodes` of the rows with t_x < T, with the expectations: what one
    likelihood-and-gradient evaluation needs."""
    live = t_x < T
    return _integrate(r, alpha, s, beta, x[live], t_x[live], T[live], live, expectations=True)


def _integrate(
    r: float,
    alpha: float,
    s: float,
    beta: float,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    live: np.ndarray,
    *,
    expectations: bool,
) -> _Nodes:
    """:class:`_Nodes` of the rows given (``live`` says where they are among all rows),
    :data:`_CHUNK_ROWS` rows at a time in reused buffers (:class:`_Quadrature`): each chunk's
    (rows × 64) arrays stay in the processor's cache, and no large array is allocated and freed
    per operation. Every value is computed within its own row by the same operations, so the
    chunks change no bit."""
    rx = r + x
    m = np.maximum(rx - 1.0, 0.5)
    l0 = np.log(alpha + t_x)
    delta = np.log(alpha + T) - l0
    w_t = np.exp(-m * delta)
    log_sum = np.empty(len(x))
    means = np.empty((len(x), 4)) if expectations else None
    quadrature = _Quadrature(min(len(x), _CHUNK_ROWS))
    for lo in range(0, len(x), _CHUNK_ROWS):
        rows = slice(lo, lo + _CHUNK_ROWS)
        log_sum[rows], chunk = quadrature.rows(
            alpha, s, beta, rx[rows], m[rows], l0[rows], w_t[rows], expectations
        )
        if means is not None:
            means[rows] = chunk
    return _Nodes(live, m, l0, delta, log_sum, means)


#: Rows of :func:`_nodes` computed together: 2,048 rows × 64 nodes × 8 bytes = 1 MB a buffer.
#: On the bench shop's 47,362 distinct rows, an evaluation 111–118 → 56–62 ms.
_CHUNK_ROWS = 2048
_GL_HALF_SPAN = _GL_NODES + 1.0
_LOG_GL_WEIGHTS = np.log(_GL_WEIGHTS)


class _Quadrature:
    """Five (rows × 64) buffers and the quadrature of some rows computed in them: the
    substitution of :func:`_log_a0_quadrature`'s integral, its log-sum-exp and the gradient's
    expectations (:func:`_a0_expectations`), each operation written into the buffers
    (``out=``) instead of a new array."""

    def __init__(self, rows: int) -> None:
        self.buffers = np.empty((5, max(rows, 1), len(_GL_NODES)))

    def rows(
        self,
        alpha: float,
        s: float,
        beta: float,
        rx: FloatArray,
        m: FloatArray,
        l0: FloatArray,
        w_t: FloatArray,
        expectations: bool,
    ) -> tuple[FloatArray, FloatArray | None]:
        """(log of the weighted sum of the integrand, the four expectations or None) of the
        rows."""
        n = len(rx)
        y, log_a, terms, share, tmp = (b[:n] for b in self.buffers)
        m_col, l0_col, w_col = m[:, None], l0[:, None], w_t[:, None]
        # nodes = w_t + (1 - w_t) * (x_gl + 1) / 2, then y = exp(l0 - log(nodes) / m) - alpha
        np.multiply(1.0 - w_col, _GL_HALF_SPAN[None, :], out=y)
        np.divide(y, 2.0, out=y)
        np.add(w_col, y, out=y)
        np.log(y, out=y)
        np.divide(y, m_col, out=y)
        np.subtract(l0_col, y, out=y)
        np.exp(y, out=y)
        np.subtract(y, alpha, out=y)
        np.add(alpha, y, out=log_a)
        np.log(log_a, out=log_a)
        log_b = y  # y is not needed after log(beta + y)
        np.add(beta, y, out=log_b)
        np.log(log_b, out=log_b)
        # terms = log w - (s + 1) log_b + (m + 1 - rx) log_a
        np.multiply(s + 1.0, log_b, out=terms)
        np.subtract(_LOG_GL_WEIGHTS[None, :], terms, out=terms)
        np.multiply((m + 1.0 - rx)[:, None], log_a, out=tmp)
        np.add(terms, tmp, out=terms)
        log_sum = logsumexp_rows(terms, tmp)
        if not expectations:
            return log_sum, None
        np.subtract(terms, log_sum[:, None], out=share)
        np.exp(share, out=share)
        out = np.empty((n, 4))
        np.multiply(share, log_a, out=tmp)
        out[:, 0] = tmp.sum(axis=1)
        np.negative(log_a, out=tmp)
        np.exp(tmp, out=tmp)
        np.multiply(share, tmp, out=tmp)
        out[:, 1] = tmp.sum(axis=1)
        np.multiply(share, log_b, out=tmp)
        out[:, 2] = tmp.sum(axis=1)
        np.negative(log_b, out=tmp)
        np.exp(tmp, out=tmp)
        np.multiply(share, tmp, out=tmp)
        out[:, 3] = tmp.sum(axis=1)
        return log_sum, out


def _a0_expectations(
    r: float,
    alpha: float,
    s: float,
    beta: float,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    nodes: _Nodes | None = None,
) -> FloatArray:
    """Rows x 4: E[ln(alpha+y)], E[1/(alpha+y)], E[ln(beta+y)], E[1/(beta+y)] under the
    density proportional to (alpha+y)^-(r+x) (beta+y)^-(s+1) on [t_x, T] — the integrand of
    A0 (:func:`_log_a0_quadrature`). Differentiating under the integral,
    d ln(A0)/dr = 1/(r+s+x) - E[ln(alpha+y)], d ln(A0)/d alpha = -(r+x) E[1/(alpha+y)],
    d ln(A0)/ds = 1/(r+s+x) - E[ln(beta+y)], d ln(A0)/d beta = -(s+1) E[1/(beta+y)].
    The expectations use the nodes of the same 64-node quadrature, each weighted by its share
    of the integral (:func:`_nodes`); rows with t_x = T (no integral) get zeros."""
    out = np.zeros((len(x), 4))
    if nodes is None:
        nodes = _nodes(r, alpha, s, beta, x, t_x, T)
    if nodes.expectations is not None and np.any(nodes.live):
        out[nodes.live] = nodes.expectations
    return out


def _log_likelihood_and_gradient(
    params: tuple[float, float, float, float], x: FloatArray, t_x: FloatArray, T: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Per row: the log-likelihood (:func:`_conditional_log_likelihood`) and its gradient in
    (r, alpha, s, beta), rows x 4. With a1 = lnG(r+x) - lnG(r) + r ln(alpha) + s ln(beta),
    P = -(r+x) ln(alpha+T) - s ln(beta+T) and Q = ln(s) + ln(A0) - ln(r+s+x), the
    log-likelihood is a1 + logaddexp(P, Q), so its gradient is grad a1 + wP grad P + wQ grad Q
    with wP = exp(P - logaddexp(P, Q)) and wQ likewise; grad ln(A0) comes from
    :func:`_a0_expectations` (digamma for the Gamma terms)."""
    from scipy.special import digamma

    r, alpha, s, beta = params
    with np.errstate(all="ignore"):
        a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        # the quadrature of A0 once: for the rows integrated numerically and for the gradient
        nodes = _nodes(r, alpha, s, beta, x, t_x, T)
        la0 = _log_a0(r, alpha, s, beta, x, t_x, T, nodes)
        p_term = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        q_term = np.log(s) + la0 - np.log(r + s + x)
        a2 = np.logaddexp(p_term, q_term)
        w_p = np.exp(p_term - a2)
        w_q = np.where(np.isfinite(q_term), np.exp(q_term - a2), 0.0)
        e = _a0_expectations(r, alpha, s, beta, x, t_x, T, nodes)
        grad = np.empty((len(x), 4))
        # Q = log s + log ∫…: ∂Q/∂r = -E[log(α+y)], ∂Q/∂α = -(r+x) E[1/(α+y)],
        # ∂Q/∂s = 1/s - E[log(β+y)], ∂Q/∂β = -(s+1) E[1/(β+y)]
        grad[:, 0] = (
            digamma(r + x) - digamma(r) + np.log(alpha) + w_p * -np.log(alpha + T) + w_q * -e[:, 0]
        )
        grad[:, 1] = r / alpha + w_p * (-(r + x) / (alpha + T)) + w_q * (-(r + x) * e[:, 1])
        grad[:, 2] = np.log(beta) + w_p * -np.log(beta + T) + w_q * (1.0 / s - e[:, 2])
        grad[:, 3] = s / beta + w_p * (-s / (beta + T)) + w_q * (-(s + 1.0) * e[:, 3])
    return a1 + a2, grad


def _conditional_log_likelihood(
    params: tuple[float, float, float, float], x: FloatArray, t_x: FloatArray, T: FloatArray
) -> FloatArray:
    r, alpha, s, beta = params
    with np.errstate(all="ignore"):
        a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        la0 = _log_a0(r, alpha, s, beta, x, t_x, T)
        a2 = np.logaddexp(
            -(r + x) * np.log(alpha + T) - s * np.log(beta + T),
            np.log(s) + la0 - np.log(r + s + x),
        )
    return a1 + a2


class ParetoNBDFitter(BaseFitter):
    r"""Pareto/NBD model (Schmittlein, Morrison & Colombo 1987), fitted by maximum likelihood.

    Parameters ``r, alpha`` (purchase-rate heterogeneity) and ``s, beta`` (drop-out-rate
    heterogeneity); ``alpha`` and ``beta`` are in the time unit of the data. The likelihood is in
    the module docstring. ``fit(frequency, recency, T, weights=None)`` as for BG/NBD.
    """

    model_name: ClassVar[str] = "paretonbd"
    param_names: ClassVar[tuple[str, ...]] = ("r", "alpha", "s", "beta")
    _has_gradient: ClassVar[bool] = True
    kind: ClassVar[str] = "purchase"
    aliases: ClassVar[tuple[str, ...]] = ("pareto/nbd", "pareto")
    description: ClassVar[str] = (
        "Pareto/NBD (Schmittlein, Morrison & Colombo 1987): Poisson purchases, exponential "
        "lifetimes."
    )
    needs: ClassVar[str] = "orders: customer_id, ordered_at (frequency, recency, T per customer)"

    def _runaway(self, theta: FloatArray, standard_errors: Any) -> dict[str, str]:
        """As the base rule, and s above e^7 (≈ 1100) counts as run off to infinity: the gamma
        distribution of the drop-out rate has collapsed onto s/beta (coefficient of variation
        below 3 %), so the fit is its limit and predicts with its formulas."""
        out = super()._runaway(theta, standard_errors)
        if theta[2] > SOFT_LOG_PARAM_LIMIT:
            out["s"] = "infinity"
            if theta[3] > 0:
                out.setdefault("beta", "infinity")
        return out

    def _in_limit_region(self, theta: FloatArray) -> bool:
        """s beyond e^7 with r and alpha inside (-7, 7) on the log scale: the region
        :meth:`_runaway` returns as the exponential limit. Each likelihood call there integrates
        every customer's A_0, so a search that stalls there stops."""
        return bool(
            theta[2] > SOFT_LOG_PARAM_LIMIT and np.all(np.abs(theta[:2]) <= SOFT_LOG_PARAM_LIMIT)
        )

    def _limit(self, runaway: Any) -> tuple[dict[str, float], str] | None:
        """s → ∞ (with β, s/β finite): the exponential drop-out limit
        (:mod:`retentionkit.clv.models.limits`)."""
        if (
            runaway.get("s") == "infinity"
            and set(runaway) <= {"s", "beta"}
            and all(v == "infinity" for v in runaway.values())
        ):
            mu = self.params_["s"] / self.params_["beta"]
            return (
                {"r": self.params_["r"], "alpha": self.params_["alpha"], "mu": mu},
                f"the same drop-out rate mu = {mu:.4g} per time unit for everyone "
                f"(exponential lifetimes)",
            )
        return None

    def _exponential(self) -> tuple[float, float, float] | None:
        """(r, alpha, mu) when this is a boundary fit predicting with the exponential limit."""
        if self.limit_ is not None and "mu" in self.limit_:
            return self.limit_["r"], self.limit_["alpha"], self.limit_["mu"]
        return None

    def fit(
        self,
        frequency: ArrayLike,
        recency: ArrayLike,
        T: ArrayLike,
        weights: ArrayLike | None = None,
    ) -> ParetoNBDFitter:
        """Fit on per-customer repeat frequency, recency and age ``T``; returns ``self``."""
        x, t_x, t = check_rfm(frequency, recency, T)
        w = check_weights(weights, len(x))
        if not (w[x > 0] > 0).any():
            raise ModelFitError(
                "ParetoNBDFitter cannot be fitted: no customer made a repeat purchase (every "
                "frequency is 0). Use a longer observation window or more data."
            )
        self._optimise(prepare_rfm(x, t_x, t, w), "(e.g. weeks instead of days)")
        return self

    def _initial_log_params(self, data: FitData) -> FloatArray:
        w = data["weights"]
        mean_T = float(np.sum(w * data["T"]) / w.sum())
        mean_x = float(np.sum(w * data["x"]) / w.sum())
        scale = max(mean_T / max(mean_x, 0.1), 1e-3)
        return np.log(np.array([1.0, scale, 1.0, scale]))

    def _nll(
        self, params: FloatArray, data: FitData, grad: bool
    ) -> tuple[float, FloatArray | None]:
        r, alpha, s, beta = (float(v) for v in params)
        if grad:
            ll, g = _log_likelihood_and_gradient(
                (r, alpha, s, beta), data["x"], data["t_x"], data["T"]
            )
            return -float(wdot(data["weights"], ll)), -(data["weights"] @ g)
        ll = _conditional_log_likelihood((r, alpha, s, beta), data["x"], data["t_x"], data["T"])
        return -float(wdot(data["weights"], ll)), None

    # -- predictions --------------------------------------------------------------------------

    def conditional_probability_alive(
        self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> Any:
        r"""P(alive at T | x, t_x, T) (Fader & Hardie 2005 note, eq. 24).

        .. math::

            P(\text{alive}) = \left[1 + \frac{s}{r + s + x}(\alpha + T)^{r + x}(\beta + T)^s A_0
                \right]^{-1}
        """
        r, alpha, s, beta = self._p()
        idx = index_of(frequency, recency, T)
        x, t_x, age = check_rfm(frequency, recency, T)
        if (lim := self._exponential()) is not None:
            return keyed(limits.exponential_p_alive(*lim, x, t_x, age), idx, "p_alive")
        with np.errstate(all="ignore"):
            la0 = _log_a0(r, alpha, s, beta, x, t_x, age)
            out = 1.0 / (
                1.0
                + np.exp(
                    np.log(s)
                    - np.log(r + s + x)
                    + (r + x) * np.log(alpha + age)
                    + s * np.log(beta + age)
                    + la0
                )
            )
        return keyed(out, idx, "p_alive")

    def conditional_expected_number_of_purchases_up_to_time(
        self, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> Any:
        r"""Expected purchases in :math:`(T, T + t]` given the history (F&H 2005 note, eq. 27).

        .. math::

            E[Y(t) \mid x, t_x, T] = \frac{(r + x)(\beta + T)}{(\alpha + T)(s - 1)}
              \left[1 - \left(\frac{\beta + T}{\beta + T + t}\right)^{s - 1}\right]
              P(\text{alive} \mid x, t_x, T)

        (for :math:`s = 1` the bracket over :math:`s - 1` is its limit
        :math:`\log\frac{\beta + T + t}{\beta + T}`).
        """
        r, alpha, s, beta = self._p()
        idx = index_of(frequency, recency, T, t)
        x, t_x, age = check_rfm(frequency, recency, T)
        tt = check_time("t", t)
        if (lim := self._exponential()) is not None:
            out = limits.exponential_expected(tt, *lim, x, t_x, age)
            return keyed(np.asarray(out, dtype=np.float64), idx, "expected_purchases")
        with np.errstate(all="ignore"):
            loglik = _conditional_log_likelihood((r, alpha, s, beta), x, t_x, age)
            first = (
                gammaln(r + x)
                - gammaln(r)
                + r * np.log(alpha)
                + s * np.log(beta)
                - (r + x) * np.log(alpha + age)
                - s * np.log(beta + age)
            )
            second = np.log(r + x) + np.log(beta + age) - np.log(alpha + age)
            lq = np.log((beta + age) / (beta + age + tt))
            third = np.log(-lq) if s == 1.0 else np.log(-np.expm1((s - 1) * lq) / (s - 1))
            out = np.exp(first + second + third - loglik)
        return keyed(np.asarray(out, dtype=np.float64), idx, "expected_purchases")

    def expected_number_of_purchases_up_to_time(self, t: ArrayLike) -> Any:
        r"""Expected purchases in :math:`(0, t]` of a new customer (F&H 2005 note, eq. 17).

        .. math::

            E[X(t)] = \frac{r\beta}{\alpha(s - 1)}\left[1 - \left(\frac{\beta}{\beta + t}
                \right)^{s - 1}\right]
        """
        r, alpha, s, beta = self._p()
        idx = index_of(t)
        tt = check_time("t", t)
        if (lim := self._exponential()) is not None:
            out = limits.exponential_new_customer_expected(tt, *lim)
            return keyed(np.asarray(out, dtype=np.float64), idx, "expected_purchases")
        with np.errstate(all="ignore"):
            lq = np.log(beta / (beta + tt))
            bracket = -lq if s == 1.0 else -np.expm1((s - 1) * lq) / (s - 1)
            out = r * beta / alpha * bracket
        return keyed(np.asarray(out, dtype=np.float64), idx, "expected_purchases")

    def conditional_probability_of_n_purchases_up_to_time(
        self, n: int, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> Any:
        r"""P(exactly ``n`` purchases in :math:`(T, T + t]` | history).

        Fader, Hardie & Lee (2006), "Deriving an Expression for P(X(t) = x) Under the Pareto/NBD
        Model", http://brucehardie.com/notes/012/, eq. (34) conditioned as in lifetimes: the
        terms :math:`B_1`, :math:`B_2` and the finite sum :math:`B_3` over :math:`i = 0..n`
        involve :math:`{}_2F_1` and are combined in log space.
        """
        r, alpha, s, beta = self._p()
        n_int = _check_n(n)
        idx = index_of(frequency, recency, T)
        x, t_x, age = check_rfm(frequency, recency, T)
        tt = check_time("t", t)
        out = self._cond_p_n(n_int, tt, x, t_x, age, (r, alpha, s, beta))
        return keyed(out, idx, f"p_{n_int}_purchases")

    def probability_of_n_purchases_up_to_time(self, t: ArrayLike, n: ArrayLike) -> Any:
        r"""P(a new customer makes exactly ``n`` purchases in :math:`(0, t]`).

        Fader, Hardie & Lee (2006) note 012, eq. (34): the conditional expression above at
        :math:`x = t_x = T = 0`. ``t`` and ``n`` broadcast against each other.
        """
        p = self._p()
        tt, nn = _t_and_n(t, n)
        out = np.empty_like(tt)
        zero = np.zeros(1)
        for k, (ti, ni) in enumerate(zip(tt, nn, strict=True)):
            out[k] = self._cond_p_n(int(ni), np.array([ti]), zero, zero, zero, p)[0]
        return out

    @staticmethod
    def _cond_p_n(
        n: int,
        t: FloatArray,
        x: FloatArray,
        t_x: FloatArray,
        T: FloatArray,
        params: tuple[float, ...],
    ) -> FloatArray:
        r, alpha, s, beta = params
        if alpha < beta:
            low, high, p = alpha, beta, r + x + n
        else:
            low, high, p = beta, alpha, s + 1.0 + np.zeros_like(x)
        diff = high - low
        t = np.broadcast_to(t, np.broadcast_shapes(t.shape, x.shape)).astype(np.float64)
        pos = t > 0
        ts = np.where(pos, t, 1.0)
        with np.errstate(all="ignore"):
            log_l = _conditional_log_likelihood((r, alpha, s, beta), x, t_x, T)
            common = r * np.log(alpha) + s * np.log(beta)
            log_p_zero = (
                gammaln(r + x)
                + common
                - (gammaln(r) + (r + x) * np.log(alpha + T) + s * np.log(beta + T) + log_l)
            )
            log_b_one = (
                gammaln(r + x + n)
                + common
                - (gammaln(r) + (r + x + n) * np.log(alpha + T + ts) + s * np.log(beta + T + ts))
            )
            log_b_two = (
                common
                + gammaln(r + s + x)
                + betaln(r + x + n, s + 1)
                + log_hyp2f1(r + s + x, p, r + s + x + n + 1, diff / (high + T))
                - (gammaln(r) + gammaln(s) + (r + s + x) * np.log(high + T))
            )
            threes = [
                i * np.log(ts)
                - gammaln(i + 1)
                + common
                + gammaln(r + s + x + i)
                + betaln(r + x + n, s + 1)
                + log_hyp2f1(r + s + x + i, p, r + s + x + n + 1, diff / (high + T + ts))
                - (gammaln(r) + gammaln(s) + (r + s + x + i) * np.log(high + T + ts))
                - log_l
                for i in range(n + 1)
            ]
            third = logsumexp(np.vstack(threes), axis=0)
            zeroth = (1.0 - np.exp(log_p_zero)) if n == 0 else 0.0
            first = n * np.log(ts) - gammaln(n + 1) + log_b_one - log_l
            second = log_b_two - log_l
            total = zeroth + np.exp(first) + np.exp(second) - np.exp(third)
        at_zero = 1.0 if n == 0 else 0.0
        return np.where(pos, np.clip(total, 0.0, 1.0), at_zero)


def _check_n(n: Any) -> int:
    try:
        value = float(n)
    except (TypeError, ValueError):
        raise InputError(f"`n` must be a whole number >= 0; got {n}.") from None
    if value < 0 or value != int(value):
        raise InputError(f"`n` must be a whole number >= 0; got {n}.")
    return int(value)
