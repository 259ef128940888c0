"""Calibration of ``p_hit``: of the goals given a probability p at their start, how many were
hit? A calibrated forecast hits about p of them (the reliability diagram of Murphy & Winkler,
1977; the Brier score is the mean squared difference between p_hit and the 0/1 outcome)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["BINS", "brier_score", "calibration_table"]

#: Bin edges of p_hit for the table (the last bin includes 1).
BINS: tuple[float, ...] = (0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0)


def calibration_table(
    outcomes: Iterable[tuple[float, bool]], bins: Sequence[float] = BINS
) -> list[dict[str, Any]]:
    """One row per p_hit bin: ``bin``, ``goals``, ``mean_p_hit``, ``hit_rate``, ``hits``
    (empty bins have None rates)."""
    rows = []
    pairs = list(outcomes)
    for i, (lo, hi) in enumerate(itertools.pairwise(bins)):
        last = i == len(bins) - 2
        inside = [(p, h) for p, h in pairs if lo <= p < hi or (last and p == hi)]
        n = len(inside)
        hits = sum(1 for _, h in inside if h)
        rows.append(
            {
                "bin": f"{lo:.1f}–{hi:.1f}",
                "goals": n,
                "mean_p_hit": sum(p for p, _ in inside) / n if n else None,
                "hit_rate": hits / n if n else None,
                "hits": hits,
            }
        )
    return rows


def brier_score(outcomes: Iterable[tuple[float, bool]]) -> float | None:
    """Mean of (p_hit − outcome)²; 0 is perfect, 0.25 is a constant 0.5."""
    pairs = list(outcomes)
    if not pairs:
        return None
    return sum((p - float(h)) ** 2 for p, h in pairs) / len(pairs)
