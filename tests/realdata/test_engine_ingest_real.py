"""Every real file loaded through the engine path and through the pandas path gives the same
outcome: the same refusal sentence, or the same report and the same stored table.

The files are loaded as a user would point them at a table (with ``--map`` where their column
names differ), including loads that must be refused (payment rows repeat an order id; line
items loaded as orders) and files whose values send the engine path back to pandas (Telco's
blank ``TotalCharges``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from realdata.conftest import data_dir
from retentionkit.config import Settings
from retentionkit.errors import InputError
from retentionkit.service import IngestRequest, run
from retentionkit.workspace import Workspace

CASES: list[tuple[str, str, str, dict[str, str]]] = [
    ("telco", "telco_customer_churn/Telco-Customer-Churn.csv", "customers",
     {"customerID": "customer_id"}),
    ("olist customers", "olist_reviews_sample/olist_customers_dataset.csv", "customers", {}),
    ("olist orders", "olist_reviews_sample/olist_orders_dataset.csv", "orders",
     {"order_purchase_timestamp": "ordered_at",
      "order_delivered_customer_date": "delivered_at"}),
    ("olist payments as orders", "olist_reviews_sample/olist_order_payments_dataset.csv",
     "orders", {"payment_value": "amount", "payment_sequential": "customer_id",
                "payment_type": "ordered_at"}),
    ("retail lines as orders", "online_retail_sample/online_retail_sample.csv", "orders",
     {"InvoiceNo": "order_id", "CustomerID": "customer_id", "InvoiceDate": "ordered_at"}),
    ("sbg customers", "sbg_contractual_retention/sbg_paper.csv", "customers", {}),
    ("cdnow summary", "cdnow/cdnow_customers_summary.csv", "customers",
     {"ID": "customer_id"}),
]  # fmt: skip


def _load(db: Path, path: Path, table: str, mapping: dict[str, str]) -> tuple[Any, ...]:
    with Workspace(db, settings=Settings()) as ws:
        request = IngestRequest(table, path, mapping=tuple(mapping.items()))
        try:
            report = run(ws, request).report
        except InputError as exc:
            return ("refused", str(exc), "")
        return ("loaded", report.as_dict(), report.validated_by)


def _rows(db: Path, table: str) -> Any:
    if not db.exists():
        return None
    con = duckdb.connect(str(db), read_only=True)
    try:
        schema = con.execute(f'DESCRIBE "{table}"').fetchall()
        return schema, con.execute(f'SELECT * FROM "{table}" ORDER BY ALL').fetchall()
    except duckdb.CatalogException:
        return None
    finally:
        con.close()


@pytest.mark.parametrize(("name", "relative", "table", "mapping"), CASES, ids=[c[0] for c in CASES])
def test_real_file_same_outcome_both_paths(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    relative: str,
    table: str,
    mapping: dict[str, str],
) -> None:
    path = data_dir() / relative
    outcomes = {}
    for engine in ("on", "off"):
        monkeypatch.setenv("RETENTIONKIT_ENGINE_INGEST", engine)
        db = tmp_path / f"{engine}.duckdb"
        outcomes[engine] = (_load(db, path, table, mapping), _rows(db, table))
    (eng, eng_rows), (pan, pan_rows) = outcomes["on"], outcomes["off"]
    assert eng[:2] == pan[:2], name
    assert eng_rows == pan_rows, name
    if name in ("olist customers", "olist orders", "sbg customers", "cdnow summary"):
        assert eng[2] == "duckdb", f"{name} should take the engine path"
