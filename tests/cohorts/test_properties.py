"""Invariants of the cohort tables, on the generated business and on Hypothesis-drawn orders."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retentionkit.workspace import Workspace


@pytest.mark.parametrize("definition", ["activity", "contractual"])
@pytest.mark.parametrize("period", ["week", "month", "quarter"])
def test_retention_invariants(ws: Workspace, business, definition: str, period: str) -> None:
    classic = ws.cohorts(period=period, kind="customers", customer_definition=definition)
    unbounded = ws.cohorts(period=period, kind="unbounded", customer_definition=definition)
    # offset 0 is the acquisition period: everyone in the cohort is active there
    assert (classic.loc[classic["offset"] == 0, "value"] == 100.0).all()
    assert (unbounded.loc[unbounded["offset"] == 0, "value"] == 100.0).all()
    # same triangle, unbounded ≥ classic, unbounded never rises
    assert classic[["cohort", "offset", "size"]].equals(unbounded[["cohort", "offset", "size"]])
    assert (unbounded["value"] >= classic["value"] - 1e-9).all()
    assert (unbounded.groupby("cohort")["value"].diff().dropna() <= 1e-9).all()
    assert classic["value"].between(0, 100).all()
    # sizes sum to the customers
    table = business["orders"] if definition == "activity" else business["subscriptions"]
    sizes = classic.groupby("cohort")["size"].first()
    assert sizes.sum() == table["customer_id"].nunique()
    # the triangle: cohort c has offsets 0 … (last period − c), one fewer per later cohort
    counts = classic.groupby("cohort")["offset"].agg(["min", "max", "count"])
    assert (counts["min"] == 0).all() and (counts["count"] == counts["max"] + 1).all()
    assert np.all(np.diff(counts["max"].to_numpy()) < 0)


def test_revenue_kinds(ws: Workspace) -> None:
    revenue = ws.cohorts(kind="revenue")
    cumulative = ws.cohorts(kind="cumulative_revenue")
    assert (revenue.loc[revenue["offset"] == 0, "value"] == 100.0).all()
    assert (cumulative.groupby("cohort")["value"].diff().dropna() >= -1e-9).all()


def test_segment_sizes_sum_to_cohort_sizes(ws: Workspace) -> None:
    whole = ws.cohorts(period="month")
    split = ws.cohorts(period="month", segment="channel")
    assert set(split.columns) == {"segment", "cohort", "offset", "size", "value"}
    per_cohort = split[split["offset"] == 0].groupby("cohort")["size"].sum()
    assert per_cohort.equals(whole[whole["offset"] == 0].set_index("cohort")["size"])


def test_is_one_lazy_expression(ws: Workspace) -> None:
    import ibis

    from retentionkit.cohorts.table import cohort_expr

    expr = cohort_expr(ws, kind="unbounded", customer_definition="contractual")
    sql = ibis.to_sql(expr, dialect="duckdb")
    assert "subscriptions" in sql and "UNNEST" in sql.upper()


_orders = st.lists(
    st.tuples(
        st.integers(0, 5),  # customer
        st.integers(0, 400),  # day offset from 2024-01-01
        st.integers(0, 23),  # hour
        st.integers(1, 500),  # amount in whole units
    ),
    min_size=1,
    max_size=40,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=_orders, period=st.sampled_from(["week", "month", "quarter"]))
def test_random_orders_same_as_reference(reference_cohorts, rows, period: str) -> None:
    base = pd.Timestamp("2024-01-01")
    orders = pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(len(rows))],
            "customer_id": [f"c{c}" for c, _, _, _ in rows],
            "ordered_at": [base + pd.Timedelta(days=d, hours=h) for _, d, h, _ in rows],
            "amount": [float(a) for _, _, _, a in rows],
        }
    )
    ws = Workspace(":memory:")
    ws.con.create_table("orders", orders)  # already canonical; skips ingest validation
    for kind in ("customers", "unbounded", "revenue", "cumulative_revenue"):
        got = ws.cohorts(period=period, kind=kind)
        ref = reference_cohorts({"orders": orders}, period=period, kind=kind)
        assert len(got) == len(ref)
        assert (got["offset"].to_numpy() == ref["offset"].to_numpy()).all()
        assert (got["size"].to_numpy() == ref["size"].to_numpy()).all()
        np.testing.assert_allclose(got["value"], ref["value"], rtol=1e-9)
    assert got.groupby("cohort")["size"].first().sum() == orders["customer_id"].nunique()
