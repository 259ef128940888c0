r"""sBG: the shifted-beta-geometric model of contractual retention.

Fader, P. S. & Hardie, B. G. S. (2007). "How to Project Customer Retention". *Journal of
Interactive Marketing* 21(1), 76-90; discounted expected residual lifetime from Fader & Hardie
(2010), "Customer-Base Valuation in a Contractual Setting: The Perils of Ignoring Heterogeneity",
*Marketing Science* 29(1), 85-93.

At the end of every period a customer cancels with probability :math:`\theta \sim
\mathrm{Beta}(\alpha, \beta)`. Then (F&H 2007 eqs. 3-5)

.. math::

    P(T = t) = \frac{B(\alpha + 1, \beta + t - 1)}{B(\alpha, \beta)},\qquad
    S(t) = \frac{B(\alpha, \beta + t)}{B(\alpha, \beta)},\qquad
    r(t) = \frac{S(t)}{S(t-1)} = \frac{\beta + t - 1}{\alpha + \beta + t - 1}.

A churned customer contributes :math:`\log P(T = t)`, one still active after :math:`n` periods
contributes :math:`\log S(n)` (F&H 2007 eq. 6). The gradient is analytic (digamma functions).

Data convention (the pymc-marketing individual-level layout): for each customer ``recency`` is
the period in which they cancelled (1, 2, …) and ``T`` the period now starting;
``recency == T`` means still active, i.e. survived ``T - 1`` renewals (right-censored).
Alternatively fit on a cohort's survivor counts with
:meth:`ShiftedBetaGeometricFitter.fit_survival`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import betaln, digamma, hyp2f1

from retentionkit.clv.models.base import (
    BaseFitter,
    FitData,
    FloatArray,
    as_float_array,
    check_integer,
    check_same_length,
    check_weights,
    collapse,
    index_of,
    keyed,
    wdot,
    where,
)
from retentionkit.errors import InputError, ModelFitError

__all__ = ["ShiftedBetaGeometricFitter"]


class ShiftedBetaGeometricFitter(BaseFitter):
    r"""Shifted-beta-geometric (sBG) contractual retention model, fitted by maximum likelihood.

    Parameters ``alpha, beta`` of the beta distribution of the per-period churn probability.
    See the module docstring for the formulas (Fader & Hardie 2007) and the data convention.
    """

    model_name: ClassVar[str] = "sbg"
    param_names: ClassVar[tuple[str, ...]] = ("alpha", "beta")
    kind: ClassVar[str] = "contractual"
    aliases: ClassVar[tuple[str, ...]] = ("shifted-beta-geometric",)
    description: ClassVar[str] = (
        "sBG (Fader & Hardie 2007): contractual retention, a beta-distributed churn "
        "probability per renewal period."
    )
    needs: ClassVar[str] = (
        "subscriptions: customer_id, started_at, ended_at (survival by renewal period)"
    )

    def fit(
        self, recency: ArrayLike, T: ArrayLike, weights: ArrayLike | None = None
    ) -> ShiftedBetaGeometricFitter:
        """Fit on one row per customer: ``recency`` = period of cancellation, or ``T`` if active.

        ``recency`` and ``T`` are whole numbers with ``1 <= recency <= T``; ``weights`` optionally
        counts the customers each row stands for. Returns ``self``.
        """
        idx = index_of(recency, T)
        rec = as_float_array("recency", recency)
        t = as_float_array("T", T)
        check_same_length(recency=rec, T=t)
        check_integer("recency", rec, idx)
        check_integer("T", t, idx)
        bad = (rec < 1) | (rec > t)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"sBG data need 1 <= recency <= T (recency = period of cancellation, or T for a "
                f"customer still active); {where(idx, i)} has recency={rec[i]:g}, T={t[i]:g}."
            )
        w = check_weights(weights, len(rec))
        churned = rec < t
        # an active customer in period T has survived T - 1 renewals
        periods = np.where(churned, rec, t - 1)
        if not (w[churned] > 0).any():
            raise ModelFitError(
                "ShiftedBetaGeometricFitter cannot be fitted: no customer has cancelled, so the "
                "churn probability is not identified. Observe more periods."
            )
        if not (w[periods > (churned.astype(float))] > 0).any():
            raise ModelFitError(
                "ShiftedBetaGeometricFitter cannot be fitted: every customer cancelled in the "
                "first period, so retention is zero and alpha/beta are not identified."
            )
        data = collapse({"t": periods, "churned": churned.astype(np.float64)}, w)
        self._optimise(data, "(e.g. years instead of months)")
        return self

    def fit_survival(self, survivors: Sequence[float] | ArrayLike) -> ShiftedBetaGeometricFitter:
        """Fit on a cohort's survivor counts ``[n_0, n_1, …, n_k]`` (active at the start and after
        each period), as in F&H (2007) table 1. Returns ``self``."""
        counts = as_float_array("survivors", survivors)
        if len(counts) < 2:
            raise InputError("`survivors` needs at least two counts (start and after period 1).")
        if (counts < 0).any() or (np.diff(counts) > 0).any():
            raise InputError(
                f"`survivors` must be non-negative and never increase; got {counts.tolist()}."
            )
        k = len(counts) - 1
        lost = -np.diff(counts)
        recency = np.concatenate([np.arange(1, k + 1), [k + 1]]).astype(np.float64)
        T = np.full(k + 1, k + 1, dtype=np.float64)
        weights = np.concatenate([lost, counts[-1:]])
        return self.fit(recency, T, weights)

    def _nll(
        self, params: FloatArray, data: FitData, grad: bool
    ) -> tuple[float, FloatArray | None]:
        a, b = params
        t, churned, w = data["t"], data["churned"], data["weights"]
        c = churned > 0
        base = betaln(a, b)
        ll_rows = np.where(c, betaln(a + 1, b + t - 1), betaln(a, b + t)) - base
        ll = float(wdot(w, ll_rows))
        if not grad:
            return -ll, None
        psi_ab = digamma(a + b)
        dbase_a = digamma(a) - psi_ab
        dbase_b = digamma(b) - psi_ab
        psi_abt = digamma(a + b + t)
        da_rows = np.where(c, digamma(a + 1) - psi_abt, digamma(a) - psi_abt) - dbase_a
        db_rows = np.where(c, digamma(b + t - 1), digamma(b + t)) - psi_abt - dbase_b
        return -ll, -np.array([wdot(w, da_rows), wdot(w, db_rows)])

    # -- predictions --------------------------------------------------------------------------

    def survival_function(self, t: ArrayLike) -> Any:
        r"""S(t): share of a new cohort still active after ``t`` periods (F&H 2007 eq. 5)."""
        a, b = self._p()
        idx = index_of(t)
        tt = _periods("t", t, minimum=0)
        return keyed(np.exp(betaln(a, b + tt) - betaln(a, b)), idx, "survival")

    def retention_rate(self, t: ArrayLike) -> Any:
        r"""r(t) = S(t)/S(t-1) = (beta + t - 1)/(alpha + beta + t - 1), t >= 1 (F&H 2007 eq. 7)."""
        a, b = self._p()
        idx = index_of(t)
        tt = _periods("t", t, minimum=1)
        return keyed((b + tt - 1) / (a + b + tt - 1), idx, "retention_rate")

    def probability_of_churn_at(self, t: ArrayLike) -> Any:
        r"""P(T = t): probability that a new customer cancels in period ``t`` >= 1 (eq. 3)."""
        a, b = self._p()
        idx = index_of(t)
        tt = _periods("t", t, minimum=1)
        return keyed(np.exp(betaln(a + 1, b + tt - 1) - betaln(a, b)), idx, "p_churn")

    def discounted_expected_residual_lifetime(
        self, renewals: ArrayLike, discount_rate: float = 0.1
    ) -> Any:
        r"""DERL: discounted expected number of further payments of an active customer.

        Fader & Hardie (2010) eq. (6), for a customer who has made ``renewals`` = n - 1 renewals
        (is in period n) and per-period discount rate ``d``:

        .. math::

            \mathrm{DERL}(d \mid n - 1) = \frac{\beta + n - 1}{\alpha + \beta + n - 1}\;
                {}_2F_1\!\left(1, \beta + n; \alpha + \beta + n; \frac{1}{1 + d}\right)

        ``renewals = 0`` with the first payment added (``1 + DERL``) is the DEL of a new
        customer. Multiply by the per-period margin for the residual value.
        """
        a, b = self._p()
        if not np.isfinite(discount_rate) or discount_rate <= 0:
            raise InputError(
                f"`discount_rate` must be > 0 (without discounting the expected lifetime can be "
                f"infinite); got {discount_rate!r}."
            )
        idx = index_of(renewals)
        k = _periods("renewals", renewals, minimum=0)
        n = k + 1
        out = (b + n - 1) / (a + b + n - 1) * hyp2f1(1.0, b + n, a + b + n, 1 / (1 + discount_rate))
        return keyed(np.asarray(out, dtype=np.float64), idx, "derl")


def _periods(name: str, t: ArrayLike, minimum: int) -> FloatArray:
    arr = as_float_array(name, t)
    check_integer(name, arr)
    if (arr < minimum).any():
        raise InputError(f"`{name}` must be whole numbers >= {minimum}; got {arr.min():g}.")
    return arr
