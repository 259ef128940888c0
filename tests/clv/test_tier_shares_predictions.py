"""The ``clv_tier`` segment reads the predictions of the ``ClvPredictRequest`` operation (so
from the result cache when ``clv predict``, ``GET /api/clv`` or the CLV page computed them on
the same data), and its tiers are those of a direct prediction, cache or not."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from retentionkit.clv import workflow
from retentionkit.config import monthly_rate
from retentionkit.service.operations import run
from retentionkit.service.requests import ClvPredictRequest
from retentionkit.workspace import Workspace
from rk_test_support import count_calls


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from retentionkit.generate import generate_business

    db = tmp_path_factory.mktemp("tiers") / "shop.duckdb"
    ws = Workspace(db)
    data = generate_business(customers=300, months=15, seed=3, kind="ecommerce")
    ws.ingest("orders", data["orders"])
    ws.con.disconnect()
    return db


def _direct(ws: Workspace) -> pd.DataFrame:
    """The tiers computed the way the scheme did before: its own prediction."""
    predictions = workflow.predict(
        ws,
        horizon=52,
        time_unit="week",
        margin=ws.settings.gross_margin,
        discount_rate=monthly_rate(ws.settings.annual_discount_rate),
    )
    tiers = workflow.value_tiers(predictions)
    return tiers[["customer_id", "tier"]].rename(columns={"tier": "segment"})


def _tiers(ws: Workspace) -> pd.DataFrame:
    return workflow.tier_segment_table(ws).execute()


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    a = a.astype(str).sort_values("customer_id").reset_index(drop=True)
    b = b.astype(str).sort_values("customer_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    assert set(a["segment"]) == {"top 1%", "top 5%", "top 20%", "rest"}


def _count_predictions(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    return count_calls(monkeypatch, workflow, "predict")


def test_after_clv_predict_the_tiers_predict_nothing(shop, monkeypatch, tmp_path):
    monkeypatch.setenv("RETENTIONKIT_CACHE", "on")
    db = tmp_path / "copy.duckdb"
    db.write_bytes(shop.read_bytes())
    ws = Workspace(db)
    with monkeypatch.context() as m:
        m.setenv("RETENTIONKIT_CACHE", "off")
        truth = _direct(ws)
    run(ws, ClvPredictRequest())  # the CLV page's request (gross margin 1.0 by default)
    calls = _count_predictions(monkeypatch)
    _same(_tiers(ws), truth)
    assert calls[0] == 0, "the tiers predicted again instead of reading the cached answer"


def test_without_the_cache_the_tiers_are_the_same(shop, monkeypatch):
    monkeypatch.setenv("RETENTIONKIT_CACHE", "off")
    ws = Workspace(shop)
    calls = _count_predictions(monkeypatch)
    got = _tiers(ws)
    assert calls[0] == 1
    monkeypatch.undo()
    monkeypatch.setenv("RETENTIONKIT_CACHE", "off")
    _same(got, _direct(ws))


def test_the_configured_margin_is_the_requests(shop, monkeypatch, tmp_path):
    """A gross margin of 0.4: the tiers ask for CLV at that margin, as they did."""
    monkeypatch.setenv("RETENTIONKIT_CACHE", "on")
    db = tmp_path / "margin.duckdb"
    db.write_bytes(shop.read_bytes())
    (tmp_path / "retentionkit.toml").write_text("gross_margin = 0.4\n")
    ws = Workspace(db, config=tmp_path / "retentionkit.toml")
    assert ws.settings.gross_margin == 0.4
    with monkeypatch.context() as m:
        m.setenv("RETENTIONKIT_CACHE", "off")
        truth = _direct(ws)
    _same(_tiers(ws), truth)
    calls = _count_predictions(monkeypatch)
    run(ws, ClvPredictRequest(margin=0.4))  # stored by the tiers: a hit
    assert calls[0] == 0
