"""Invariants for any size, period, seed and kind (Hypothesis), and one larger run."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow.compute as pc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retentionkit.generate import KINDS, generate_tables
from retentionkit.generate._util import Calendar
from retentionkit.schema.contracts import CONTRACTS


@settings(max_examples=25, deadline=None)
@given(
    customers=st.integers(1, 400),
    months=st.integers(1, 40),
    seed=st.integers(0, 2**32 - 1),
    kind=st.sampled_from(KINDS),
    start=st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31)),
)
def test_invariants(customers: int, months: int, seed: int, kind: str, start: dt.date) -> None:
    tables = generate_tables(customers, months, seed, kind, start)
    cal = Calendar.build(start, months)
    lo = np.datetime64(int(cal.t0), "s")
    hi = np.datetime64(int(cal.t_end), "s")
    assert tables["customers"].num_rows == customers
    for name, table in tables.items():
        contract = CONTRACTS[name]
        assert table.column_names[: len(contract.names)] == contract.names
        key = table.column(contract.primary_key)
        assert pc.count_distinct(key).as_py() == table.num_rows
        for col in contract.required:
            assert table.column(col).null_count == 0, (name, col)
        for col in contract.columns:
            if col.kind == "timestamp" and table.num_rows and col.name != "ended_at":
                values = table.column(col.name).drop_null().to_numpy()
                if len(values):
                    assert values.min() >= lo and values.max() < hi, (name, col.name)
    subs = tables["subscriptions"].to_pandas().sort_values(["subscription_id", "started_at"])
    nxt = subs.groupby("subscription_id")["started_at"].shift(-1)
    renewed = nxt.notna()
    assert (nxt[renewed] == subs.loc[renewed, "ended_at"]).all()


@pytest.mark.slow
def test_two_hundred_thousand_customers_run() -> None:
    """A larger run completes with the expected volume (timing belongs to the benchmark)."""
    tables = generate_tables(200_000, 24, seed=42, kind="both")
    per_customer = tables["orders"].num_rows / 200_000
    assert 8.0 <= per_customer <= 12.0
    assert tables["subscriptions"].num_rows > 200_000
