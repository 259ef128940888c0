"""A customer's revenue in the RFM scores and segment summaries is the exact sum of its
stored (decimal) amounts, rounded once to a double, and so the same on every run: summed as
doubles in a parallel aggregation, 420–440 of 500 customers differed from it, by a different
count on each run."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from retentionkit.segments.rfm import customer_stats_expr, rfm_scores
from retentionkit.segments.summary import segment_summary
from retentionkit.workspace import Workspace
from rk_test_support import parallel_shop


@pytest.fixture(scope="module")
def shop() -> tuple[Workspace, pd.DataFrame]:
    return parallel_shop(seed=0, customers=500)


def test_every_customers_revenue_is_the_exact_sum(shop) -> None:
    ws, frame = shop
    exact = (
        frame.assign(a=[Decimal(f"{x:.2f}") for x in frame["amount"]])
        .groupby("customer_id")["a"]
        .sum()
    )
    for _ in range(3):
        got = customer_stats_expr(ws).execute().set_index("customer_id")["revenue"]
        wrong = [c for c, v in exact.items() if got[c] != float(v)]
        assert not wrong, (
            f"{len(wrong)} customers, e.g. {wrong[0]}: {got[wrong[0]]!r} != {exact[wrong[0]]}"
        )


def test_scores_and_summaries_are_the_same_on_every_run(shop) -> None:
    ws, frame = shop
    scores = {rfm_scores(ws).to_csv() for _ in range(3)}
    summaries = {segment_summary(ws, "rfm").to_csv() for _ in range(3)}
    assert len(scores) == 1 and len(summaries) == 1
    total = sum(Decimal(f"{x:.2f}") for x in frame["amount"])
    assert round(segment_summary(ws, "rfm")["revenue"].sum(), 2) == float(total)
