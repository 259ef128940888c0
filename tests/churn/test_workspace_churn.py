"""Churn risk on a workspace: features as of a cutoff (no leakage), labels, the at-risk list,
the backtest, through the Python API and the CLI."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from retentionkit.churn import features as feat
from retentionkit.cli.app import main
from retentionkit.generate import generate_business
from retentionkit.workspace import Workspace

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def saas_db(tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("churn") / "saas.duckdb"
    ws = Workspace(db)
    for table, frame in generate_business(customers=400, months=18, seed=11, kind="both").items():
        ws.ingest(table, frame)
    return db


@pytest.fixture(scope="module")
def shop_db(tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("churn") / "shop.duckdb"
    ws = Workspace(db)
    frames = generate_business(customers=400, months=18, seed=12, kind="ecommerce")
    for table in ("orders", "customers"):
        ws.ingest(table, frames[table])
    return db


def test_features_use_only_the_past(saas_db) -> None:
    ws = Workspace(saas_db)
    cutoff = pd.Timestamp("2023-10-01")
    x = feat.build_features(ws, cutoff)
    orders = ws.table("orders").execute()
    before = orders[orders["ordered_at"] < cutoff]
    counts = before.groupby("customer_id").size()
    merged = x.set_index("customer_id")["orders_total"].dropna()
    assert (merged == counts.reindex(merged.index)).all()
    assert (x["days_since_last_order"].dropna() > 0).all()
    assert x["customer_id"].is_unique
    # adding an order after the cutoff changes nothing
    late = pd.DataFrame(
        {
            "order_id": ["LATE-1"],
            "customer_id": [x["customer_id"].iloc[0]],
            "ordered_at": [cutoff + pd.Timedelta(hours=1)],
            "amount": [999.0],
        }
    )
    ws.ingest("orders", late)
    again = feat.build_features(ws, cutoff)
    pd.testing.assert_frame_equal(x, again)


def test_labels_follow_the_contractual_definition(saas_db) -> None:
    ws = Workspace(saas_db)
    cutoff = pd.Timestamp("2023-09-01")
    y = feat.labels(ws, cutoff, 90)
    subs = ws.table("subscriptions").execute()

    def paying(t: pd.Timestamp) -> set[str]:
        run = subs[(subs.started_at <= t) & (subs.ended_at.isna() | (subs.ended_at > t))]
        m = run.groupby("customer_id")["mrr"].sum()
        return set(m[m > 0].index)

    now, later = paying(cutoff), paying(cutoff + pd.Timedelta(days=90))
    assert set(y["customer_id"]) == now
    churned = set(y.loc[y["churned"] == 1, "customer_id"])
    assert churned == now - later


def test_at_risk_with_model(saas_db, capsys) -> None:
    capsys.readouterr()
    assert main(["--db", str(saas_db), "churn", "at-risk", "--top", "5", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 5
    assert list(rows[0]) == [
        "customer_id",
        "risk",
        "value_at_risk",
        "reasons",
        "segment",
        "model",  # the model or rule actually used, and its fit status (docs/churn.md)
        "model_status",
    ]
    assert all(0 <= r["risk"] <= 1 and r["value_at_risk"] >= 0 for r in rows)
    assert all(isinstance(r["reasons"], list) and r["reasons"] for r in rows)
    values = [r["value_at_risk"] for r in rows]
    assert values == sorted(values, reverse=True)


def test_at_risk_order_business_uses_p_alive(shop_db) -> None:
    ws = Workspace(shop_db)
    frame = ws.churn(top=10, sort="risk")
    assert frame["risk"].is_monotonic_decreasing
    assert frame["reasons"].map(lambda r: r[0].startswith("no order for")).all()
    assert any("P(alive)" in " ".join(r) for r in frame["reasons"])


def test_at_risk_segments_are_the_rfm_scheme_of_the_rows_kept(shop_db, monkeypatch) -> None:
    """The segment column is looked up for the rows kept only (an IN list up to
    SEGMENT_FILTER_MAX ids, else the whole scheme): both ways give the scheme's own segment."""
    from retentionkit.churn import pipeline
    from retentionkit.segments.resolve import segment_table

    monkeypatch.setenv("RETENTIONKIT_CACHE", "off")  # every call computes
    ws = Workspace(shop_db)
    scheme = segment_table(ws, "rfm").execute()
    truth = dict(zip(scheme["customer_id"].astype(str), scheme["segment"].astype(str), strict=True))
    top = ws.churn(top=15)
    assert top["segment"].tolist() == [truth.get(c, "unknown") for c in top["customer_id"]]
    everyone = ws.churn(min_risk=0)
    assert len(everyone) > 15
    monkeypatch.setattr(pipeline, "SEGMENT_FILTER_MAX", 0)  # the whole-scheme path
    assert ws.churn(min_risk=0)["segment"].tolist() == everyone["segment"].tolist()
    assert everyone["segment"].tolist() == [
        truth.get(c, "unknown") for c in everyone["customer_id"]
    ]


def test_backtest_reports_auc(saas_db, capsys) -> None:
    capsys.readouterr()
    assert (
        main(["--db", str(saas_db), "churn", "evaluate", "--horizon", "60d", "--format", "json"])
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert report["horizon_days"] == 60
    for fold in report["folds"]:
        assert max(fold["train_cutoffs"]) < fold["cutoff"]  # never train on the future
        assert 0.0 <= fold["roc_auc"] <= 1.0
    assert "roc_auc" in report["summary"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["churn", "at-risk", "--method", "magic"], "--method"),
        (["churn", "at-risk", "--top", "0"], "--top"),
        (["churn", "at-risk", "--horizon", "soon"], "soon"),
        (["churn", "at-risk", "--sort", "name"], "--sort"),
        (["churn", "evaluate", "--horizon", "5000d"], "Not enough history"),
    ],
)
def test_bad_input(saas_db, capsys, args, needle) -> None:
    capsys.readouterr()
    rc = main(["--db", str(saas_db), *args])
    err = capsys.readouterr().err
    assert rc != 0 and needle in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_at_risk_lists_customers_riskier_than_average_and_caches_the_model(saas_db) -> None:
    ws = Workspace(saas_db)
    everyone = ws.churn(min_risk=0)
    listed = ws.churn()
    assert 0 < len(listed) < len(everyone)
    assert listed["risk"].min() > everyone["risk"].mean()
    cache = saas_db.parent / f".{saas_db.name}.cache"
    assert len(list(cache.glob("churn-*.rkmodel"))) == 1
    again = ws.churn()
    pd.testing.assert_frame_equal(listed, again)
    with pytest.raises(Exception, match="--min-risk"):
        ws.churn(min_risk=1.5)
