"""The clv metric with a fitted model (--clv-model) on CDNOW."""

from __future__ import annotations

from pathlib import Path

import pytest

from retentionkit.workspace import Workspace

CDNOW = Path(__file__).resolve().parents[1] / "data" / "cdnow" / "CDNOW_sample.txt"


def test_model_clv_is_mean_predicted_clv_of_customers_at_the_end(tmp_path) -> None:
    ws = Workspace(tmp_path / "c.duckdb")
    ws.ingest(
        "orders",
        CDNOW,
        delimiter="whitespace",
        header=False,
        columns=["customer_id", "customer_index", "ordered_at", "quantity", "amount"],
        generate_id=True,
    )
    frame = ws.metrics(
        "clv", period="quarter", start="1997-07-01", end="1997-10-01", clv_model="bgnbd"
    )
    row = frame.iloc[0]
    pred = ws.clv(52, model="bgnbd", observation_end="1997-09-30")  # the metric's model
    buyers = ws.sql(
        "select distinct customer_id from orders where ordered_at >= "
        "'1997-07-01' and ordered_at < '1997-10-01'"
    )["customer_id"]
    expected = pred[pred["customer_id"].isin(set(buyers))]["clv"].mean()
    assert row["value"] == pytest.approx(expected, rel=1e-9)
    assert row["components"]["model_customers"] == len(buyers)


def test_explain_returns_sql_for_every_metric(tmp_path) -> None:
    from retentionkit.generate import generate_business
    from retentionkit.metrics.registry import METRIC_NAMES

    ws = Workspace(tmp_path / "e.duckdb")
    for table, frame in generate_business(customers=80, months=6, seed=4).items():
        if len(frame):
            ws.ingest(table, frame)
    for name in METRIC_NAMES:
        sql = ws.explain(name, period="month")
        assert "SELECT" in sql.upper(), name
