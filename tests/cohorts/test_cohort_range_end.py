"""A ``--to`` far after the data adds no empty offsets (it made GET /api/cohorts answer a
multi-gigabyte JSON to an OpenAPI-driven client): the data end is the last event before it."""

from __future__ import annotations

import pandas as pd

from retentionkit.workspace import Workspace


def test_a_late_to_gives_the_same_table(tmp_path) -> None:
    ws = Workspace(tmp_path / "w.duckdb")
    orders = pd.DataFrame(
        {
            "order_id": ["o1", "o2", "o3", "o4"],
            "customer_id": ["a", "a", "b", "b"],
            "ordered_at": pd.to_datetime(["2024-01-05", "2024-03-02", "2024-02-10", "2024-02-20"]),
            "amount": [10.0, 20.0, 5.0, 7.0],
        }
    )
    ws.ingest("orders", orders)
    plain = ws.cohorts(period="month")
    late = ws.cohorts(period="month", end="2200-01-01", start="1900-01-01")
    pd.testing.assert_frame_equal(plain.reset_index(drop=True), late.reset_index(drop=True))
    assert plain["offset"].max() == 2  # January's cohort: January … March
