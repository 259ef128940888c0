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
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

__all__ = ["one_thread", "single_threaded"]

P = ParamSpec("P")
R = TypeVar("R")


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
