"""The monthly order-KPI report of benchmarks/run.py in plain pandas: the "what an analyst would
write in a notebook" baseline. Same definitions as the engine and benchmarks/handwritten.sql
(activity customers, window = the reporting month, churn on the start basis).

Written to be reasonably fast pandas (integer customer codes, one sort, vectorised group-bys),
not a strawman. ``report(orders, returns)`` returns one row per month with the same columns as
the SQL report.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

US_PER_DAY = 86_400_000_000
ORDER_COLUMNS = ["order_id", "customer_id", "ordered_at", "amount", "quantity", "delivered_at"]
RETURN_COLUMNS = ["returned_at", "amount", "quantity"]


def _month(ts: pd.Series) -> np.ndarray:
    """Month number (year × 12 + month − 1): integer keys group and compare fast."""
    return (ts.dt.year * 12 + ts.dt.month - 1).to_numpy(dtype="int64")


def _us(ts: pd.Series) -> np.ndarray:
    return ts.to_numpy(dtype="datetime64[us]").astype("int64")


def report(orders: pd.DataFrame, returns: pd.DataFrame) -> pd.DataFrame:
    lo = min(orders["ordered_at"].min(), returns["returned_at"].min())
    hi = max(orders["ordered_at"].max(), returns["returned_at"].max())
    months = np.arange(lo.year * 12 + lo.month - 1, hi.year * 12 + hi.month)
    out = pd.DataFrame(index=pd.Index(months, name="m"))

    codes, _ = pd.factorize(orders["customer_id"])
    month = _month(orders["ordered_at"])

    # -- customers and orders: one row per customer and month --------------------------------
    cm = (
        pd.DataFrame({"c": codes, "m": month, "amount": orders["amount"]})
        .groupby(["c", "m"], sort=True)
        .agg(n=("amount", "size"), amount=("amount", "sum"))
        .reset_index()
    )
    same_customer = cm["c"].eq(cm["c"].shift())
    previous = cm["m"].shift().where(same_customer)
    cm["retained"] = previous.eq(cm["m"] - 1)
    cm["new"] = ~same_customer  # first row of a customer = the month of the first order
    cm["repeat"] = cm.groupby("c")["n"].cumsum() >= 2
    per = cm.groupby("m").agg(
        buyers=("c", "size"),
        retained=("retained", "sum"),
        new=("new", "sum"),
        repeat_buyers=("repeat", "sum"),
        orders=("n", "sum"),
        order_amount=("amount", "sum"),
    )
    per = per.reindex(out.index, fill_value=0)
    end = per["buyers"]
    start = per["buyers"].shift(1, fill_value=0)
    out["start"] = start
    out["end"] = end
    out["retained"] = per["retained"]
    out["new"] = per["new"]
    out["reactivated"] = end - per["retained"] - per["new"]
    out["lost"] = start - per["retained"]
    out["acquired"] = per["new"]
    out["orders"] = per["orders"]
    out["buyers"] = per["buyers"]
    out["order_amount"] = per["order_amount"].astype("float64")
    out["repeat_buyers"] = per["repeat_buyers"]

    # -- consecutive orders: gaps and the first-to-second purchase -----------------------------
    at = _us(orders["ordered_at"])
    order = np.lexsort((at, codes))
    c_sorted, at_sorted = codes[order], at[order]
    has_previous = np.r_[False, c_sorted[1:] == c_sorted[:-1]]
    days = np.full(len(at_sorted), np.nan)
    days[1:] = (at_sorted[1:] - at_sorted[:-1]) / US_PER_DAY
    rank = np.arange(len(c_sorted)) - np.maximum.accumulate(
        np.where(~has_previous, np.arange(len(c_sorted)), 0)
    )
    pairs = pd.DataFrame(
        {
            "m": month[order][has_previous],
            "days": days[has_previous],
            "second": rank[has_previous] == 1,
        }
    )
    gaps = pairs.groupby("m")["days"].agg(["size", "median", "mean"]).reindex(out.index)
    second = pairs[pairs["second"]].groupby("m")["days"].agg(["size", "median", "mean"])
    second = second.reindex(out.index)
    out["second_customers"] = second["size"].fillna(0).astype("int64")
    out["second_median_days"] = second["median"]
    out["second_mean_days"] = second["mean"]
    out["pairs"] = gaps["size"].fillna(0).astype("int64")
    out["gap_median_days"] = gaps["median"]
    out["gap_mean_days"] = gaps["mean"]

    # -- processing time ----------------------------------------------------------------------
    delivered = orders[orders["delivered_at"].notna()]
    proc = (
        pd.DataFrame(
            {
                "m": _month(delivered["delivered_at"]),
                "days": (_us(delivered["delivered_at"]) - _us(delivered["ordered_at"]))
                / US_PER_DAY,
            }
        )
        .groupby("m")["days"]
        .agg(["size", "median", "mean"])
        .reindex(out.index)
    )
    out["delivered"] = proc["size"].fillna(0).astype("int64")
    out["processing_median_days"] = proc["median"]
    out["processing_mean_days"] = proc["mean"]

    # -- returns and revenue --------------------------------------------------------------------
    sold = (
        pd.DataFrame({"m": month, "q": orders["quantity"], "a": orders["amount"]})
        .groupby("m")
        .agg(
            sold_quantity=("q", "sum"),
            with_q=("q", "count"),
            sold_amount=("a", "sum"),
            n=("a", "size"),
        )
        .reindex(out.index, fill_value=0)
    )
    ret = (
        pd.DataFrame(
            {"m": _month(returns["returned_at"]), "q": returns["quantity"], "a": returns["amount"]}
        )
        .groupby("m")
        .agg(
            returned_quantity=("q", "sum"),
            with_q=("q", "count"),
            returned_amount=("a", "sum"),
            n=("a", "size"),
        )
        .reindex(out.index, fill_value=0)
    )
    out["returned_amount"] = ret["returned_amount"].astype("float64")
    by_quantity = (sold["with_q"] == sold["n"]) & (ret["with_q"] == ret["n"])
    out["by_quantity"] = by_quantity
    out["sold_quantity"] = sold["sold_quantity"].astype("float64")
    out["sold_amount"] = sold["sold_amount"].astype("float64")
    out["returned_quantity"] = ret["returned_quantity"].astype("float64")

    # -- values ---------------------------------------------------------------------------------
    def div(a: pd.Series, b: pd.Series) -> pd.Series:
        return a.astype("float64") / b.astype("float64").where(b != 0)

    out["crr"] = 100 * div(out["retained"], out["start"])
    out["churn_rate"] = 100 * div(out["lost"], out["start"])
    out["active_customers"] = out["end"]
    out["new_customers"] = out["acquired"]
    out["reactivated_customers"] = out["reactivated"]
    out["lost_customers"] = out["lost"]
    out["repeat_purchase_rate"] = 100 * div(out["repeat_buyers"], out["buyers"])
    out["purchase_frequency"] = div(out["orders"], out["buyers"])
    out["average_order_value"] = div(out["order_amount"], out["orders"])
    out["revenue"] = out["order_amount"] - out["returned_amount"]
    out["time_to_second_purchase"] = out["second_median_days"]
    out["time_between_purchases"] = out["gap_median_days"]
    returned = out["returned_quantity"].where(by_quantity, out["returned_amount"])
    sold_basis = out["sold_quantity"].where(by_quantity, out["sold_amount"])
    out["return_rate"] = 100 * div(returned, sold_basis)
    out["order_processing_time"] = out["processing_median_days"]
    out.index = pd.DatetimeIndex(
        pd.to_datetime({"year": months // 12, "month": months % 12 + 1, "day": 1}),
        name="period_start",
    )
    return out.reset_index()


def load(data_dir: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The orders and returns Parquet files the benchmark generated."""
    orders = pd.read_parquet(f"{data_dir}/orders.parquet", columns=ORDER_COLUMNS)
    returns = pd.read_parquet(f"{data_dir}/returns.parquet", columns=RETURN_COLUMNS)
    return orders, returns
