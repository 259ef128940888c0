"""Shared machinery of the maximum-likelihood CLV models.

Every model in :mod:`retentionkit.clv.models` derives from :class:`BaseFitter`, which owns what is
the same for all of them:

* input validation at the boundary (:class:`~retentionkit.errors.InputError` with one sentence
  naming the argument, the offending customer (the pandas index label; the row number for plain
  arrays) and value, and what is expected);
* collapsing identical rows into weights before fitting (a million customers usually have far
  fewer distinct ``(x, t_x, T)`` patterns, and the likelihood only needs each pattern once);
* the optimiser: the *mean* negative log-likelihood plus ``penalizer_coef * sum(params**2)`` (the
  lifetimes convention) is minimised over the **log** of the parameters with L-BFGS-B, using the
  model's analytic gradient where it has one;
* the fit's ``status_`` (``ok``, ``boundary`` or ``degenerate``, :data:`STATUSES`) and
  ``warnings_`` (sentences): a parameter that runs off to 0 or infinity makes the fit a
  *boundary* fit when the model has a valid limit there (the subclass's :meth:`_limit`, e.g.
  BG/NBD's a, b → ∞: constant drop-out probability), which is then what it predicts with, and a
  *degenerate* fit otherwise (kept, never used silently: callers check ``status_``); a
  non-finite likelihood or a non-converged optimum away from any bound is a
  :class:`~retentionkit.errors.ModelFitError`;
* standard errors from the inverse of a numerical Hessian of the (unpenalised) negative
  log-likelihood, computed directly in the natural parameter space;
* :meth:`BaseFitter.summary`, :meth:`BaseFitter.save` and :meth:`BaseFitter.load` (JSON, never
  pickle).

Subclasses set ``model_name`` and ``param_names`` and implement ``_nll`` (the total negative
log-likelihood of collapsed data, optionally with its gradient with respect to the log-parameters).
"""

from __future__ import annotations

import json
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from retentionkit.errors import InputError, ModelFitError, NotFittedError

__all__ = [
    "STATUSES",
    "BaseFitter",
    "FitData",
    "log_hyp2f1",
    "logsumexp_rows",
    "per_distinct_pair",
    "wdot",
]

FloatArray = NDArray[np.float64]

#: ``|log(param)|`` beyond this at the optimum means a parameter ran off to 0 or infinity.
LOG_PARAM_LIMIT = 15.0
#: ... and beyond this (below e^-7 ≈ 0.0009 or above e^7 ≈ 1100) when its standard error is
#: undefined or larger than the value itself (a flat direction of the likelihood).
SOFT_LOG_PARAM_LIMIT = 7.0
#: The status of a fit: a regular optimum, a valid limit of the model, or not identified.
STATUSES = ("ok", "boundary", "degenerate")
#: Hard box for the optimiser on the log scale (a bit wider than the degeneracy limit).
_LOG_PARAM_BOX = 20.0
#: Inside a model's limit region (:meth:`BaseFitter._in_limit_region`), an iteration that
#: lowers the objective (-LL per customer) by less than this, relatively, ends the search: the
#: fit has reached the limit model and only walks further out along a flat direction.
RIDGE_FTOL = 1e-7
#: Fewer (weighted) customers than this cannot identify a four-parameter model.
MIN_CUSTOMERS = 5
_SAVE_FORMAT = 1
#: From this many customers, :func:`per_distinct_pair` evaluates once per distinct pair.
DISTINCT_PAIRS_MIN = 10_000

FitData = dict[str, FloatArray]
"""Collapsed data handed to a model's likelihood: named columns plus ``"weights"``."""


# --------------------------------------------------------------------------------------------
# validation helpers (used by every model)
# --------------------------------------------------------------------------------------------


def where(index: pd.Index | None, i: int) -> str:
    """Who row ``i`` is: ``customer <label>`` when the input was pandas with a meaningful index
    (the workflow passes series indexed by customer_id), else ``row <i>`` of a plain array."""
    if index is not None and not isinstance(index, pd.RangeIndex) and i < len(index):
        return f"customer {index[i]}"
    return f"row {i}"


def num(value: Any) -> str:
    """A number as a person writes it (``0``, ``12.5``, ``nan``), never a numpy repr."""
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return str(value)


def as_float_array(name: str, values: ArrayLike) -> FloatArray:
    """Return ``values`` as a 1-D float array, or raise :class:`InputError` saying what is wrong."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"`{name}` must be numeric; could not convert it to numbers ({exc})."
        ) from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise InputError(f"`{name}` must be one-dimensional; got an array of shape {arr.shape}.")
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"`{name}` must be finite; {where(index_of(values), i)} holds {num(arr[i])} "
            f"({int(bad.sum())} non-finite values in all)."
        )
    return arr


def check_same_length(**arrays: FloatArray) -> int:
    """Raise :class:`InputError` unless every array has the same length; return that length."""
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        shown = ", ".join(f"{k}={v}" for k, v in lengths.items())
        raise InputError(f"The inputs must have the same length; got {shown}.")
    n = next(iter(lengths.values()))
    if n == 0:
        raise InputError("The inputs are empty; at least one customer is needed.")
    return n


def check_non_negative(name: str, arr: FloatArray, index: pd.Index | None = None) -> None:
    """Raise :class:`InputError` if any value is negative."""
    bad = arr < 0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"`{name}` must not be negative; {where(index, i)} holds {num(arr[i])}.")


def check_integer(name: str, arr: FloatArray, index: pd.Index | None = None) -> None:
    """Raise :class:`InputError` if any value is not a whole number."""
    bad = arr != np.round(arr)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"`{name}` must hold whole numbers (counts of repeat purchases or periods); "
            f"{where(index, i)} holds {num(arr[i])}."
        )


def check_rfm(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate a (frequency, recency, T) triple as in lifetimes' ``summary_data_from_...`` layout.

    frequency: number of repeat purchases (integer >= 0); recency: time from the first to the last
    purchase (0 when frequency is 0); T: time from the first purchase to the end of observation.
    """
    idx = index_of(frequency, recency, T)
    x = as_float_array("frequency", frequency)
    t_x = as_float_array("recency", recency)
    t = as_float_array("T", T)
    check_same_length(frequency=x, recency=t_x, T=t)
    check_non_negative("frequency", x, idx)
    check_non_negative("recency", t_x, idx)
    check_non_negative("T", t, idx)
    check_integer("frequency", x, idx)
    # A relative tolerance: recency and T are often computed as floats (days / 7).
    over = t_x > t * (1 + 1e-9) + 1e-12
    if over.any():
        i = int(np.flatnonzero(over)[0])
        raise InputError(
            f"`recency` must not exceed `T` (the last purchase cannot be after the end of "
            f"observation); {where(idx, i)} has recency={num(t_x[i])} and T={num(t[i])}."
        )
    stray = (x == 0) & (t_x != 0)
    if stray.any():
        i = int(np.flatnonzero(stray)[0])
        raise InputError(
            f"`recency` must be 0 for a customer with no repeat purchase (frequency 0); "
            f"{where(idx, i)} has recency={num(t_x[i])}."
        )
    return x, np.minimum(t_x, t), t


def check_weights(weights: ArrayLike | None, n: int) -> FloatArray:
    """Return validated per-row weights (ones when ``weights`` is None)."""
    if weights is None:
        return np.ones(n)
    w = as_float_array("weights", weights)
    if len(w) != n:
        raise InputError(f"`weights` must have one value per customer; got {len(w)} for {n}.")
    check_non_negative("weights", w)
    if w.sum() <= 0:
        raise InputError(
            "`weights` sum to zero; at least one customer must have a positive weight."
        )
    return w


def wdot(w: FloatArray, v: FloatArray) -> float:
    """Weighted sum ``sum(w * v)`` without BLAS.

    ``np.dot`` on vectors goes to a multithreaded BLAS ``ddot`` whose thread start-up costs more
    than the sum itself (5-50x slower on a busy machine); pairwise summation is also more accurate.
    """
    return float(np.add.reduce(np.multiply(w, v)))


def collapse(columns: Mapping[str, FloatArray], weights: FloatArray) -> FitData:
    """Collapse identical rows of ``columns`` into one row each, summing their ``weights``.

    Rows with zero weight are dropped. The likelihood of the collapsed data times its weights is
    exactly the likelihood of the original data, and it is evaluated once per distinct pattern.
    """
    frame = pd.DataFrame(dict(columns))
    frame["weights"] = weights
    frame = frame[frame["weights"] > 0]
    grouped = frame.groupby(list(columns), sort=False, as_index=False)["weights"].sum()
    return {name: grouped[name].to_numpy(dtype=np.float64) for name in grouped.columns}


def index_of(*inputs: Any) -> pd.Index | None:
    """The index of the first pandas input, so that predictions stay keyed by customer."""
    for value in inputs:
        if isinstance(value, pd.Series | pd.DataFrame):
            return value.index
    return None


def keyed(result: FloatArray, index: pd.Index | None, name: str) -> FloatArray | pd.Series:
    """Return ``result`` as a Series on ``index`` when the inputs were pandas, else as an array."""
    if index is not None and len(index) == len(result):
        return pd.Series(result, index=index, name=name)
    return result


# --------------------------------------------------------------------------------------------
# the base class
# --------------------------------------------------------------------------------------------


def log_hyp2f1(a: Any, b: Any, c: Any, z: Any) -> FloatArray:
    """log of Gauss's 2F1(a, b; c; z) for 0 <= z < 1, with Euler's transformation as fallback.

    ``scipy.special.hyp2f1`` is used where it is finite and positive; elsewhere (overflow for a
    large ``b``) the value is ``(c-a-b) log(1-z) + log 2F1(c-a, c-b; c; z)``, computed only for
    those elements (``hyp2f1`` is most of a BG/NBD prediction's time).
    """
    from scipy.special import hyp2f1

    a, b, c, z = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (a, b, c, z)))
    with np.errstate(all="ignore"):
        out = np.log(hyp2f1(a, b, c, z))
        bad = ~np.isfinite(out)
        if np.any(bad):
            ab, bb, cb, zb = a[bad], b[bad], c[bad], z[bad]
            out = np.array(out, dtype=np.float64, copy=True)
            out[bad] = (cb - ab - bb) * np.log1p(-zb) + np.log(hyp2f1(cb - ab, cb - bb, cb, zb))
    return np.asarray(out, dtype=np.float64)


def per_distinct_pair(
    u: FloatArray, v: FloatArray, f: Callable[[FloatArray, FloatArray], FloatArray]
) -> FloatArray:
    """``f(u, v)`` for an elementwise ``f``, evaluated once per distinct ``(u, v)`` pair and
    spread back to every element: the same numbers to the last digit (each element is ``f``
    of the same two floats), with fewer evaluations where pairs repeat. Customers repeat their
    (frequency, T) pair: a million customers over 24 months hold 34,060 distinct ones, and the
    ``hyp2f1`` of a BG/NBD or MBG/NBD expectation, which depends on that pair alone, was most
    of a million customers' CLV. Below :data:`DISTINCT_PAIRS_MIN` elements ``f`` runs on the
    arrays as given. Pairs are told apart by value (pandas' hash table), so 0.0 and -0.0 are
    one pair: ``f`` must give equal results for equal inputs, as arithmetic does."""
    if u.size < DISTINCT_PAIRS_MIN:
        return f(u, v)
    key = np.empty(u.shape, dtype=np.complex128)
    key.real = u  # both floats stored as they are: no arithmetic on the key
    key.imag = v
    codes, pairs = pd.factorize(key, use_na_sentinel=False)
    return np.asarray(f(np.ascontiguousarray(pairs.real), np.ascontiguousarray(pairs.imag)))[codes]


def logsumexp_rows(terms: FloatArray, work: FloatArray | None = None) -> FloatArray:
    """log(sum(exp(terms), axis=1)) of a 2-D array with finite row maxima: max-shifted, as
    ``scipy.special.logsumexp`` computes it (equal to 1e-15), three times faster on the
    (customers × 64) quadrature terms of Pareto/NBD, where SciPy's general version (array
    API dispatch, signs, weights, log1p refinement) took 35 % of a boundary fit. ``work``, an
    array of the shape of ``terms``, holds the shifted exponentials instead of a new array
    (the same operations: the same bits)."""
    top = terms.max(axis=1)
    if work is None:
        shifted = np.exp(terms - top[:, None])
    else:
        shifted = np.exp(np.subtract(terms, top[:, None], out=work), out=work)
    return np.asarray(top + np.log(shifted.sum(axis=1)), dtype=np.float64)


class _RidgeStop:
    """``minimize`` callback: stop once the search is inside a model's limit region (see
    :meth:`BaseFitter._in_limit_region`) and an iteration no longer descends (:data:`RIDGE_FTOL`).

    A boundary fit (a limit model, :mod:`retentionkit.clv.models.limits`) has no optimum at a
    finite point: the likelihood keeps rising by ever smaller amounts as a parameter runs off.
    L-BFGS-B (``ftol`` 1e-15, kept for regular fits) then spends most of its likelihood calls
    on line searches that gain nothing: a Pareto/NBD fit on 5,000 customers made 1,069 calls,
    about 700 of them after the limit's parameters had settled to four digits.
    """

    def __init__(self, in_limit_region: Callable[[FloatArray], bool]) -> None:
        self.in_limit_region = in_limit_region
        self.previous: float | None = None
        self.stopped = False

    def __call__(self, intermediate_result: Any) -> None:
        value = float(intermediate_result.fun)
        previous, self.previous = self.previous, value
        if previous is None or previous - value > RIDGE_FTOL * max(abs(value), 1.0):
            return
        if self.in_limit_region(np.asarray(intermediate_result.x, dtype=np.float64)):
            self.stopped = True
            raise StopIteration


class BaseFitter(ABC):
    """Maximum-likelihood fitting, standard errors, summary and persistence for CLV models.

    Parameters
    ----------
    penalizer_coef:
        L2 penalty on the natural parameters added to the mean negative log-likelihood
        (``penalizer_coef * sum(params**2)``, as in lifetimes). 0 gives the plain MLE; a small
        value (0.001-0.1) tames parameters that run off to infinity on thin data.
    tol:
        Convergence tolerance of the optimiser on the projected gradient of the mean negative
        log-likelihood.
    max_iter:
        Maximum optimiser iterations.
    """

    model_name: ClassVar[str]
    param_names: ClassVar[tuple[str, ...]]
    #: Registry facts (:func:`retentionkit.clv.models.model_info`): the kind of model
    #: (``purchase``, ``spend``, ``contractual`` or ``discrete``), a one-line description, the
    #: data it is fitted on, and other accepted spellings of ``model_name``.
    kind: ClassVar[str]
    description: ClassVar[str]
    needs: ClassVar[str]
    aliases: ClassVar[tuple[str, ...]] = ()
    #: Whether ``_nll`` also returns the gradient with respect to the log-parameters.
    _has_gradient: ClassVar[bool] = True

    params_: dict[str, float]
    standard_errors_: dict[str, float]
    log_likelihood_: float
    n_customers_: int
    converged_: bool
    #: ``ok``, ``boundary`` or ``degenerate`` (:data:`STATUSES`), with the sentences that explain
    #: it and, for a boundary fit, the parameters of the limit model it predicts with.
    status_: str = "ok"
    warnings_: list[str]
    limit_: dict[str, float] | None = None

    def __init__(
        self, penalizer_coef: float = 0.0, tol: float = 1e-8, max_iter: int = 1000
    ) -> None:
        self.penalizer_coef = penalizer_coef
        self.tol = tol
        self.max_iter = max_iter

    # -- to be provided by each model -------------------------------------------------------

    @abstractmethod
    def _nll(
        self, params: FloatArray, data: FitData, grad: bool
    ) -> tuple[float, FloatArray | None]:
        """Total (weighted) negative log-likelihood at natural ``params``.

        When ``grad`` is true and the model has an analytic gradient, also return the gradient
        with respect to the natural parameters; otherwise return ``None`` in its place.
        """

    def _initial_log_params(self, data: FitData) -> FloatArray:
        """Starting point of the optimiser on the log scale (all parameters 1 by default)."""
        return np.zeros(len(self.param_names))

    # -- fitting --------------------------------------------------------------------------------

    def _check_hyperparameters(self) -> None:
        if not (isinstance(self.penalizer_coef, int | float) and self.penalizer_coef >= 0):
            raise InputError(
                f"`penalizer_coef` must be a number >= 0; got {self.penalizer_coef!r}."
            )
        if not (isinstance(self.max_iter, int) and self.max_iter > 0):
            raise InputError(f"`max_iter` must be a positive integer; got {self.max_iter!r}.")
        if not (isinstance(self.tol, int | float) and self.tol > 0):
            raise InputError(f"`tol` must be a positive number; got {self.tol!r}.")

    def _objective(self, data: FitData, n: float) -> Callable[[FloatArray], Any]:
        pen = float(self.penalizer_coef)

        def fun(theta: FloatArray) -> Any:
            params = np.exp(theta)
            with np.errstate(all="ignore"):
                value, g = self._nll(params, data, self._has_gradient)
            obj = value / n + pen * float(np.sum(params**2))
            if not np.isfinite(obj):
                obj = 1e300
            if not self._has_gradient:
                return obj
            assert g is not None
            # chain rule to the log scale: d/dtheta = params * d/dparams
            gtheta = g * params / n + 2.0 * pen * params**2
            if not np.all(np.isfinite(gtheta)):
                gtheta = np.zeros_like(theta)
            return obj, gtheta

        return fun

    def _optimise(self, data: FitData, unit_hint: str) -> None:
        """Minimise, check the optimum, compute standard errors and store the learned state."""
        from scipy.optimize import minimize  # 0.5 s of imports: only where a model is fitted

        self._check_hyperparameters()
        n = float(data["weights"].sum())
        if n < MIN_CUSTOMERS:
            raise ModelFitError(
                f"{type(self).__name__} needs at least {MIN_CUSTOMERS} customers to fit; got "
                f"{n:g}. Fit on more data."
            )
        fun = self._objective(data, n)
        theta0 = self._initial_log_params(data)
        bounds = [(-_LOG_PARAM_BOX, _LOG_PARAM_BOX)] * len(theta0)
        options = {"maxiter": self.max_iter, "gtol": self.tol, "ftol": 1e-15, "maxcor": 20}
        ridge = _RidgeStop(self._in_limit_region)
        res = minimize(
            fun,
            theta0,
            jac=True if self._has_gradient else "3-point",
            method="L-BFGS-B",
            bounds=bounds,
            options=options,
            callback=ridge,
        )
        if not res.success and not ridge.stopped:
            # L-BFGS-B often stops with "ABNORMAL" line-search failure right at the optimum
            # (the objective cannot decrease further in floating point). Polish with BFGS.
            res2 = minimize(
                fun,
                res.x,
                jac=True if self._has_gradient else "3-point",
                method="BFGS",
                options={"maxiter": self.max_iter, "gtol": max(self.tol, 1e-6)},
                callback=_RidgeStop(self._in_limit_region),
            )
            if np.isfinite(res2.fun) and res2.fun <= res.fun:
                res = res2
        theta = np.asarray(res.x, dtype=np.float64)
        params = np.exp(theta)
        with np.errstate(all="ignore"):
            nll, _ = self._nll(params, data, False)
        names = ", ".join(f"{k}={v:.4g}" for k, v in zip(self.param_names, params, strict=True))
        if not np.isfinite(nll):
            raise ModelFitError(
                f"{type(self).__name__} fit gave a non-finite log-likelihood ({names}). "
                f"Check the data for extreme values, try another time unit {unit_hint}, or set a "
                f"small `--penalizer` (e.g. 0.01)."
            )
        converged = bool(res.success) or self._gradient_small(fun, theta)
        standard_errors = self._standard_errors(params, data)
        runaway = self._runaway(theta, standard_errors)
        if not converged and not runaway:
            raise ModelFitError(
                f"{type(self).__name__} did not converge after {res.nit} iterations "
                f"({res.message}; {names}). Try another time unit {unit_hint}, a `--penalizer` "
                f"such as 0.01, or a larger `max_iter`."
            )
        self.params_ = {k: float(v) for k, v in zip(self.param_names, params, strict=True)}
        self.log_likelihood_ = float(-nll)
        self.n_customers_ = round(n)
        self.converged_ = converged
        self.standard_errors_ = standard_errors
        self._set_status(runaway, names, unit_hint)

    def _runaway(self, theta: FloatArray, standard_errors: Mapping[str, float]) -> dict[str, str]:
        """The parameters that ran off at the optimum, each to ``"infinity"`` or ``"0"``.

        Rule: ``|log θ| > LOG_PARAM_LIMIT`` (15), or ``|log θ| > SOFT_LOG_PARAM_LIMIT`` (7) with a
        standard error that is undefined or larger than θ (the likelihood is flat that way).
        """
        out = {}
        for name, t in zip(self.param_names, theta, strict=True):
            value = math.exp(t)
            se = standard_errors.get(name, math.nan)
            flat = not math.isfinite(se) or se > value
            if abs(t) > LOG_PARAM_LIMIT or (abs(t) > SOFT_LOG_PARAM_LIMIT and flat):
                out[name] = "infinity" if t > 0 else "0"
        return out

    def _in_limit_region(self, theta: FloatArray) -> bool:
        """True when the log-parameters ``theta`` are where the fit would be returned as its
        limit model, so that a search which stalls there may stop (:class:`_RidgeStop`).

        False by default: models with an analytic gradient are cheap to follow to the end,
        and their results stay those of the full search."""
        return False

    def _limit(self, runaway: Mapping[str, str]) -> tuple[dict[str, float], str] | None:
        """The valid limit model at this boundary: (its parameters, a description), or None
        when the boundary is not a limit the model can predict with (a degenerate fit)."""
        return None

    def _set_status(self, runaway: Mapping[str, str], names: str, unit_hint: str) -> None:
        """Set ``status_``, ``limit_`` and ``warnings_`` from the parameters that ran off."""
        self.limit_ = None
        self.warnings_ = []
        if not runaway:
            self.status_ = "ok"
            return
        moved = ", ".join(f"{p} to {to}" for p, to in runaway.items())
        limit = self._limit(runaway)
        if limit is not None:
            self.status_ = "boundary"
            self.limit_, description = limit
            self.warnings_.append(
                f"{type(self).__name__} fit is at a boundary ({moved}; {names}): it is returned "
                f"as its limit, {description}."
            )
            return
        self.status_ = "degenerate"
        self.warnings_.append(
            f"{type(self).__name__} fit is degenerate ({moved}; {names}): the data do not "
            f"identify the model, so its predictions are not credible; choose the model "
            f"automatically (model auto), set a small `--penalizer` (e.g. 0.01) or try "
            f"another time unit {unit_hint}."
        )

    def _gradient_small(self, fun: Callable[[FloatArray], Any], theta: FloatArray) -> bool:
        """True when the objective is flat at ``theta`` (an optimum L-BFGS-B did not certify)."""
        if self._has_gradient:
            _, g = fun(theta)
        else:
            g = np.empty_like(theta)
            f0 = fun(theta)
            for i in range(len(theta)):
                step = np.zeros_like(theta)
                step[i] = 1e-6
                g[i] = (fun(theta + step) - f0) / 1e-6
        return bool(np.max(np.abs(g)) < 1e-4)

    def _standard_errors(self, params: FloatArray, data: FitData) -> dict[str, float]:
        """Standard errors: sqrt of the diagonal of the inverse Hessian of -LL in natural params.

        The Hessian is computed by forward differences of the analytic gradient (or, for models
        without one, central differences of the log-likelihood) with relative steps in the
        natural parameters.
        NaN where the Hessian is not positive definite (a flat direction of the likelihood).
        """
        k = len(params)
        hess = np.empty((k, k))
        steps = 1e-4 * params
        with np.errstate(all="ignore"):
            if self._has_gradient:
                # forward differences of the analytic gradient (k + 1 passes over the data;
                # O(1e-5) relative error, far below the sampling error the SEs describe)
                steps = 1e-5 * params
                _, g0 = self._nll(params, data, True)
                for i in range(k):
                    e = np.zeros(k)
                    e[i] = steps[i]
                    _, gp = self._nll(params + e, data, True)
                    assert gp is not None and g0 is not None
                    hess[:, i] = (gp - g0) / steps[i]
                hess = (hess + hess.T) / 2
            else:

                def f(p: FloatArray) -> float:
                    return self._nll(p, data, False)[0]

                f0 = f(params)
                for i in range(k):
                    for j in range(i, k):
                        ei = np.zeros(k)
                        ej = np.zeros(k)
                        ei[i] = steps[i]
                        ej[j] = steps[j]
                        if i == j:
                            val = (f(params + ei) - 2 * f0 + f(params - ei)) / steps[i] ** 2
                        else:
                            val = (
                                f(params + ei + ej)
                                - f(params + ei - ej)
                                - f(params - ei + ej)
                                + f(params - ei - ej)
                            ) / (4 * steps[i] * steps[j])
                        hess[i, j] = hess[j, i] = val
        se = np.full(k, np.nan)
        if np.all(np.isfinite(hess)):
            try:
                cov = np.linalg.inv(hess)
                diag = np.diag(cov)
                if np.all(diag > 0):
                    se = np.sqrt(diag)
            except np.linalg.LinAlgError:
                pass
        return {name: float(v) for name, v in zip(self.param_names, se, strict=True)}

    # -- fitted-state helpers -----------------------------------------------------------------

    @property
    def is_fitted(self) -> bool:
        """True once :meth:`fit` (or :meth:`load`) has set ``params_``."""
        return hasattr(self, "params_")

    def _check_fitted(self) -> None:
        if not self.is_fitted:
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet; call `fit(...)` (or "
                f"`{type(self).__name__}.load(path)`) before predicting."
            )

    def _p(self) -> tuple[float, ...]:
        self._check_fitted()
        return tuple(self.params_[k] for k in self.param_names)

    def summary(self) -> pd.DataFrame:
        """Fitted parameters with standard errors and Wald 95 % intervals.

        Columns: ``param``, ``value``, ``se``, ``lower_95``, ``upper_95``.
        """
        self._check_fitted()
        rows = []
        for name in self.param_names:
            value = self.params_[name]
            se = self.standard_errors_.get(name, math.nan)
            rows.append(
                {
                    "param": name,
                    "value": value,
                    "se": se,
                    "lower_95": value - 1.959963984540054 * se,
                    "upper_95": value + 1.959963984540054 * se,
                }
            )
        return pd.DataFrame(rows, columns=["param", "value", "se", "lower_95", "upper_95"])

    def __repr__(self) -> str:
        if not self.is_fitted:
            return f"{type(self).__name__}(penalizer_coef={self.penalizer_coef!r})"
        shown = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return f"<{type(self).__name__} fitted on {self.n_customers_} customers: {shown}>"

    # -- persistence ---------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The fitted model as plain JSON-ready data (model name, version, params, fit facts)."""
        self._check_fitted()
        from retentionkit import __version__

        return {
            "format": _SAVE_FORMAT,
            "model": self.model_name,
            "class": type(self).__name__,
            "retentionkit_version": __version__,
            "hyperparameters": {
                "penalizer_coef": self.penalizer_coef,
                "tol": self.tol,
                "max_iter": self.max_iter,
            },
            "params": {k: (None if math.isnan(v) else v) for k, v in self.params_.items()},
            "standard_errors": {
                k: (None if math.isnan(v) else v) for k, v in self.standard_errors_.items()
            },
            "log_likelihood": self.log_likelihood_,
            "n_customers": self.n_customers_,
            "converged": self.converged_,
            "status": self.status_,
            "warnings": list(getattr(self, "warnings_", [])),
            "limit": None if self.limit_ is None else dict(self.limit_),
        }

    def save(self, path: str | Path) -> None:
        """Write the fitted model to ``path`` as JSON (no pickle: safe to load from anyone)."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> Self:
        """Rebuild a fitted model from :meth:`to_dict` output."""
        from retentionkit.clv.models import MODELS

        name = payload.get("model")
        if name not in MODELS:
            raise InputError(
                f"Saved model names unknown model {name!r}; expected one of {sorted(MODELS)}."
            )
        target = MODELS[name]
        if not issubclass(target, cls):
            raise InputError(
                f"The saved model is a {target.__name__} ({name!r}), not a {cls.__name__}."
            )
        hyper = payload.get("hyperparameters", {})
        model = target(**hyper)
        params = payload.get("params", {})
        missing = [p for p in target.param_names if p not in params]
        if missing:
            raise InputError(f"Saved {name!r} model lacks parameter(s) {', '.join(missing)}.")
        model.params_ = {
            p: (math.nan if params[p] is None else float(params[p])) for p in target.param_names
        }
        ses = payload.get("standard_errors", {})
        model.standard_errors_ = {
            p: (math.nan if ses.get(p) is None else float(ses[p])) for p in target.param_names
        }
        model.log_likelihood_ = float(payload.get("log_likelihood", math.nan))
        model.n_customers_ = int(payload.get("n_customers", 0))
        model.converged_ = bool(payload.get("converged", True))
        status = payload.get("status", "ok")
        if status not in STATUSES:
            raise InputError(
                f"Saved {name!r} model has status {status!r}; expected one of "
                f"{', '.join(STATUSES)}."
            )
        model.status_ = status
        model.warnings_ = [str(w) for w in payload.get("warnings", [])]
        limit = payload.get("limit")
        model.limit_ = None if not limit else {k: float(v) for k, v in limit.items()}
        return model  # type: ignore[return-value]

    @classmethod
    def load(cls, path: str | Path) -> Self:
        """Read a model written by :meth:`save`. ``BaseFitter.load`` returns the right class."""
        p = Path(path)
        try:
            payload = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            from retentionkit.errors import MissingFileError

            raise MissingFileError(f"Model file {str(p)!r} does not exist.") from None
        except json.JSONDecodeError as exc:
            raise InputError(f"Model file {str(p)!r} is not valid JSON ({exc}).") from None
        if not isinstance(payload, dict):
            raise InputError(f"Model file {str(p)!r} does not hold a saved retentionkit model.")
        return cls.from_dict(payload)
