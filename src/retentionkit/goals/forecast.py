"""``p_hit``: the probability that a metric reaches its target in the due period, from
simulated future paths of the metric.

Method (chosen from the history's length, and named in every result):

* ``ets`` — with at least two years of complete periods (24 months, 8 quarters), an
  exponential-smoothing state-space model with additive errors, a damped additive trend and
  additive seasonality (``statsmodels.tsa.exponential_smoothing.ets.ETSModel``; Hyndman et al.,
  *Forecasting with Exponential Smoothing: the State Space Approach*, 2008, model ETS(A,Ad,A)),
  fitted by maximum likelihood and simulated forward from the last observation
  (``simulate(anchor="end")``), so the paths carry both the noise and the seasonality.
* ``bootstrap`` — otherwise (or when the model cannot be fitted), a bootstrap of
  period-over-period changes: the value ``k`` periods ahead is the last value plus a ``k``-period
  change drawn from the history's own ``k``-period changes (y[t+k] − y[t]) when it holds at
  least :data:`MIN_PAIRS` of them — which keeps a mean-reverting rate from drifting away — and
  otherwise plus the sum of ``k`` one-period changes drawn with replacement. Both carry the
  drift's own uncertainty: a direct ``k``-period change gets Gaussian noise with the standard
  error of the mean of those changes (standard deviation / √(pairs / k), the pairs overlap);
  a sum of one-period changes gets ``k`` times a per-path drift error, a bootstrap replicate
  of the mean one-period change minus the mean (Efron & Tibshirani 1993, ch. 6).
* ``none`` — fewer than :data:`MIN_HISTORY` periods, or a due period more than
  :data:`MAX_HORIZON` periods ahead: no forecast, ``p_hit`` is None.

Simulated values are clipped to the metric's range (rates 0–100, NPS −100…100, counts and money
≥ 0). ``p_hit`` = share of simulated values at the due period that reach the target (≥ for
goals going up, ≤ for goals going down). Random draws use ``numpy.random.default_rng(seed)``:
the same history, target and seed give the same ``p_hit``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from retentionkit.metrics.periods import PERIODS_PER_YEAR

__all__ = [
    "FAN_QUANTILES",
    "Forecast",
    "forecast",
    "hit_probability",
    "simulate",
    "unit_bounds",
]

#: Simulated paths per forecast.
N_PATHS = 2000
#: Fewest complete periods for any forecast (two changes to bootstrap).
MIN_HISTORY = 3
#: Fewest k-period changes to draw them directly (else sums of one-period changes).
MIN_PAIRS = 6
#: Longest forecast, in periods (ten years of months); beyond it p_hit is None.
MAX_HORIZON = 120
#: Quantiles of the fan chart (per future period).
FAN_QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)


@dataclass(frozen=True)
class Forecast:
    """Simulated outlook of a metric: the method used, ``p_hit`` and the fan (one row of
    quantiles per future period, the last being the due period)."""

    method: str
    p_hit: float | None
    fan: list[list[float]] = field(default_factory=list)


def unit_bounds(unit: str, metric: str | None = None) -> tuple[float, float]:
    """The range a metric's values can take: rates 0–100, NPS −100…100, counts/money ≥ 0."""
    if metric == "nps":
        return -100.0, 100.0
    if unit == "%":
        return 0.0, 100.0
    if unit in ("count", "money", "days", "hours", "months", "ratio"):
        return 0.0, np.inf
    return -np.inf, np.inf


def _bootstrap(y: np.ndarray, horizon: int, rng: np.random.Generator) -> np.ndarray:
    """(N_PATHS × horizon) values from k-period changes (see the module docstring), widened by
    the uncertainty of the history's own drift: a short history pins its average change down
    only roughly, and resampling its changes alone treats that average as known (which made
    p_hit over-confident between 0.5 and 0.9, docs/benchmarks.md)."""
    d = np.diff(y)
    # each path's drift error: a bootstrap replicate of the mean one-period change, minus it
    drift = rng.choice(d, size=(N_PATHS, len(d))).mean(axis=1) - d.mean()
    steps = np.arange(1, horizon + 1)
    walks = np.cumsum(rng.choice(d, size=(N_PATHS, horizon)), axis=1) + np.outer(drift, steps)
    out = y[-1] + walks  # sums of k one-period changes …
    for k in range(1, min(horizon, len(y) - MIN_PAIRS) + 1):
        changes = y[k:] - y[:-k]  # … or k-period ones; they overlap, so about len/k independent
        spread = changes.std(ddof=1) / np.sqrt(max(len(changes) / k, 1.0))
        out[:, k - 1] = y[-1] + rng.choice(changes, size=N_PATHS) + rng.normal(0, spread, N_PATHS)
    return out


def _ets(y: np.ndarray, horizon: int, season: int, seed: int) -> np.ndarray | None:
    """(N_PATHS × horizon) simulated values of ETS(A,Ad,A), or None when it cannot be fitted."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    try:
        with warnings.catch_warnings():  # convergence chatter; a bad fit is caught below
            warnings.simplefilter("ignore")
            model = ETSModel(
                y,
                error="add",
                trend="add",
                damped_trend=True,
                seasonal="add",
                seasonal_periods=season,
            )
            fitted = model.fit(disp=False, maxiter=200)
            sims = fitted.simulate(
                nsimulations=horizon,
                repetitions=N_PATHS,
                anchor="end",
                rng=np.random.default_rng(seed),
            )
    except (ValueError, np.linalg.LinAlgError):
        return None
    paths = np.asarray(sims, dtype="float64").reshape(horizon, N_PATHS).T
    return paths if np.isfinite(paths).all() else None


def simulate(
    history: np.ndarray,
    horizon: int,
    *,
    period: str,
    bounds: tuple[float, float] = (-np.inf, np.inf),
    seed: int = 0,
) -> tuple[str, np.ndarray | None]:
    """(method, N_PATHS × horizon simulated values), or ("none", None) without a forecast."""
    y = np.asarray(history, dtype="float64")
    y = y[np.isfinite(y)]
    if horizon < 1 or horizon > MAX_HORIZON or len(y) < MIN_HISTORY:
        return "none", None
    season = PERIODS_PER_YEAR[period]
    paths, method = None, "bootstrap"
    if season >= 2 and len(y) >= 2 * season:
        paths, method = _ets(y, horizon, season, seed), "ets"
    if paths is None:
        method = "bootstrap"
        paths = _bootstrap(y, horizon, np.random.default_rng(seed))
    return method, np.clip(paths, bounds[0], bounds[1])


def hit_probability(values: np.ndarray, target: float, direction: str) -> float:
    """Share of simulated ``values`` that reach ``target`` (≥ going up, ≤ going down)."""
    hit = values >= target if direction == "up" else values <= target
    return float(np.mean(hit))


def forecast(
    history: np.ndarray,
    horizon: int,
    *,
    period: str,
    target: float,
    direction: str,
    bounds: tuple[float, float] = (-np.inf, np.inf),
    seed: int = 0,
) -> Forecast:
    """Simulate ``horizon`` periods after ``history`` and return ``p_hit`` at the last one."""
    method, paths = simulate(history, horizon, period=period, bounds=bounds, seed=seed)
    if paths is None:
        return Forecast("none", None)
    fan = np.quantile(paths, FAN_QUANTILES, axis=0).T
    return Forecast(
        method,
        hit_probability(paths[:, -1], target, direction),
        [[float(v) for v in row] for row in fan],
    )
