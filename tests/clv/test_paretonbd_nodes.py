"""Pareto/NBD's quadrature of A_0 computed once per likelihood-and-gradient evaluation
(``paretonbd._nodes``) gives every value to the bit as the two computations it replaces: the
numerical log A_0 of the rows scipy's 2F1 cannot take (``_log_a0_quadrature``, now computed
by the same chunked code) and the gradient's expectations: copies of the two former functions
below are the references. So a fit follows the same path to the same optimum."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from retentionkit.clv.models import paretonbd as pnbd
from retentionkit.clv.models.base import logsumexp_rows


def _expectations_before(r, alpha, s, beta, x, t_x, T):  # type: ignore[no-untyped-def]
    """``_a0_expectations`` as it was before the shared nodes (the reference)."""
    out = np.zeros((len(x), 4))
    live = t_x < T
    if not np.any(live):
        return out
    x, t_x, T = x[live], t_x[live], T[live]
    rx = r + x
    m = np.maximum(rx - 1.0, 0.5)
    l0 = np.log(alpha + t_x)
    delta = np.log(alpha + T) - l0
    w_t = np.exp(-m * delta)
    nodes = w_t[:, None] + (1.0 - w_t[:, None]) * (pnbd._GL_NODES[None, :] + 1.0) / 2.0
    y = np.exp(l0[:, None] - np.log(nodes) / m[:, None]) - alpha
    log_a = np.log(alpha + y)
    log_b = np.log(beta + y)
    terms = (
        np.log(pnbd._GL_WEIGHTS)[None, :]
        - (s + 1.0) * log_b
        + (m[:, None] + 1.0 - rx[:, None]) * log_a
    )
    share = np.exp(terms - logsumexp_rows(terms)[:, None])
    out[live, 0] = np.sum(share * log_a, axis=1)
    out[live, 1] = np.sum(share * np.exp(-log_a), axis=1)
    out[live, 2] = np.sum(share * log_b, axis=1)
    out[live, 3] = np.sum(share * np.exp(-log_b), axis=1)
    return out


def _log_a0_quadrature_before(r, alpha, s, beta, x, t_x, T):  # type: ignore[no-untyped-def]
    """``_log_a0_quadrature`` as it was before the shared nodes (the reference)."""
    rx = r + x
    m = np.maximum(rx - 1.0, 0.5)
    l0 = np.log(alpha + t_x)
    delta = np.log(alpha + T) - l0
    log_span = np.log(-np.expm1(-m * delta))
    w_t = np.exp(-m * delta)
    nodes = w_t[:, None] + (1.0 - w_t[:, None]) * (pnbd._GL_NODES[None, :] + 1.0) / 2.0
    y = np.exp(l0[:, None] - np.log(nodes) / m[:, None]) - alpha
    extra = (m[:, None] + 1.0 - rx[:, None]) * np.log(alpha + y)
    terms = np.log(pnbd._GL_WEIGHTS)[None, :] - (s + 1.0) * np.log(beta + y) + extra
    log_int = -m * l0 - np.log(m) + log_span - np.log(2.0) + logsumexp_rows(terms)
    return np.log(r + s + x) + log_int


log_param = st.floats(min_value=-6.0, max_value=12.0)


@st.composite
def rows(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(min_value=1, max_value=60))
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    rng = np.random.default_rng(seed)
    T = rng.uniform(0.5, 120.0, n)
    x = rng.integers(0, 40, n).astype(float)
    t_x = np.where(x > 0, T * rng.uniform(0.0, 1.0, n), 0.0)
    equal = rng.uniform(size=n) < 0.1  # some customers bought at the very end: t_x = T
    t_x[equal] = T[equal]
    return x, np.minimum(t_x, T), T


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.array_equal(a, b, equal_nan=True)


@settings(max_examples=300, deadline=None)
@given(log_param, log_param, log_param, log_param, rows())
def test_shared_nodes_give_the_same_bits(
    lr: float, la: float, ls: float, lb: float, data: tuple[np.ndarray, np.ndarray, np.ndarray]
) -> None:
    r, alpha, s, beta = np.exp([lr, la, ls, lb])
    x, t_x, T = data
    with np.errstate(all="ignore"):
        nodes = pnbd._nodes(r, alpha, s, beta, x, t_x, T)
        assert _same(
            pnbd._log_a0(r, alpha, s, beta, x, t_x, T, nodes),
            pnbd._log_a0(r, alpha, s, beta, x, t_x, T),
        )
        assert _same(
            pnbd._a0_expectations(r, alpha, s, beta, x, t_x, T, nodes),
            _expectations_before(r, alpha, s, beta, x, t_x, T),
        )
        live = t_x < T
        assert _same(
            pnbd._log_a0_quadrature(r, alpha, s, beta, x[live], t_x[live], T[live]),
            _log_a0_quadrature_before(r, alpha, s, beta, x[live], t_x[live], T[live]),
        )


def test_a_boundary_fit_integrates_rows_numerically() -> None:
    """The case the shared nodes are for: alpha far below beta (a fit running off to the
    exponential limit) sends rows to the quadrature; their values are the same."""
    rng = np.random.default_rng(3)
    T = rng.uniform(10, 100, 500)
    x = rng.integers(1, 30, 500).astype(float)
    t_x = T * rng.uniform(0.2, 0.99, 500)
    r, alpha, s, beta = 1.13, 1.76, 4170.6, 145667.1
    with np.errstate(all="ignore"):
        nodes = pnbd._nodes(r, alpha, s, beta, x, t_x, T)
        near_one = (beta - alpha) / (beta + t_x) > pnbd._Z_QUADRATURE
        assert near_one.sum() > 100
        assert _same(
            pnbd._log_a0(r, alpha, s, beta, x, t_x, T, nodes),
            pnbd._log_a0(r, alpha, s, beta, x, t_x, T),
        )


def test_chunks_and_reused_buffers_change_no_bit() -> None:
    """More rows than one chunk (and a partial last one): the same bits as the former
    functions, whatever the parameters (regular and at the boundary)."""
    rng = np.random.default_rng(7)
    n = 2 * pnbd._CHUNK_ROWS + 123
    T = rng.uniform(1, 150, n)
    x = rng.integers(0, 60, n).astype(float)
    t_x = np.where(x > 0, T * rng.uniform(0.0, 1.0, n), 0.0)
    t_x[::17] = T[::17]
    for r, alpha, s, beta in [(0.55, 10.6, 0.61, 11.7), (1.13, 1.76, 4170.6, 145667.1)]:
        with np.errstate(all="ignore"):
            nodes = pnbd._nodes(r, alpha, s, beta, x, t_x, T)
            assert _same(
                pnbd._a0_expectations(r, alpha, s, beta, x, t_x, T, nodes),
                _expectations_before(r, alpha, s, beta, x, t_x, T),
            )
            assert _same(
                pnbd._log_a0(r, alpha, s, beta, x, t_x, T, nodes),
                pnbd._log_a0(r, alpha, s, beta, x, t_x, T),
            )
            assert _same(
                pnbd._log_a0_quadrature(r, alpha, s, beta, x, t_x, T),
                _log_a0_quadrature_before(r, alpha, s, beta, x, t_x, T),
            )
