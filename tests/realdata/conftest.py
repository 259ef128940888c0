"""Real-data regression suite (issue 12 item 7): the shared real files loaded as a new user
would (README commands), once per session. Marked slow; run by ``make test``.

The files are read from ``../shared/data`` next to the repository (or ``/work/shared/data``)
and never copied into it (Olist's licence forbids that). Without them the suite is skipped —
except under ``CI=true``, where a missing folder fails."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from retentionkit.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
CANDIDATES = (ROOT / "../shared/data", Path("/work/shared/data"))

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("realdata")]


def data_dir() -> Path:
    for path in CANDIDATES:
        if path.is_dir():
            return path.resolve()
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"real data not found in {', '.join(map(str, CANDIDATES))}")
    pytest.skip("shared real data not found")
    raise AssertionError  # pragma: no cover


def _new(factory: pytest.TempPathFactory, name: str) -> Workspace:
    return Workspace(factory.mktemp(name) / f"{name}.duckdb")


@pytest.fixture(scope="session")
def cdnow(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """CDNOW master (69,659 orders, 1997-01 to 1998-06, one $0.00 repeat order)."""
    ws = _new(tmp_path_factory, "cdnow")
    ws.ingest(
        "orders",
        data_dir() / "cdnow" / "CDNOW_master.txt",
        delimiter="whitespace",
        mapping={"date": "ordered_at", "dollar_value": "amount", "number_of_cds": "quantity"},
        date_format="%Y%m%d",
        generate_id=True,
    )
    return ws


@pytest.fixture(scope="session")
def retail(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """Online Retail sample, README command (line items; ends 9 Dec 2011)."""
    ws = _new(tmp_path_factory, "retail")
    ws.ingest(
        "orders",
        data_dir() / "online_retail_sample" / "online_retail_sample.csv",
        line_items=True,
        mapping={
            "InvoiceNo": "order_id",
            "CustomerID": "customer_id",
            "InvoiceDate": "ordered_at",
            "Quantity": "quantity",
            "UnitPrice": "unit_price",
        },
        drop_missing_customer=True,
    )
    return ws


def olist_frames() -> dict[str, pd.DataFrame]:
    """Olist as canonical frames: orders from orders + summed payments (customer =
    customer_unique_id), reviews as CSAT answers linked by order_id."""
    base = data_dir() / "olist_reviews_sample"
    orders = pd.read_csv(base / "olist_orders_dataset.csv")
    customers = pd.read_csv(base / "olist_customers_dataset.csv")
    payments = pd.read_csv(base / "olist_order_payments_dataset.csv")
    reviews = pd.read_csv(base / "olist_order_reviews_dataset.csv")
    paid = payments.groupby("order_id", as_index=False)["payment_value"].sum()
    o = orders.merge(customers[["customer_id", "customer_unique_id"]], on="customer_id")
    o = o.merge(paid, on="order_id", how="left")
    canonical_orders = pd.DataFrame(
        {
            "order_id": o["order_id"],
            "customer_id": o["customer_unique_id"],
            "ordered_at": o["order_purchase_timestamp"],
            "amount": o["payment_value"],
            "delivered_at": o["order_delivered_customer_date"],
        }
    )
    who = o.set_index("order_id")["customer_unique_id"]
    answers = pd.DataFrame(
        {
            "response_id": reviews["review_id"] + "|" + reviews["order_id"],
            "survey": "csat",
            "score": reviews["review_score"],
            "responded_at": reviews["review_answer_timestamp"],
            "customer_id": reviews["order_id"].map(who),
            "order_id": reviews["order_id"],
        }
    )
    return {"orders": canonical_orders, "survey_responses": answers}


@pytest.fixture(scope="session")
def olist(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = _new(tmp_path_factory, "olist")
    for table, frame in olist_frames().items():
        ws.ingest(table, frame)
    return ws


def hard_case_frames() -> dict[str, pd.DataFrame]:
    """A small shop made of the hard cases: a $0 repeat order, constant spend, orders without
    an amount, a partial last month (ends on the 9th), months with one survey answer."""
    rows = []
    for c in range(60):
        for m in range(1, 13):
            if (c * 7 + m) % 3 == 0:
                continue
            day = min(9, 1 + c % 28) if m == 12 else 1 + c % 28
            amount: float | None = 25.0 if c % 5 == 0 else 10.0 + (c * m) % 17
            if c == 1 and m == 2:
                amount = 0.0
            if c % 11 == 3:
                amount = None
            rows.append((f"h{c}", f"2023-{m:02d}-{day:02d}", amount))
    orders = pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(len(rows))],
            "customer_id": [r[0] for r in rows],
            "ordered_at": [r[1] for r in rows],
            "amount": [r[2] for r in rows],
        }
    )
    answers = pd.DataFrame(
        {
            "response_id": [f"r{m}" for m in range(1, 13)],
            "survey": ["nps"] * 12,
            "score": [10, 9, 3, 8, 10, 0, 7, 9, 10, 6, 9, 10],
            "responded_at": [f"2023-{m:02d}-05" for m in range(1, 13)],
            "customer_id": [f"h{m}" for m in range(1, 13)],
        }
    )
    return {"orders": orders, "survey_responses": answers}


@pytest.fixture(scope="session")
def hard(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = _new(tmp_path_factory, "hard")
    for table, frame in hard_case_frames().items():
        ws.ingest(table, frame)
    return ws


WORKSPACES = ("cdnow", "retail", "olist", "hard")
