r"""Limit models: what BG/NBD, MBG/NBD and Pareto/NBD predict when their drop-out heterogeneity
runs off to infinity (a *boundary* fit, :data:`~retentionkit.clv.models.base.STATUSES`).

**Geometric drop-out** (BG/NBD and MBG/NBD with :math:`a, b \to \infty`, :math:`a/(a+b) \to p`):
every customer drops out with the same probability :math:`p` after each purchase (MBG/NBD: also
at time 0), the purchase rate is still :math:`\mathrm{Gamma}(r, \alpha)`. The formulas are the
limits of Fader, Hardie & Lee (2005) eqs. (9)-(11) (Batislam, Denizel & Filiztekin 2007 eqs.
A.5-A.7 for MBG/NBD), using :math:`B(a, b+x)/B(a, b) \to (1-p)^x`, :math:`a/(b+x-1) \to
p/(1-p)`, :math:`(a+b+x-1)/(a-1) \to 1/p` and, term by term,
:math:`{}_2F_1(r+x, b+x; a+b+x-1; z) \to (1 - (1-p)z)^{-(r+x)}`:

.. math::

    P(\text{alive}) = \Bigl[1 + \delta\,\tfrac{p}{1-p}
        \bigl(\tfrac{\alpha+T}{\alpha+t_x}\bigr)^{r+x}\Bigr]^{-1},\qquad
    E[Y(t)\mid x, t_x, T] = \frac{1}{p}\Bigl[1 - \bigl(\tfrac{\alpha+T}{\alpha+T+pt}\bigr)^{r+x}
        \Bigr]\,P(\text{alive}),

with :math:`\delta = [x > 0]` (BG/NBD) or 1 (MBG/NBD), and for a new customer
:math:`E[X(t)] = \frac{c}{p}[1 - (\alpha/(\alpha + pt))^r]`, :math:`c = 1` (BG/NBD) or
:math:`1 - p` (MBG/NBD).

**Exponential drop-out** (Pareto/NBD with :math:`s, \beta \to \infty`, :math:`s/\beta \to \mu`):
every customer's lifetime is exponential with the same rate :math:`\mu`. Limits of Fader &
Hardie (2005, "A Note on Deriving the Pareto/NBD Model and Related Expressions",
http://brucehardie.com/notes/009/) eqs. (17), (22) and (24)-(27): with the integral form of
:math:`A_0` (see :mod:`retentionkit.clv.models.paretonbd`),
:math:`s(\beta+T)^s(\beta+y)^{-(s+1)} \to \mu e^{\mu(T-y)}`,
:math:`(\beta+T)/(s-1) \to 1/\mu` and :math:`((\beta+T)/(\beta+T+t))^{s-1} \to e^{-\mu t}`:

.. math::

    P(\text{alive}) = \Bigl[1 + \mu\int_{t_x}^{T}
        \bigl(\tfrac{\alpha+T}{\alpha+y}\bigr)^{r+x} e^{\mu(T-y)}\,dy\Bigr]^{-1},\qquad
    E[Y(t)\mid x, t_x, T] = \frac{r+x}{\alpha+T}\,\frac{1-e^{-\mu t}}{\mu}\,P(\text{alive}),

and :math:`E[X(t)] = \frac{r}{\alpha}\frac{1 - e^{-\mu t}}{\mu}`. The integral is evaluated by
128-point Gauss-Legendre quadrature in log space (the integrand is smooth and monotone).
"""

from __future__ import annotations

import numpy as np

from retentionkit.clv.models.base import FloatArray, logsumexp_rows

__all__ = [
    "exponential_expected",
    "exponential_new_customer_expected",
    "exponential_p_alive",
    "geometric_expected",
    "geometric_new_customer_expected",
    "geometric_p_alive",
]

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(128)
#: Customers per block of the quadrature (8 MB per array of 128 nodes).
_BLOCK = 8192


def geometric_p_alive(
    r: float,
    alpha: float,
    p: float,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    drop_at_start: bool = False,
) -> FloatArray:
    """P(alive) of the geometric drop-out limit (module docstring; ``drop_at_start`` for
    MBG/NBD, whose customers may also drop out before any repeat purchase)."""
    with np.errstate(all="ignore"):
        log_odds = np.log(p) - np.log1p(-p) + (r + x) * np.log((alpha + T) / (alpha + t_x))
        out = 1.0 / (1.0 + np.exp(log_odds))
    if drop_at_start:
        return np.asarray(out, dtype=np.float64)
    return np.where(x > 0, out, 1.0)


def geometric_expected(
    t: FloatArray,
    r: float,
    alpha: float,
    p: float,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    drop_at_start: bool = False,
) -> FloatArray:
    """E[Y(t) | x, t_x, T] of the geometric drop-out limit (module docstring)."""
    alive = geometric_p_alive(r, alpha, p, x, t_x, T, drop_at_start)
    with np.errstate(all="ignore"):
        bracket = -np.expm1((r + x) * np.log((alpha + T) / (alpha + T + p * t)))
    return np.maximum(bracket / p * alive, 0.0)


def geometric_new_customer_expected(
    t: FloatArray, r: float, alpha: float, p: float, drop_at_start: bool = False
) -> FloatArray:
    """E[X(t)] of a new customer under the geometric drop-out limit (module docstring)."""
    scale = (1.0 - p) if drop_at_start else 1.0
    with np.errstate(all="ignore"):
        return scale / p * -np.expm1(r * np.log(alpha / (alpha + p * t)))


def exponential_p_alive(
    r: float, alpha: float, mu: float, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> FloatArray:
    """P(alive) of the exponential drop-out limit, by quadrature (module docstring), in blocks
    of :data:`_BLOCK` customers (a million customers × 128 nodes is 1 GB per array)."""
    x, t_x, T = (np.asarray(v, dtype=np.float64) for v in (x, t_x, T))
    out = np.empty(len(x), dtype=np.float64)
    for start in range(0, len(x), _BLOCK):
        part = slice(start, start + _BLOCK)
        out[part] = _exponential_p_alive_block(r, alpha, mu, x[part], t_x[part], T[part])
    return out


def _exponential_p_alive_block(
    r: float, alpha: float, mu: float, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> FloatArray:
    span = T - t_x
    y = t_x[:, None] + span[:, None] * (_NODES[None, :] + 1.0) / 2.0
    with np.errstate(all="ignore"):
        log_f = (r + x)[:, None] * (np.log(alpha + T)[:, None] - np.log(alpha + y)) + mu * (
            T[:, None] - y
        )
        log_int = (
            np.log(span / 2.0) + logsumexp_rows(np.log(_WEIGHTS)[None, :] + log_f) + np.log(mu)
        )
        out = np.where(span > 0, 1.0 / (1.0 + np.exp(log_int)), 1.0)
    return np.asarray(out, dtype=np.float64)


def exponential_expected(
    t: FloatArray,
    r: float,
    alpha: float,
    mu: float,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
) -> FloatArray:
    """E[Y(t) | x, t_x, T] of the exponential drop-out limit (module docstring)."""
    alive = exponential_p_alive(r, alpha, mu, x, t_x, T)
    return (r + x) / (alpha + T) * (-np.expm1(-mu * t) / mu) * alive


def exponential_new_customer_expected(
    t: FloatArray, r: float, alpha: float, mu: float
) -> FloatArray:
    """E[X(t)] of a new customer under the exponential drop-out limit (module docstring)."""
    return r / alpha * (-np.expm1(-mu * t) / mu)
