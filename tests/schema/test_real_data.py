"""Real public data sets load through the CLI, checked against their PROVENANCE figures and an
independent pandas computation."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from retentionkit.cli.app import main
from retentionkit.config import Settings
from retentionkit.workspace import Workspace

CDNOW_SAMPLE = Path(__file__).resolve().parents[1] / "data" / "cdnow" / "CDNOW_sample.txt"

RETAIL_ARGS = [
    "--line-items",
    "--map",
    "InvoiceNo=order_id",
    "--map",
    "CustomerID=customer_id",
    "--map",
    "InvoiceDate=ordered_at",
    "--map",
    "Quantity=quantity",
    "--map",
    "UnitPrice=unit_price",
]


def _tables(db: Path) -> dict[str, pd.DataFrame]:
    ws = Workspace(db, settings=Settings())
    try:
        return {name: ws.table(name).execute() for name in ws.tables()}
    finally:
        ws.con.disconnect()


def test_cdnow_sample(tmp_db, capsys):
    args = [
        "--delimiter",
        "whitespace",
        "--no-header",
        "--columns",
        "customer_id,customer_index,ordered_at,quantity,amount",
        "--generate-id",
    ]
    assert main(["--db", str(tmp_db), "ingest", "orders", str(CDNOW_SAMPLE), *args]) == 0
    assert "6,919 inserted" in capsys.readouterr().out
    orders = _tables(tmp_db)["orders"]
    assert len(orders) == 6919
    assert orders["order_id"].is_unique
    assert orders["customer_id"].nunique() == 2357
    assert sum(orders["amount"], Decimal(0)) == Decimal("244091.94")
    assert int(orders["quantity"].sum()) == 16479
    assert orders["ordered_at"].min() == pd.Timestamp("1997-01-01")
    assert orders["ordered_at"].max() == pd.Timestamp("1998-06-30")
    assert orders["customer_id"].str.len().eq(5).all()  # "00004": ids stay text
    # generated ids are stable: the same file again changes nothing
    assert main(["--db", str(tmp_db), "ingest", "orders", str(CDNOW_SAMPLE), *args]) == 0
    assert "0 inserted, 0 updated, 6,919 unchanged" in capsys.readouterr().out


def test_cdnow_master_with_its_header(tmp_db, shared_data, capsys):
    path = shared_data / "cdnow" / "CDNOW_master.txt"
    rc = main(
        [
            "--db",
            str(tmp_db),
            "ingest",
            "orders",
            str(path),
            "--delimiter",
            "whitespace",
            "--date-format",
            "%Y%m%d",
            "--map",
            "date=ordered_at",
            "--map",
            "number_of_cds=quantity",
            "--map",
            "dollar_value=amount",
            "--generate-id",
        ]
    )
    assert rc == 0, capsys.readouterr().err
    orders = _tables(tmp_db)["orders"]
    raw = pd.read_csv(path, sep=r"\s+", dtype={"customer_id": str})
    assert len(orders) == len(raw) == 69659
    assert orders["customer_id"].nunique() == 23570
    assert sum(orders["amount"], Decimal(0)) == sum(
        (Decimal(str(v)) for v in raw["dollar_value"]), Decimal(0)
    )


def _retail_reference(path: Path) -> dict[str, object]:
    """Orders and returns of the Online Retail sample, computed independently with pandas."""
    raw = pd.read_csv(path, dtype={"InvoiceNo": str, "CustomerID": str})
    raw = raw[raw["CustomerID"].notna()]
    raw["cents"] = (raw["Quantity"] * (raw["UnitPrice"] * 10000).round()).astype("int64")
    is_return = raw["InvoiceNo"].str.startswith("C") | (raw["Quantity"] < 0)
    orders, returns = raw[~is_return], raw[is_return]
    return {
        "orders": orders["InvoiceNo"].nunique(),
        "order_total": Decimal(int(orders["cents"].sum())) / 10000,
        "order_quantity": int(orders["Quantity"].sum()),
        "returns": returns["InvoiceNo"].nunique(),
        "return_total": -Decimal(int(returns["cents"].sum())) / 10000,
        "customers": orders["CustomerID"].str.replace(r"\.0$", "", regex=True).nunique(),
    }


def test_online_retail_line_items(tmp_db, shared_data, capsys):
    path = shared_data / "online_retail_sample" / "online_retail_sample.csv"
    if not path.exists():
        pytest.skip("Online Retail sample not found")
    base = ["--db", str(tmp_db), "ingest", "orders", str(path), *RETAIL_ARGS]
    assert main(base) != 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "online_retail_sample.csv, line 2, column CustomerID" in err
    assert "--drop-missing-customer" in err
    assert not tmp_db.exists()

    assert main([*base, "--drop-missing-customer"]) == 0
    out = capsys.readouterr().out
    assert "5,078 lines without a customer_id skipped" in out

    want = _retail_reference(path)
    tables = _tables(tmp_db)
    orders, returns = tables["orders"], tables["returns"]
    assert len(orders) == want["orders"]
    assert sum(orders["amount"], Decimal(0)) == want["order_total"]
    assert int(orders["quantity"].sum()) == want["order_quantity"]
    assert orders["customer_id"].nunique() == want["customers"]
    assert len(returns) == want["returns"]
    assert sum(returns["amount"], Decimal(0)) == want["return_total"]
    assert returns["return_id"].str.startswith("C").sum() > 0
    assert (returns["amount"] >= 0).all() and (returns["quantity"] >= 0).all()
    assert set(orders["country"]) >= {"United Kingdom", "Germany"}
    assert orders["ordered_at"].min() >= pd.Timestamp("2010-12-01")


def test_olist_reviews_as_csat(tmp_db, shared_data, capsys):
    path = shared_data / "olist_reviews_sample" / "olist_order_reviews_dataset.csv"
    if not path.exists():
        pytest.skip("Olist sample not found")
    rc = main(
        [
            "--db",
            str(tmp_db),
            "ingest",
            "survey_responses",
            str(path),
            "--map",
            "review_id=response_id",
            "--map",
            "review_score=score",
            "--map",
            "review_answer_timestamp=responded_at",
            "--set",
            "survey=csat",
        ]
    )
    assert rc == 0, capsys.readouterr().err
    answers = _tables(tmp_db)["survey_responses"]
    assert len(answers) == 3986
    assert set(answers["survey"]) == {"csat"}
    counts = answers["score"].value_counts().to_dict()
    assert counts == {5.0: 2293, 4.0: 765, 3.0: 337, 2.0: 137, 1.0: 454}
    # multi-line Portuguese comments survive as extra text attributes
    assert answers["review_comment_message"].notna().sum() == 1655
