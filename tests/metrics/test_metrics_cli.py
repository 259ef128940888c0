"""``retentionkit metrics`` output shapes (json, csv, table), comparisons, ranges, health and
``Workspace.explain``."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

import retentionkit as rk
from retentionkit.cli.app import main
from retentionkit.config import Settings
from retentionkit.metrics.registry import get_metric, health

RECORD_KEYS = {
    "metric",
    "period_start",
    "period_end",
    "segment",
    "value",
    "components",
    "health",
    "complete",
    "n",
    "ci_low",
    "ci_high",
}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    from conftest import load_workspace
    from retentionkit.generate import generate_business

    path = tmp_path_factory.mktemp("cli") / "ws.duckdb"
    ws = load_workspace(generate_business(customers=300, months=24, seed=2, kind="both"))
    target = rk.Workspace(path, settings=Settings())
    for name in ws.tables():
        target.ingest(name, ws.table(name).execute())
    target.con.disconnect()
    return path


def run(capsys, db, *args: str) -> str:
    rc = main(["--db", str(db), "metrics", *args])
    out = capsys.readouterr()
    assert rc == 0, out.err
    return out.out


def run_json(capsys, db, *args: str) -> list[dict]:
    return json.loads(run(capsys, db, *args, "--format", "json"))


def test_json_record_shape(capsys, db):
    records = run_json(capsys, db, "--from", "2023-03-01", "--to", "2023-06-01")
    assert records
    for rec in records:
        assert set(rec) == RECORD_KEYS
        start, end = pd.Timestamp(rec["period_start"]), pd.Timestamp(rec["period_end"])
        assert rec["period_start"] == start.strftime("%Y-%m-%d")
        assert end == start + pd.DateOffset(months=1)
        assert rec["segment"] == "all"
        assert rec["value"] is None or isinstance(rec["value"], (int, float))
        assert isinstance(rec["components"], dict) and rec["components"]
        assert rec["health"] in (None, "excellent", "good", "fair", "poor")
    assert {r["period_start"] for r in records} == {"2023-03-01", "2023-04-01", "2023-05-01"}
    crr = next(r for r in records if r["metric"] == "crr")
    c = crr["components"]
    assert crr["value"] == pytest.approx(100 * c["retained"] / c["start"])


def test_segment_records(capsys, db):
    records = run_json(capsys, db, "--metric", "crr", "--segment", "country", "--last", "2")
    assert len({r["period_start"] for r in records}) == 2
    assert len({r["segment"] for r in records}) > 2
    assert "all" not in {r["segment"] for r in records}


@pytest.mark.parametrize("how, back", [("previous", 1), ("year", 12)])
def test_compare(capsys, db, how, back):
    records = run_json(
        capsys,
        db,
        "--metric",
        "crr",
        "--metric",
        "revenue",
        "--from",
        "2024-03-01",
        "--to",
        "2024-06-01",
        "--compare",
        how,
    )
    assert all(set(r) == RECORD_KEYS | {"compare_value", "delta"} for r in records)
    wide = run_json(
        capsys,
        db,
        "--metric",
        "crr",
        "--metric",
        "revenue",
        "--from",
        "2023-01-01",
        "--to",
        "2024-06-01",
    )
    value = {(r["metric"], r["period_start"]): r["value"] for r in wide}
    assert {r["period_start"] for r in records} == {"2024-03-01", "2024-04-01", "2024-05-01"}
    for rec in records:
        earlier = (pd.Timestamp(rec["period_start"]) - pd.DateOffset(months=back)).strftime(
            "%Y-%m-%d"
        )
        assert rec["value"] == pytest.approx(value[(rec["metric"], rec["period_start"])])
        assert rec["compare_value"] == pytest.approx(value[(rec["metric"], earlier)])
        assert rec["delta"] == pytest.approx(rec["value"] - rec["compare_value"])


def test_compare_before_the_data_is_null(capsys, db):
    records = run_json(
        capsys,
        db,
        "--metric",
        "revenue",
        "--from",
        "2023-01-01",
        "--to",
        "2023-02-01",
        "--compare",
        "year",
    )
    assert records[0]["compare_value"] == 0.0 or records[0]["compare_value"] is None
    assert "NaN" not in json.dumps(records)


def test_csv_output(capsys, db):
    """CSV flattens the components into one column each (docs/cli.md, issue 10)."""
    text = run(capsys, db, "--metric", "crr", "--metric", "nps", "--last", "3", "--format", "csv")
    frame = pd.read_csv(io.StringIO(text))
    columns = list(frame.columns)
    assert columns[:5] == ["metric", "period_start", "period_end", "segment", "value"]
    assert columns[-5:] == ["health", "complete", "n", "ci_low", "ci_high"]
    assert "components" not in columns
    assert {"components.start", "components.end", "components.new"} <= set(columns)
    assert {"components.promoters", "components.detractors"} <= set(columns)
    assert len(frame) == 6
    assert frame["period_start"].str.match(r"^\d{4}-\d{2}-\d{2}$").all()
    crr = frame[frame["metric"] == "crr"]
    assert crr["components.start"].notna().all()


def test_csv_output_with_compare(capsys, db):
    text = run(
        capsys, db, "--metric", "crr", "--last", "2", "--compare", "previous", "--format", "csv"
    )
    frame = pd.read_csv(io.StringIO(text))
    assert {"compare_value", "delta"} <= set(frame.columns)


def test_table_output(capsys, db):
    text = run(
        capsys,
        db,
        "--metric",
        "crr",
        "--metric",
        "churn_rate",
        "--from",
        "2024-01-01",
        "--to",
        "2024-04-01",
    )
    assert "crr" in text and "churn_rate" in text
    assert "2024-01" in text and "2024-03" in text
    assert "Δ" in text and "%" in text


def test_table_output_quarters_and_segments(capsys, db):
    text = run(
        capsys,
        db,
        "--metric",
        "crr",
        "--period",
        "quarter",
        "--segment",
        "plan",
        "--customer-definition",
        "contractual",
        "--last",
        "2",
    )
    assert "Q" in text and "segment" in text


def test_from_to_snap_to_whole_periods(capsys, db):
    records = run_json(
        capsys, db, "--metric", "revenue", "--from", "2023-03-15", "--to", "2023-05-02"
    )
    assert [r["period_start"] for r in records] == ["2023-03-01", "2023-04-01", "2023-05-01"]
    records = run_json(
        capsys,
        db,
        "--metric",
        "revenue",
        "--period",
        "week",
        "--from",
        "2023-03-15",
        "--to",
        "2023-03-20",
    )
    assert [r["period_start"] for r in records] == ["2023-03-13", "2023-03-20"][: len(records)]
    assert records[0]["period_start"] == "2023-03-13"  # ISO weeks start on Monday


def test_last_n_periods(capsys, db):
    records = run_json(capsys, db, "--metric", "crr", "--last", "4", "--period", "month")
    assert len(records) == 4
    assert records[-1]["period_start"] == "2024-12-01"  # the data end in December 2024


def test_health_bands():
    bands = Settings().health_bands()
    assert health(get_metric("crr"), 95, bands) == "good"
    assert health(get_metric("crr"), 75, bands) == "fair"
    assert health(get_metric("crr"), 50, bands) == "poor"
    assert health(get_metric("churn_rate"), 5, bands) == "good"
    assert health(get_metric("churn_rate"), 30, bands) == "poor"
    assert health(get_metric("nps"), 60, bands) == "excellent"
    assert health(get_metric("nps"), 10, bands) == "good"
    assert health(get_metric("nps"), 0, bands) == "fair"
    assert health(get_metric("nps"), -5, bands) == "poor"
    assert health(get_metric("crr"), None, bands) is None
    assert health(get_metric("revenue"), 100, bands) is None  # no band


def test_explain_returns_sql(db):
    ws = rk.Workspace(db, settings=Settings())
    sql = ws.explain("crr")
    assert isinstance(sql, str)
    assert "SELECT" in sql.upper() and "orders" in sql
    assert ws.explain("mrr", customer_definition="contractual").count("subscriptions") >= 1
    contractual = ws.explain("crr", customer_definition="contractual")
    assert "subscriptions" in contractual
