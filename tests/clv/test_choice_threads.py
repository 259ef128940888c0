"""``model="auto"`` on a large summary starts every fit it may need on worker threads
(:mod:`retentionkit.clv.choice`, "Speed"): the choice, its candidates table, its warnings and
the predictions are those of the one-at-a-time loop (``RETENTIONKIT_FIT_THREADS=1``), to the
last digit — also when a fit fails, the holdout summary cannot be built, or the holdout is not
needed at all."""

from __future__ import annotations

import math
import threading
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from retentionkit.clv import choice, memo, workflow
from retentionkit.clv.rfm import rfm_summary
from retentionkit.errors import InputError, ModelFitError
from retentionkit.workers import WORKERS_ENV, fit_workers
from retentionkit.workspace import Workspace

needs_two_cores = pytest.mark.skipif(fit_workers() < 2, reason="one core: no threads")


@pytest.fixture
def every_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """The threaded path for any summary size; the memo off, so every call fits."""
    monkeypatch.setattr(choice, "PARALLEL_MIN_CUSTOMERS", 0)
    monkeypatch.setenv("RETENTIONKIT_CACHE", "off")
    memo.clear()


def _both(monkeypatch: pytest.MonkeyPatch, run: Any) -> tuple[Any, Any, set[str]]:
    """(the loop's result, the threaded result, names of the threads the fits ran on)."""
    threads: set[str] = set()
    real = workflow.fit_summary_model

    def traced(summary: pd.DataFrame, model: str, penalizer: float = 0.0) -> Any:
        threads.add(threading.current_thread().name)
        return real(summary, model, penalizer)

    monkeypatch.setattr(workflow, "fit_summary_model", traced)
    monkeypatch.setenv(WORKERS_ENV, "1")
    loop = run()
    assert threads == {threading.current_thread().name}
    threads.clear()
    monkeypatch.setenv(WORKERS_ENV, "2")
    return loop, run(), threads


def _same_choice(a: choice.PurchaseChoice, b: choice.PurchaseChoice) -> None:
    assert (a.name, a.warnings) == (b.name, b.warnings)
    assert a.model.params_ == b.model.params_
    assert a.model.log_likelihood_ == b.model.log_likelihood_
    for ra, rb in zip(a.candidates, b.candidates, strict=True):
        assert ra.keys() == rb.keys()
        for key in ra:
            same = ra[key] == rb[key] or (
                isinstance(ra[key], float) and math.isnan(ra[key]) and math.isnan(rb[key])
            )
            assert same, (key, ra[key], rb[key])


@needs_two_cores
def test_predictions_and_the_choice_are_the_loops(
    gen_db: Path, monkeypatch: pytest.MonkeyPatch, every_size: None
) -> None:
    ws = Workspace(gen_db)
    loop, threaded, threads = _both(monkeypatch, lambda: workflow.predict(ws, horizon=26))
    assert any(name.startswith("clv-fit") for name in threads)
    assert loop.attrs["model"] == threaded.attrs["model"]
    assert loop.attrs["warnings"] == threaded.attrs["warnings"]
    assert loop.attrs["candidates"] == threaded.attrs["candidates"]
    pd.testing.assert_frame_equal(loop, threaded, check_exact=True)


def _summary_and_holdout(ws: Workspace) -> tuple[pd.DataFrame, pd.DataFrame]:
    summary = rfm_summary(ws, "week")
    holdout = rfm_summary(ws, "week", calibration_end=pd.Timestamp("2023-10-01"))
    return summary, holdout


@needs_two_cores
@pytest.mark.parametrize("case", ["fit fails", "holdout fails", "no holdout", "one credible"])
def test_failures_are_met_where_the_loop_meets_them(
    gen_db: Path, monkeypatch: pytest.MonkeyPatch, every_size: None, case: str
) -> None:
    ws = Workspace(gen_db)
    summary, holdout = _summary_and_holdout(ws)
    holdout_calls: list[int] = []

    def fit(name: str) -> Any:
        if case == "fit fails" and name == "mbgnbd":
            raise ModelFitError("mbgnbd cannot be fitted here (test).")
        fitted = workflow.fit_summary_model(summary, name)
        if case == "one credible" and name != "bgnbd":
            fitted.status_ = "degenerate"
        return fitted

    def holdout_frame() -> pd.DataFrame:
        holdout_calls.append(1)
        if case == "holdout fails":
            raise InputError("no customer has an order before the holdout window")
        if case == "one credible":  # built ahead but never used: its error is never raised
            raise RuntimeError("the holdout summary is not needed with one credible model")
        return holdout

    def run() -> choice.PurchaseChoice:
        frame = None if case == "no holdout" else holdout_frame
        return choice.choose_purchase_model(summary, fit, frame)

    loop, threaded, _ = _both(monkeypatch, run)
    _same_choice(loop, threaded)
    if case == "fit fails":
        assert "mbgnbd was not used: could not be fitted" in " ".join(threaded.warnings)
    if case == "holdout fails":
        assert any("holdout comparison could not be made" in w for w in threaded.warnings)
    if case == "one credible":
        assert threaded.name == "bgnbd"


@needs_two_cores
def test_no_credible_model_is_the_same_error(
    gen_db: Path, monkeypatch: pytest.MonkeyPatch, every_size: None
) -> None:
    ws = Workspace(gen_db)
    summary, holdout = _summary_and_holdout(ws)

    def fit(name: str) -> Any:
        raise ModelFitError(f"{name} cannot be fitted here (test).")

    messages = []
    for workers in ("1", "2"):
        monkeypatch.setenv(WORKERS_ENV, workers)
        with pytest.raises(choice.NoCredibleModelError) as info:
            choice.choose_purchase_model(summary, fit, lambda: holdout)
        messages.append(str(info.value))
    assert messages[0] == messages[1] and "bgnbd cannot be fitted here" in messages[0]


def test_small_summaries_fit_one_at_a_time(gen_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = Workspace(gen_db)
    summary = rfm_summary(ws, "week")
    assert len(summary) < choice.PARALLEL_MIN_CUSTOMERS
    seen: list[str] = []

    def fit(name: str) -> Any:
        seen.append(threading.current_thread().name)
        return workflow.fit_summary_model(summary, name)

    choice.choose_purchase_model(summary, fit)
    assert set(seen) == {threading.current_thread().name}


def _traced_fits(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(model, thread name) of every fit ``workflow.fit_summary_model`` makes from now on."""
    fits: list[tuple[str, str]] = []
    real = workflow.fit_summary_model

    def traced(summary: pd.DataFrame, model: str, penalizer: float = 0.0) -> Any:
        fits.append((model, threading.current_thread().name))
        return real(summary, model, penalizer)

    monkeypatch.setattr(workflow, "fit_summary_model", traced)
    return fits


@needs_two_cores
def test_the_spend_fit_runs_behind_the_choices_fits_on_their_threads(
    gen_db: Path, monkeypatch: pytest.MonkeyPatch, every_size: None
) -> None:
    ws = Workspace(gen_db)
    fits = _traced_fits(monkeypatch)
    monkeypatch.setenv(WORKERS_ENV, "2")
    workflow.predict(ws, horizon=26)
    spend = [thread for model, thread in fits if model == "gamma-gamma"]
    assert len(spend) == 1 and spend[0].startswith("clv-fit")
    # queued after every candidate's fits: it starts last of all
    assert fits[-1][0] == "gamma-gamma"


@needs_two_cores
def test_a_spend_fit_that_fails_on_a_thread_is_the_loops_error(
    gen_db: Path, monkeypatch: pytest.MonkeyPatch, every_size: None
) -> None:
    ws = Workspace(gen_db)
    real = workflow.fit_summary_model

    def failing(summary: pd.DataFrame, model: str, penalizer: float = 0.0) -> Any:
        if model == "gamma-gamma":
            raise ModelFitError("gamma-gamma cannot be fitted here (test).")
        return real(summary, model, penalizer)

    monkeypatch.setattr(workflow, "fit_summary_model", failing)
    messages = []
    for workers in ("1", "2"):
        monkeypatch.setenv(WORKERS_ENV, workers)
        with pytest.raises(ModelFitError) as info:
            workflow.predict(ws, horizon=26)
        messages.append(str(info.value))
    assert messages == ["gamma-gamma cannot be fitted here (test)."] * 2


def test_a_kept_spend_fit_is_not_fitted_again(
    gen_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(choice, "PARALLEL_MIN_CUSTOMERS", 0)
    memo.clear()
    ws = Workspace(gen_db)
    first = workflow.predict(ws, horizon=26)
    fits = _traced_fits(monkeypatch)
    again = workflow.predict(ws, horizon=26)
    assert fits == []  # the choice and the spend model are kept in this process
    pd.testing.assert_frame_equal(first, again, check_exact=True)
