"""Cohort revenue (activity) is the exact sum of the stored decimal amounts: the same on every
run. Summed as doubles in a parallel aggregation, three runs of ``cohorts --kind revenue`` on
the 5 M-order bench shop gave three different outputs."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from retentionkit.cohorts.table import cohort_table
from retentionkit.workspace import Workspace
from rk_test_support import parallel_shop


@pytest.fixture(scope="module")
def shop() -> tuple[Workspace, pd.DataFrame]:
    return parallel_shop(seed=1, customers=2_000)


def test_cohort_revenue_is_the_same_on_every_run(shop) -> None:
    ws, _ = shop
    for kind in ("revenue", "cumulative_revenue"):
        runs = {cohort_table(ws, kind=kind).to_csv() for _ in range(3)}
        assert len(runs) == 1, kind


def test_cumulative_revenue_is_the_exact_sum(shop) -> None:
    ws, frame = shop
    table = cohort_table(ws, kind="cumulative_revenue")
    first = frame.groupby("customer_id")["ordered_at"].min().dt.to_period("M")
    cohort = frame["customer_id"].map(first)
    exact = (
        frame.assign(cohort=cohort, a=[Decimal(f"{x:.2f}") for x in frame["amount"]])
        .groupby("cohort")["a"]
        .sum()
    )
    last = table.sort_values("offset").groupby("cohort").tail(1)
    for row in last.itertuples():
        total = exact[pd.Period(row.cohort, "M")]
        assert round(row.value * row.size, 2) == pytest.approx(float(total), abs=0.005), row
