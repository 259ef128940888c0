"""How many threads independent model fits may use (churn's cross-validation folds and
backtest cutoffs, the CLV candidates of ``model="auto"``).

One switch for every model family: ``RETENTIONKIT_FIT_THREADS=N`` caps the threads (1 = one fit
at a time, a plain loop); by default, the cores this process may use. The fits that run side by
side are deterministic, so the results are those of the loop, to the last digit.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:  # pragma: no cover
    from concurrent.futures import Executor, Future

__all__ = ["WORKERS_ENV", "Deferred", "fit_workers", "thread_map"]

T = TypeVar("T")
R = TypeVar("R")

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


def thread_map(
    func: Callable[[T], R], items: Sequence[T], *, workers: int | None = None, name: str = "fit"
) -> list[R]:
    """``[func(x) for x in items]`` on ``workers`` threads (default one per item; threads
    named ``name``); results keep the input order and the first exception in input order is
    raised. With one worker or one item it runs in the calling thread. Callers decide how many
    threads they may use (:func:`fit_workers`)."""
    workers = len(items) if workers is None else min(workers, len(items))
    if workers <= 1:
        return [func(x) for x in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(workers, thread_name_prefix=name) as pool:
        return list(pool.map(func, items))


class Deferred(Generic[R]):
    """A call whose result is wanted later: :meth:`result` runs it in the asking thread, unless
    a pool of fit threads was given it first (:meth:`start_on`, behind that pool's queued
    jobs), in which case it waits for that run — the same call, so the same result, or the
    same exception raised where the result is asked. A run the pool dropped before starting
    it (a pool shut down with ``cancel_futures``) is made in the asking thread."""

    def __init__(self, call: Callable[[], R]) -> None:
        self.call = call
        self.future: Future[R] | None = None

    def start_on(self, pool: Executor) -> None:
        """Queue the call on ``pool`` (once)."""
        if self.future is None:
            self.future = pool.submit(self.call)

    def result(self) -> R:
        from concurrent.futures import CancelledError

        if self.future is not None:
            try:
                return self.future.result()
            except CancelledError:
                pass
        return self.call()
