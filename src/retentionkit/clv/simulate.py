"""Simulate customer histories from the CLV models, for parameter-recovery tests and benchmarks.

Every simulator is vectorised (a million customers take well under a second) and returns a
DataFrame in the layout the matching ``fit`` takes. ``T`` may be a scalar (everyone observed for
the same time) or one value per customer. ``seed`` makes the draw reproducible.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from retentionkit.errors import InputError

__all__ = [
    "simulate_bgbb",
    "simulate_bgnbd",
    "simulate_gamma_gamma",
    "simulate_mbgnbd",
    "simulate_paretonbd",
    "simulate_sbg",
]


def _ages(n: int, T: ArrayLike) -> np.ndarray:
    ages = np.broadcast_to(np.asarray(T, dtype=np.float64), (n,)).copy()
    if (ages <= 0).any() or not np.isfinite(ages).all():
        raise InputError("`T` must be positive and finite for every simulated customer.")
    return ages


def _positive(**values: float) -> None:
    for name, v in values.items():
        if not (np.isfinite(v) and v > 0):
            raise InputError(f"`{name}` must be a positive number; got {v!r}.")


def _last_purchase(
    rng: np.random.Generator, x: np.ndarray, n_events: np.ndarray, window: np.ndarray
) -> np.ndarray:
    """Time of the x-th of ``n_events`` uniform event times on [0, window] (0 when x == 0)."""
    t_x = np.zeros_like(window)
    pos = x > 0
    t_x[pos] = window[pos] * rng.beta(x[pos], n_events[pos] - x[pos] + 1)
    return t_x


def _grid(values: np.ndarray, resolution: float | None) -> np.ndarray:
    if resolution is None:
        return values
    return np.floor(values / resolution) * resolution


def _bg_family(
    n: int,
    r: float,
    alpha: float,
    a: float,
    b: float,
    T: ArrayLike,
    seed: int | None,
    resolution: float | None,
    modified: bool,
) -> pd.DataFrame:
    _positive(r=r, alpha=alpha, a=a, b=b)
    rng = np.random.default_rng(seed)
    ages = _grid(_ages(n, T), resolution)
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    events = rng.poisson(lam * ages)
    # number of repeat purchases made before dropping out (dropout after the K-th one)
    k = rng.geometric(p)
    x = np.minimum(events, k)
    if modified:  # MBG/NBD: the drop-out coin is also tossed right after the first purchase
        x = np.where(rng.random(n) < p, 0, x)
        events = np.where(x == 0, 0, events)
    t_x = _grid(_last_purchase(rng, x, events, ages), resolution)
    return pd.DataFrame({"frequency": x.astype(np.int64), "recency": t_x, "T": ages})


def simulate_bgnbd(
    n_customers: int,
    r: float,
    alpha: float,
    a: float,
    b: float,
    T: ArrayLike,
    seed: int | None = None,
    resolution: float | None = None,
) -> pd.DataFrame:
    """BG/NBD histories: columns ``frequency``, ``recency``, ``T``.

    Repeat purchases arrive as Poisson(lambda), lambda ~ Gamma(r, alpha); after each one the
    customer drops out with probability p ~ Beta(a, b). Given N purchase events in [0, T] and
    x = min(N, K) observed (K geometric), the x-th event time is T * Beta(x, N - x + 1).
    ``resolution`` (e.g. 1/7 for days when the unit is weeks) floors times to a grid, as real
    RFM data from dated transactions are.
    """
    return _bg_family(n_customers, r, alpha, a, b, T, seed, resolution, modified=False)


def simulate_mbgnbd(
    n_customers: int,
    r: float,
    alpha: float,
    a: float,
    b: float,
    T: ArrayLike,
    seed: int | None = None,
    resolution: float | None = None,
) -> pd.DataFrame:
    """MBG/NBD histories (BG/NBD plus a drop-out chance right after the first purchase)."""
    return _bg_family(n_customers, r, alpha, a, b, T, seed, resolution, modified=True)


def simulate_paretonbd(
    n_customers: int,
    r: float,
    alpha: float,
    s: float,
    beta: float,
    T: ArrayLike,
    seed: int | None = None,
    resolution: float | None = None,
) -> pd.DataFrame:
    """Pareto/NBD histories: Poisson(lambda) purchases during an Exp(mu) lifetime.

    lambda ~ Gamma(r, alpha), mu ~ Gamma(s, beta); purchases are counted in [0, min(tau, T)].
    """
    _positive(r=r, alpha=alpha, s=s, beta=beta)
    rng = np.random.default_rng(seed)
    ages = _grid(_ages(n_customers, T), resolution)
    lam = rng.gamma(r, 1.0 / alpha, n_customers)
    mu = rng.gamma(s, 1.0 / beta, n_customers)
    window = np.minimum(rng.exponential(1.0 / mu), ages)
    x = rng.poisson(lam * window)
    t_x = _grid(_last_purchase(rng, x, x, window), resolution)
    return pd.DataFrame({"frequency": x.astype(np.int64), "recency": t_x, "T": ages})


def simulate_gamma_gamma(
    frequency: ArrayLike, p: float, q: float, gamma: float, seed: int | None = None
) -> np.ndarray:
    """Mean spend of each customer's ``frequency`` repeat purchases under the Gamma-Gamma model.

    nu ~ Gamma(q, gamma) per customer, each purchase ~ Gamma(p, nu); the mean of x purchases is
    Gamma(p x, nu) / x. Customers with frequency 0 get 0.
    """
    _positive(p=p, q=q, gamma=gamma)
    rng = np.random.default_rng(seed)
    x = np.asarray(frequency, dtype=np.float64)
    nu = rng.gamma(q, 1.0 / gamma, len(x))
    out = np.zeros_like(x)
    pos = x > 0
    out[pos] = rng.gamma(p * x[pos], 1.0 / nu[pos]) / x[pos]
    return out


def simulate_sbg(
    n_customers: int, alpha: float, beta: float, T: ArrayLike, seed: int | None = None
) -> pd.DataFrame:
    """sBG contract histories: columns ``recency`` (period of cancellation, or T) and ``T``.

    theta ~ Beta(alpha, beta) per customer; the cancellation period is Geometric(theta) on
    1, 2, …; a customer who has not cancelled before period T gets recency = T (still active).
    """
    _positive(alpha=alpha, beta=beta)
    rng = np.random.default_rng(seed)
    ages = np.floor(_ages(n_customers, T))
    theta = rng.beta(alpha, beta, n_customers)
    churn = rng.geometric(theta).astype(np.float64)
    recency = np.minimum(churn, ages)
    return pd.DataFrame({"recency": recency.astype(np.int64), "T": ages.astype(np.int64)})


def simulate_bgbb(
    n_customers: int,
    alpha: float,
    beta: float,
    gamma: float,
    delta: float,
    n_periods: int,
    seed: int | None = None,
) -> pd.DataFrame:
    """BG/BB histories over ``n_periods`` opportunities: ``frequency``, ``recency``, ``n_periods``.

    p ~ Beta(alpha, beta), theta ~ Beta(gamma, delta); at the start of each opportunity an alive
    customer dies with probability theta, and if still alive transacts with probability p.
    """
    _positive(alpha=alpha, beta=beta, gamma=gamma, delta=delta)
    if int(n_periods) < 1:
        raise InputError(f"`n_periods` must be >= 1; got {n_periods!r}.")
    rng = np.random.default_rng(seed)
    n = int(n_periods)
    p = rng.beta(alpha, beta, n_customers)
    theta = rng.beta(gamma, delta, n_customers)
    death = rng.geometric(theta)  # first opportunity at which the customer is dead
    periods = np.arange(1, n + 1)[None, :]
    alive = periods < death[:, None]
    buys = alive & (rng.random((n_customers, n)) < p[:, None])
    x = buys.sum(axis=1)
    last = np.where(buys, periods, 0).max(axis=1)
    return pd.DataFrame(
        {"frequency": x.astype(np.int64), "recency": last.astype(np.int64), "n_periods": n}
    )
