"""What the passes that group orders per customer and period compute: the sold quantity of the
return rate is its own family (metrics.orders.sold_plan), so those passes carry no quantity
unless a return rate is asked for, and the return rate (by quantity, or by amount where a
quantity is missing) is unchanged; repeat buyers come from the lag of the customer's periods,
not from a running sum (metrics.customers.repeat_flag)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import retentionkit as rk
from retentionkit.config import Settings
from retentionkit.metrics.engine import compute_metrics

#: A sum or count of a quantity column in explained SQL (inner selects list every column).
AGGREGATED_QUANTITY = re.compile(r"(sum|count)\([^()]*quantity", re.IGNORECASE)

ORDERS = pd.DataFrame(
    {
        "order_id": [f"o{i}" for i in range(1, 9)],
        "customer_id": ["a", "a", "b", "b", "c", "c", "d", "a"],
        "ordered_at": pd.to_datetime(
            [
                "2024-01-03",
                "2024-01-20",
                "2024-01-05",
                "2024-02-07",
                "2024-02-09",
                "2024-03-01",
                "2024-03-15",
                "2024-03-20",
            ]
        ),
        "amount": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0],
        # February has an order without a quantity: its return rate is by amount
        "quantity": [1, 2, 3, None, 5, 6, 7, 8],
    }
)
RETURNS = pd.DataFrame(
    {
        "return_id": ["r1", "r2", "r3"],
        "order_id": ["o2", "o4", "o6"],
        "customer_id": ["a", "b", "c"],
        "returned_at": pd.to_datetime(["2024-01-25", "2024-02-20", "2024-03-10"]),
        "amount": [20.0, 10.0, 60.0],
        "quantity": [1, 1, 6],
    }
)
CUSTOMERS = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "country": ["DE", "FR", "DE", "FR"]})


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sold") / "ws.duckdb"
    ws = rk.Workspace(path, settings=Settings())
    ws.ingest("customers", CUSTOMERS)
    ws.ingest("orders", ORDERS.astype({"quantity": "Int64"}))
    ws.ingest("returns", RETURNS)
    ws.close()
    return path


def _expected(segment_of: dict[str, str] | None) -> dict[tuple[str, str], tuple[float, str]]:
    """Return rate per (month, segment), by hand: returned / sold quantity, or amount when an
    order or a return of the month has no quantity (SPEC §4, return_rate)."""
    orders = ORDERS.assign(month=ORDERS["ordered_at"].dt.strftime("%Y-%m"))
    returns = RETURNS.assign(month=RETURNS["returned_at"].dt.strftime("%Y-%m"))
    for frame in (orders, returns):
        frame["segment"] = frame["customer_id"].map(segment_of) if segment_of else "all"
    out = {}
    for (month, segment), sold in orders.groupby(["month", "segment"]):
        back = returns[(returns["month"] == month) & (returns["segment"] == segment)]
        by_quantity = sold["quantity"].notna().all() and back["quantity"].notna().all()
        column = "quantity" if by_quantity else "amount"
        rate = 100 * back[column].sum() / sold[column].sum()
        out[(month, segment)] = (rate, column)
    return out


@pytest.mark.parametrize("segment", [None, "country"])
def test_return_rate_by_quantity_or_amount(shop: Path, segment: str | None) -> None:
    ws = rk.Workspace(shop, settings=Settings())
    try:
        got = compute_metrics(ws, ["return_rate"], segment=segment)
    finally:
        ws.close()
    countries = dict(zip(CUSTOMERS["customer_id"], CUSTOMERS["country"], strict=True))
    segment_of = countries if segment else None
    want = _expected(segment_of)
    seen = {}
    for row in got.itertuples():
        key = (pd.Timestamp(row.period_start).strftime("%Y-%m"), row.segment)
        if key in want:
            seen[key] = (row.value, row.components["basis"])
    assert seen.keys() == want.keys()
    for key, (rate, basis) in want.items():
        assert seen[key][1] == basis, key
        assert seen[key][0] == pytest.approx(rate, rel=1e-9), key
    assert ("2024-02", "all") not in want or want[("2024-02", "all")][1] == "amount"


@pytest.mark.parametrize(
    "metric", ["crr", "revenue", "average_order_value", "repeat_purchase_rate"]
)
def test_order_passes_carry_no_quantity_without_a_return_rate(shop: Path, metric: str) -> None:
    ws = rk.Workspace(shop, settings=Settings())
    try:
        windowed = [q for q in ws.explain(metric).split(";\n\n") if " OVER " in q]
        assert windowed  # the per-customer pass (a window over customer and period)
        assert not any(AGGREGATED_QUANTITY.search(q) for q in windowed)
        assert AGGREGATED_QUANTITY.search(ws.explain("return_rate"))
    finally:
        ws.close()


#: A running sum over a window in explained SQL.
WINDOWED_SUM = re.compile(r"SUM\([^()]*\)\s+OVER", re.IGNORECASE)


@pytest.mark.parametrize("options", [{}, {"active_window": "90d"}])
def test_repeat_buyers_need_no_running_sum(shop: Path, options: dict[str, str]) -> None:
    """Repeat buyers (second-ever order placed by the period's end) come from the lag of the
    customer's periods, not from a running sum of orders (metrics.customers.repeat_flag)."""
    ws = rk.Workspace(shop, settings=Settings())
    try:
        assert not WINDOWED_SUM.search(ws.explain("repeat_purchase_rate", **options))
        got = compute_metrics(ws, ["repeat_purchase_rate"], **options)
    finally:
        ws.close()
    by_month = {
        pd.Timestamp(r.period_start).strftime("%Y-%m"): r.components["repeat_buyers"]
        for r in got.itertuples()
    }
    # a: two orders in January (repeat at once), one in March; b: January then February;
    # c: February then March; d: one order in March
    assert by_month == {"2024-01": 1, "2024-02": 1, "2024-03": 2}
