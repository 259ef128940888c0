"""Cohort tables, the RFM summary (with holdout columns) and the RFM segment scheme give the
same results on PostgreSQL (ibis[postgres]) and on Spark (ibis[pyspark]) as on DuckDB, from the
same generated business."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from .conftest import ENGINES, engine_param

pytestmark = [
    pytest.mark.slow,
    pytest.mark.parametrize("engine", [engine_param(e) for e in ENGINES]),
]

KINDS = ("customers", "unbounded", "revenue", "cumulative_revenue")


def _same(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> None:
    a = a.sort_values(keys).reset_index(drop=True)
    b = b.sort_values(keys).reset_index(drop=True)
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b) and len(a) > 0
    for col in a.columns:
        if pd.api.types.is_numeric_dtype(a[col]) and not pd.api.types.is_bool_dtype(a[col]):
            pd.testing.assert_series_equal(
                a[col].astype("float64"),
                b[col].astype("float64"),
                rtol=1e-9,
                atol=1e-12,
                check_names=False,
            )
        else:
            assert a[col].astype(str).tolist() == b[col].astype(str).tolist(), col


@pytest.mark.parametrize("definition", ["activity", "contractual"])
@pytest.mark.parametrize("kind", KINDS)
def test_cohorts_match(
    duck_ws: Any, engine_ws: Any, engine: str, kind: str, definition: str
) -> None:
    args = dict(period="month", kind=kind, customer_definition=definition)
    _same(duck_ws.cohorts(**args), engine_ws.cohorts(**args), ["cohort", "offset"])


def test_cohorts_by_segment_match(duck_ws: Any, engine_ws: Any, engine: str) -> None:
    args = dict(period="quarter", kind="customers", segment="channel")
    _same(duck_ws.cohorts(**args), engine_ws.cohorts(**args), ["segment", "cohort", "offset"])


@pytest.mark.parametrize("time_unit", ["day", "week", "month"])
def test_rfm_matches(duck_ws: Any, engine_ws: Any, engine: str, time_unit: str) -> None:
    _same(duck_ws.rfm(time_unit), engine_ws.rfm(time_unit), ["customer_id"])


def test_rfm_holdout_matches(duck_ws: Any, engine_ws: Any, engine: str) -> None:
    end = duck_ws.table("orders").ordered_at.max().execute()
    obs = pd.Timestamp(end).date()
    cal = (pd.Timestamp(end) - pd.Timedelta(days=90)).date()
    _same(duck_ws.rfm("week", obs, cal), engine_ws.rfm("week", obs, cal), ["customer_id"])


def test_rfm_segments_match(duck_ws: Any, engine_ws: Any, engine: str) -> None:
    _same(
        duck_ws.segments("rfm", per_customer=True),
        engine_ws.segments("rfm", per_customer=True),
        ["customer_id"],
    )


def test_segment_summaries_match(duck_ws: Any, engine_ws: Any, engine: str) -> None:
    # revenue summed exactly and rounded to the amounts' 4 decimals on every backend
    _same(duck_ws.segments("rfm"), engine_ws.segments("rfm"), ["segment"])


def test_rfm_holdout_of_some_customers_matches(duck_ws: Any, engine_ws: Any, engine: str) -> None:
    """The holdout summary of the customers ``model="auto"`` samples (a semi-join on their
    ids, ``rfm_summary(customers=…)``) holds the whole summary's rows of those customers."""
    from retentionkit.clv.rfm import rfm_summary

    end = duck_ws.table("orders").ordered_at.max().execute()
    obs = pd.Timestamp(end).date()
    cal = (pd.Timestamp(end) - pd.Timedelta(days=90)).date()
    whole = rfm_summary(duck_ws, "week", obs, cal)
    some = whole["customer_id"].iloc[::3].reset_index(drop=True)
    expected = whole[whole["customer_id"].isin(some)]
    _same(expected, rfm_summary(duck_ws, "week", obs, cal, customers=some), ["customer_id"])
    _same(expected, rfm_summary(engine_ws, "week", obs, cal, customers=some), ["customer_id"])
