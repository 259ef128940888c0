"""How many threads independent model fits may use (churn's cross-validation folds and
backtest cutoffs, the CLV candidates of ``model="auto"``).

One switch for every model family: ``RETENTIONKIT_FIT_THREADS=N`` caps the threads (1 = one fit
at a time, a plain loop); by default, the cores this process may use. The fits that run side by
side are deterministic, so the results are those of the loop, to the last digit.
"""

from __future__ import annotations

import os

__all__ = ["WORKERS_ENV", "fit_workers"]

#: Environment variable capping the threads of independent fits (1 = one at a time).
WORKERS_ENV = "RETENTIONKIT_FIT_THREADS"


def fit_workers() -> int:
    """Threads for independent fits: the cores this process may use, capped by
    ``RETENTIONKIT_FIT_THREADS`` when set (an integer ≥ 1; anything else is ignored)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    raw = os.environ.get(WORKERS_ENV, "").strip()
    if raw.isdigit() and int(raw) >= 1:
        return min(cores, int(raw))
    return max(1, cores)
