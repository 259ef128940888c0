"""Fits side by side change no number (issue 17 item 4).

:func:`retentionkit.churn.threads.parallel_map` runs a cross-validation's fold fits and a
backtest's evaluation folds on threads. The reference is the same code on one thread
(``RETENTIONKIT_FIT_THREADS=1``, a plain loop): every out-of-fold prediction, score and report
must be equal to the last digit.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from retentionkit.churn import candidates as churn_candidates
from retentionkit.churn import pipeline as churn_pipeline
from retentionkit.churn import threads as churn_threads
from retentionkit.churn.candidates import CANDIDATES, Candidate, cross_validate
from retentionkit.churn.features_file import coerce_features, infer_feature_types
from retentionkit.churn.threads import WORKERS_ENV, fit_workers, parallel_map
from retentionkit.generate import generate_business
from retentionkit.workspace import Workspace

from .conftest import synthetic_customers

needs_two_cores = pytest.mark.skipif(fit_workers() < 2, reason="one core: no threads")


@pytest.fixture
def fit_threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Small test data run on threads too (no minimum size); the names of the threads that
    fitted a classifier are collected, so a test can show the threads were used."""
    monkeypatch.setattr(churn_threads, "PARALLEL_MIN_ROWS", 0)
    names: list[str] = []
    fit = churn_candidates.fit_quiet

    def recording(est, X, y) -> None:  # type: ignore[no-untyped-def]
        names.append(threading.current_thread().name)
        fit(est, X, y)

    monkeypatch.setattr(churn_candidates, "fit_quiet", recording)
    return names


def test_parallel_map_keeps_the_order_and_raises_the_first_error_in_order() -> None:
    assert parallel_map(lambda x: x * x, range(7)) == [0, 1, 4, 9, 16, 25, 36]
    assert parallel_map(lambda x: x, []) == []

    def fail(x: int) -> int:
        if x in (2, 5):
            raise KeyError(x)
        return x

    with pytest.raises(KeyError) as info:
        parallel_map(fail, range(7))
    assert info.value.args == (2,)


@needs_two_cores
def test_workers_are_threads_with_one_native_thread_and_nesting_runs_inline() -> None:
    from threadpoolctl import threadpool_info

    def where(_: int) -> tuple[str, list[int], list[str]]:
        inner = parallel_map(lambda _i: threading.current_thread().name, range(3))
        native = [lib["num_threads"] for lib in threadpool_info()]
        return threading.current_thread().name, native, inner

    out = parallel_map(where, range(2))
    for name, native, inner in out:
        assert name.startswith("fit")  # a worker of the pool
        assert native and set(native) == {1}  # OpenMP (per thread) and BLAS both limited
        assert inner == [name] * 3  # the nested call ran in the worker itself
    # the limits are restored afterwards in the calling thread
    assert any(lib["num_threads"] > 1 for lib in threadpool_info()) or fit_workers() == 1


def test_small_fits_and_a_cap_of_one_run_in_a_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    me = threading.current_thread().name
    small = churn_threads.PARALLEL_MIN_ROWS - 1
    assert (
        parallel_map(lambda _i: threading.current_thread().name, range(3), rows=small) == [me] * 3
    )


def test_the_environment_caps_the_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WORKERS_ENV, "1")
    assert fit_workers() == 1
    assert (
        parallel_map(lambda _i: threading.current_thread().name, range(3))
        == [threading.current_thread().name] * 3
    )
    monkeypatch.setenv(WORKERS_ENV, "many")  # not an integer: ignored
    assert fit_workers() >= 1


def _cv(monkeypatch: pytest.MonkeyPatch, threads: str, candidates: list[Candidate]):
    frame = synthetic_customers(n=600, seed=3)
    y = (frame["churned"] == "Yes").to_numpy().astype(int)
    X = frame.drop(columns=["customer", "churned"])
    types, _ = infer_feature_types(X)
    data = coerce_features(X, types)
    monkeypatch.setenv(WORKERS_ENV, threads)
    return cross_validate(candidates, data, y, types, 5, 3)


@needs_two_cores
def test_cross_validation_on_threads_equals_the_loop(
    monkeypatch: pytest.MonkeyPatch, fit_threads: list[str]
) -> None:
    # a candidate that cannot fit (C must be positive) keeps its error sentence either way
    broken = Candidate("broken", "logistic", {"C": -1.0, "splines": True})
    candidates = [*CANDIDATES.values(), broken]
    best_1, results_1, folds_1 = _cv(monkeypatch, "1", candidates)
    assert not any(n.startswith("fit") for n in fit_threads)
    fit_threads.clear()
    best_n, results_n, folds_n = _cv(monkeypatch, "2", candidates)
    assert {n.split("_")[0] for n in fit_threads} == {"fit"}  # every fit ran on a worker
    assert len(set(fit_threads)) == 2
    assert folds_1 == folds_n == 5
    assert best_1["candidate"] == best_n["candidate"]
    for one, many in zip(results_1, results_n, strict=True):
        assert one["candidate"] == many["candidate"]
        assert one.get("error") == many.get("error")
        if "error" in one:
            continue
        assert one["roc_auc"] == many["roc_auc"]
        assert one["roc_auc_std"] == many["roc_auc_std"]
        np.testing.assert_array_equal(one["oof"], many["oof"])
    assert "error" in results_n[-1] and "C" in results_n[-1]["error"]


@needs_two_cores
def test_backtest_on_threads_equals_the_loop(
    tmp_path, monkeypatch: pytest.MonkeyPatch, fit_threads: list[str]
) -> None:
    ws = Workspace(tmp_path / "shop.duckdb")
    frames = generate_business(customers=600, months=24, seed=5, kind="ecommerce")
    ws.ingest("orders", frames["orders"])
    monkeypatch.setenv(WORKERS_ENV, "1")
    one = churn_pipeline.backtest(ws, horizon="60d", folds=3)
    monkeypatch.setenv(WORKERS_ENV, "2")
    assert not any(n.startswith("fit") for n in fit_threads)
    many = churn_pipeline.backtest(ws, horizon="60d", folds=3)
    assert {n.split("_")[0] for n in fit_threads} >= {"fit"}
    assert len(one["folds"]) == 3
    assert one == many
