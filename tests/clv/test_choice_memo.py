"""The in-process memo of ``model="auto"`` choices (:mod:`retentionkit.clv.memo`): the same
inputs give the same choice without refitting; different inputs, a different holdout summary or
``RETENTIONKIT_CACHE=off`` refit."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from retentionkit.clv import memo, rfm, workflow
from retentionkit.workspace import Workspace


@pytest.fixture
def fits(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The purchase models fitted by choose_purchase, in order (the spend model is fitted by
    every prediction: it is not part of the choice)."""
    seen: list[str] = []
    real = workflow.fit_summary_model

    def counted(summary: pd.DataFrame, model: str, penalizer: float = 0.0) -> Any:
        if model in workflow.PURCHASE_MODELS:
            seen.append(model)
        return real(summary, model, penalizer)

    monkeypatch.setattr(workflow, "fit_summary_model", counted)
    memo.clear()
    yield seen
    memo.clear()


#: Spend columns: DuckDB's parallel sums of the amounts round differently from run to run.
_SPEND = ["monetary_value", "expected_avg_spend", "clv"]


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    """The purchase model's columns bit for bit, spend to 1e-12."""
    pd.testing.assert_frame_equal(a.drop(columns=_SPEND), b.drop(columns=_SPEND), check_exact=True)
    pd.testing.assert_frame_equal(a[_SPEND], b[_SPEND], rtol=1e-12)
    assert a.attrs["model"] == b.attrs["model"] and a.attrs["candidates"] == b.attrs["candidates"]
    assert [w for w in a.attrs["warnings"] if "spend" not in w] == [
        w for w in b.attrs["warnings"] if "spend" not in w
    ]


def test_the_same_summary_is_fitted_once_and_predicts_the_same(
    gen_db: Path, fits: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = Workspace(gen_db)
    first = workflow.predict(ws, horizon=26)
    n = len(fits)
    assert n == 3  # every purchase model
    again = workflow.predict(ws, horizon=26)
    assert len(fits) == n  # nothing refitted
    _same(first, again)
    other = workflow.predict(ws, horizon=52, margin=0.5)  # the CLV page's options: no refit
    assert len(fits) == n and other.attrs["model"] == first.attrs["model"]
    fitted = workflow.fit(
        ws, model="auto"
    )  # adds warnings to its model: the kept copy must not change
    assert len(fits) == n
    _same(workflow.predict(ws, horizon=26), first)
    assert fitted.model.warnings_
    # the kept answer is the fresh answer
    memo.clear()
    _same(workflow.predict(ws, horizon=26), first)
    assert len(fits) > n
    # off: every call fits
    monkeypatch.setenv("RETENTIONKIT_CACHE", "off")
    m = len(fits)
    workflow.predict(ws, horizon=26)
    assert len(fits) > m


def test_another_holdout_summary_refits(
    gen_db: Path, fits: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = Workspace(gen_db)
    first = workflow.predict(ws, horizon=26)
    assert any("holdout" in w for w in first.attrs["warnings"])  # it read the holdout summary
    n = len(fits)
    real = rfm.rfm_summary

    def shifted(ws: Workspace, time_unit: str = "week", *args: Any) -> pd.DataFrame:
        frame = real(ws, time_unit, *args)
        if len(args) > 1 and args[1] is not None:  # the calibration summary only
            frame = frame.iloc[1:].reset_index(drop=True)
        return frame

    monkeypatch.setattr(rfm, "rfm_summary", shifted)
    workflow.predict(ws, horizon=26)
    assert len(fits) > n


def test_other_data_refits(gen_db: Path, tmp_path: Path, fits: list[str]) -> None:
    copy = tmp_path / "copy.duckdb"
    shutil.copy(gen_db, copy)
    workflow.predict(Workspace(gen_db), horizon=26)
    n = len(fits)
    ws = Workspace(copy)
    orders = ws.table("orders").limit(1).execute()
    orders["order_id"] = "memo-test-order"
    orders["ordered_at"] = pd.Timestamp(ws.table("orders").ordered_at.max().execute())
    if "delivered_at" in orders:
        orders["delivered_at"] = orders["ordered_at"]
    ws.ingest("orders", orders)
    workflow.predict(ws, horizon=26)
    assert len(fits) > n


def test_the_spend_fit_is_kept_by_the_summarys_spend_cells(
    gen_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Gamma-Gamma fit is kept by content like the choice: a second prediction on the same
    data does not refit it and gives the same numbers; the cache switch refits, and other spend
    cells or another penalizer are another key."""
    fitted: list[str] = []
    real = workflow.fit_summary_model

    def counted(summary: pd.DataFrame, model: str, penalizer: float = 0.0) -> Any:
        if model == "gamma-gamma":
            fitted.append(model)
        return real(summary, model, penalizer)

    monkeypatch.setattr(workflow, "fit_summary_model", counted)
    memo.clear()
    ws = Workspace(gen_db)
    first = workflow.predict(ws, horizon=26)
    again = workflow.predict(ws, horizon=26)
    assert fitted == ["gamma-gamma"]
    pd.testing.assert_frame_equal(first, again, check_exact=True)
    monkeypatch.setenv("RETENTIONKIT_CACHE", "off")
    workflow.predict(ws, horizon=26)
    assert len(fitted) == 2
    monkeypatch.delenv("RETENTIONKIT_CACHE")
    summary = rfm.rfm_summary(ws, "week")
    changed = summary.assign(monetary_value=summary["monetary_value"] * 1.5)
    key = memo.spend_key(summary, "gamma-gamma", 0.0)
    assert memo.spend_key(changed, "gamma-gamma", 0.0) != key
    assert memo.spend_key(summary, "gamma-gamma", 0.01) != key
    memo.clear()


def test_the_digest_sees_every_cell_of_the_ids() -> None:
    """The text fast path of the digest (lengths and UTF-8 bytes) tells apart ids that a plain
    concatenation would not, and equal frames of either string type digest the same."""
    import pandas as pd

    from retentionkit.clv.memo import digest

    def frame(ids: list[str], dtype: str = "str") -> pd.DataFrame:
        return pd.DataFrame(
            {"customer_id": pd.Series(ids, dtype=dtype), "frequency": [1] * len(ids)}
        )

    assert digest(frame(["ab", "c"])) != digest(frame(["a", "bc"]))
    assert digest(frame(["ab", "c"])) != digest(frame(["c", "ab"]))
    assert digest(frame(["é", "x"])) != digest(frame(["e", "x"]))
    assert digest(frame(["ab", "c"])) == digest(frame(["ab", "c"], dtype="object"))
    assert digest(frame(["1", "2"])) != digest(
        pd.DataFrame({"customer_id": [1, 2], "frequency": [1, 1]})
    )
