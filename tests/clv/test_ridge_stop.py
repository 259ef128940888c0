"""A Pareto/NBD search that has reached its exponential limit stops there
(:class:`retentionkit.clv.models.base._RidgeStop`); a regular fit's search is unchanged."""

from __future__ import annotations

from typing import Any

import pytest

from retentionkit.clv.models import ParetoNBDFitter
from retentionkit.clv.simulate import simulate_paretonbd


class _Counted(ParetoNBDFitter):
    calls = 0

    def _nll(self, params: Any, data: Any, grad: bool) -> Any:
        type(self).calls += 1
        return super()._nll(params, data, grad)


class _FullSearch(_Counted):
    """The search before the ridge stop: never in a limit region."""

    calls = 0

    def _in_limit_region(self, theta: Any) -> bool:
        return False


def _fit(cls: type[_Counted], d: dict) -> tuple[ParetoNBDFitter, int]:
    cls.calls = 0
    m = cls().fit(d["frequency"], d["recency"], d["T"])
    return m, cls.calls


@pytest.mark.slow  # the full search at the boundary takes ~10 s
def test_a_boundary_fit_stops_on_the_ridge_with_the_same_limit() -> None:
    d = simulate_paretonbd(1500, 0.5, 5.0, 1e6, 1e6 / 0.02, T=52.0, seed=7)
    fast, fast_calls = _fit(_Counted, d)
    full, full_calls = _fit(_FullSearch, d)
    assert fast.status_ == full.status_ == "boundary"
    assert fast_calls < full_calls / 2
    for key in ("r", "alpha", "mu"):
        assert fast.limit_[key] == pytest.approx(full.limit_[key], rel=1e-3)
    assert fast.log_likelihood_ == pytest.approx(full.log_likelihood_, rel=1e-6)


def test_a_regular_fit_is_the_same_with_and_without_the_ridge_stop() -> None:
    d = simulate_paretonbd(1500, 0.6, 4.0, 0.8, 12.0, T=52.0, seed=5)
    fast, _ = _fit(_Counted, d)
    full, _ = _fit(_FullSearch, d)
    assert fast.status_ == "ok"
    assert fast.params_ == full.params_ and fast.log_likelihood_ == full.log_likelihood_
