"""One native thread for model fitting and scoring.

scikit-learn's gradient boosting (OpenMP) and logistic regression (OpenBLAS) start one worker
thread per core for every tree level and matrix product. The churn data are small (7 k – 100 k
rows, 10 – 20 features), so each parallel region lasts microseconds and the threads mostly wait
for each other; when the other core is busy (a shared machine, a server answering requests) a
thread that is descheduled stalls the whole region. Measured on the 2-core development machine
under load (docs/benchmarks.md, "Speed of `churn train`"): one gradient-boosting fit on
94 k CDNOW rows took 58.9 s wall / 36.4 s CPU with 2 threads and 4.0 s / 2.6 s with one.

One thread also makes the fitted models independent of the machine's core count (a parallel
sum may add in an order that depends on the number of threads; on CDNOW and Telco the 2-thread
and 1-thread results were identical to the last digit).

Caveat: the limit is process-wide for BLAS, so code running in another thread at the same time
(a server answering requests) also gets one BLAS thread until the block ends.

The cores are used instead by running independent fits side by side (:func:`parallel_map`):
the folds of a cross-validation, the evaluation cutoffs of a backtest. Each fit is long (tenths
of a second to seconds) and spends most of its time in NumPy and scikit-learn's Cython code,
which release the GIL, so Python threads keep both cores busy without OpenMP's spinning
barriers; a descheduled worker delays only its own fit. Results come back in input order and
each fit is deterministic, so the outcome is the one of a loop, to the last digit
(``tests/churn/test_parallel_fits.py``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

from retentionkit.workers import WORKERS_ENV, fit_workers, thread_map

__all__ = ["WORKERS_ENV", "fit_workers", "one_thread", "parallel_map", "single_threaded"]

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")

_inside = threading.local()


@contextmanager
def one_thread() -> Iterator[None]:
    """Limit OpenMP and BLAS to one thread inside the block (restored afterwards).

    threadpoolctl only limits libraries already loaded, so the estimators' modules (OpenMP with
    gradient boosting, SciPy's BLAS with L-BFGS) are imported first."""
    import sklearn.ensemble
    import sklearn.linear_model  # noqa: F401  (loads SciPy's BLAS)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def single_threaded(func: Callable[P, R]) -> Callable[P, R]:
    """Decorator: run ``func`` inside :func:`one_thread`."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with one_thread():
            return func(*args, **kwargs)

    return wrapper


#: Fits on fewer training rows run one after another: their time is mostly scikit-learn's
#: Python bookkeeping (validation, column selection), which holds the GIL, so threads only
#: queue for it. Measured on the 2-core machine: `churn train` on Telco (7,043 rows, 5 folds)
#: took 9.1 s of cross-validation in a loop and 9.5 s on two threads; a backtest fit on CDNOW
#: (70 k and 94 k rows) 20.2 s in a loop and 14.6 s on two threads.
PARALLEL_MIN_ROWS = 20_000


def parallel_map(func: Callable[[T], R], items: Iterable[T], *, rows: int | None = None) -> list[R]:
    """``[func(x) for x in items]``, run on up to :func:`fit_workers` threads, each limited to
    one native thread (:func:`one_thread`). Results keep the input order; the first exception
    in input order is raised. ``rows`` (the training rows of each fit) below
    :data:`PARALLEL_MIN_ROWS` runs the loop instead. A call made from inside a worker runs as
    a plain loop, so nested parallel regions (a backtest's fits, each cross-validating) never
    oversubscribe the cores."""
    work = list(items)
    workers = min(len(work), fit_workers())
    small = rows is not None and rows < PARALLEL_MIN_ROWS
    if workers <= 1 or small or getattr(_inside, "active", False):
        return [func(x) for x in work]

    def run(x: T) -> R:
        _inside.active = True
        try:
            with one_thread():  # the OpenMP limit is per thread: set it in each worker
                return func(x)
        finally:
            _inside.active = False

    # BLAS's limit is process-wide: set here first, every worker's own limit restores to 1
    with one_thread():
        return thread_map(run, work, workers=workers)
