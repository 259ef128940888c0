"""clv predict on messy spend (issue 12 item 1, retentionkit/clv/spend.py): no amounts at all,
repeat buyers whose repeat orders have no amount, and too few repeat buyers for a fit."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest

from retentionkit.workspace import Workspace


def _orders(n_customers: int, max_orders: int, seed: int = 1) -> pd.DataFrame:
    rng = random.Random(seed)
    rows = []
    for c in range(n_customers):
        t = pd.Timestamp("2024-01-01")
        for k in range(rng.randint(1, max_orders)):
            t += pd.Timedelta(days=rng.randint(5, 60))
            rows.append((f"o{c}_{k}", f"c{c}", t, round(rng.uniform(5, 80), 2)))
    return pd.DataFrame(rows, columns=["order_id", "customer_id", "ordered_at", "amount"])


@pytest.fixture
def ws(tmp_path):
    with Workspace(tmp_path / "w.duckdb") as w:
        yield w


def test_no_amounts_gives_purchases_and_p_alive_but_null_money(ws: Workspace) -> None:
    ws.ingest("orders", _orders(40, 6).drop(columns="amount"))
    out = ws.clv(horizon=52)
    assert out["clv"].isna().all() and out["expected_avg_spend"].isna().all()
    assert out["p_alive"].between(0, 1).all() and out["expected_purchases"].notna().all()
    assert out.attrs["spend_model"] == "mean-spend"
    assert any("carry no amount" in w for w in out.attrs["warnings"])


def test_repeat_buyers_without_amounts_get_the_population_mean(ws: Workspace) -> None:
    orders = _orders(60, 6)
    repeat = orders[orders.duplicated("customer_id")]
    unpriced = repeat["customer_id"].iloc[0]
    orders.loc[orders["customer_id"] == unpriced, "amount"] = np.nan
    ws.ingest("orders", orders)
    out = ws.clv(horizon=52).set_index("customer_id")
    assert pd.isna(out.loc[unpriced, "monetary_value"])
    assert np.isfinite(out["clv"]).all()
    assert any(f"({unpriced})" in w and "population mean" in w for w in out.attrs["warnings"])


def test_too_few_repeat_buyers_use_the_mean_order_value(ws: Workspace) -> None:
    orders = _orders(50, 1)  # one order each …
    extra = orders.iloc[:2].copy()  # … but two repeat buyers
    extra["order_id"] += "_again"
    extra["ordered_at"] += pd.Timedelta(days=30)
    both = pd.concat([orders, extra], ignore_index=True)
    ws.ingest("orders", both)
    out = ws.clv(horizon=52)
    mean = both["amount"].mean()
    assert out["expected_avg_spend"].to_numpy() == pytest.approx(np.full(len(out), mean))
    assert out.attrs["spend_model"] == "mean-spend"
    assert any("Only 2 repeat buyers" in w for w in out.attrs["warnings"])
