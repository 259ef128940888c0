"""95 % intervals of the rates, declared per metric in the registry (``MetricSpec.interval``).

* ``wilson``: Wilson score interval of a proportion k / n, in percent (Wilson 1927; Brown,
  Cai & DasGupta 2001 recommend it over the Wald interval for small n):
  centre = (p + z²/2n) / (1 + z²/n), half-width = z √(p(1 − p)/n + z²/4n²) / (1 + z²/n).
* ``nps``: NPS = 100 (p₊ − p₋) with (n₊, n₀, n₋) trinomial; its variance is
  (p₊ + p₋ − (p₊ − p₋)²) / n, so the interval is NPS ± z · 100 √(that), clipped to
  [−100, 100] (normal approximation of the trinomial difference; Rocks 2016).

Both return (low, high) arrays, NaN where n is 0 or missing.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

Interval = Literal["wilson", "nps"]
INTERVALS: tuple[str, ...] = ("wilson", "nps")
#: two-sided 95 % normal quantile (scipy.stats.norm.ppf(0.975)).
Z95 = 1.959963984540054


def wilson(successes: Any, n: Any, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of ``successes / n`` in percent."""
    k = np.asarray(successes, dtype="float64")
    total = np.asarray(n, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.clip(k / total, 0.0, 1.0)
        denom = 1 + z * z / total
        centre = (p + z * z / (2 * total)) / denom
        half = z * np.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    bad = ~(total > 0)
    low = np.where(bad, np.nan, np.clip(centre - half, 0, 1) * 100)
    high = np.where(bad, np.nan, np.clip(centre + half, 0, 1) * 100)
    return low, high


def nps_interval(
    promoters: Any, detractors: Any, n: Any, z: float = Z95
) -> tuple[np.ndarray, np.ndarray]:
    """Trinomial normal interval of the NPS (see the module docstring)."""
    total = np.asarray(n, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        pp = np.asarray(promoters, dtype="float64") / total
        pd_ = np.asarray(detractors, dtype="float64") / total
        diff = pp - pd_
        se = np.sqrt(np.maximum(pp + pd_ - diff * diff, 0.0) / total)
    bad = ~(total > 0)
    low = np.where(bad, np.nan, np.clip((diff - z * se) * 100, -100, 100))
    high = np.where(bad, np.nan, np.clip((diff + z * se) * 100, -100, 100))
    return low, high


def interval(
    kind: Interval | None, frame: Any, values: np.ndarray, n: Any
) -> tuple[np.ndarray, np.ndarray]:
    """The 95 % interval of a metric's ``values`` declared as ``kind`` (NaN without one):
    Wilson on successes = value / 100 × n; NPS from the frame's promoters and detractors."""
    if kind is None or n is None:
        empty = np.full(len(values), np.nan)
        return empty, empty.copy()
    if kind == "nps":
        return nps_interval(frame["promoters"], frame["detractors"], n)
    successes = np.round(np.asarray(values, dtype="float64") / 100 * np.asarray(n, "float64"))
    return wilson(successes, n)
