"""Fixtures for the schema tests: small sample rows for every canonical table, written as
CSV, Parquet or NDJSON."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

#: Three rows per table, every value as the text a user's file would hold. Naive times.
SAMPLES: dict[str, list[dict[str, str]]] = {
    "orders": [
        {
            "order_id": "o1",
            "customer_id": "c1",
            "ordered_at": "2024-01-05 10:00:00",
            "amount": "19.99",
            "quantity": "2",
            "delivered_at": "2024-01-07 12:30:00",
            "channel": "web",
        },
        {
            "order_id": "o2",
            "customer_id": "c2",
            "ordered_at": "2024-02-10",
            "amount": "0.10",
            "quantity": "1",
            "delivered_at": "",
            "channel": "shop",
        },
        {
            "order_id": "o3",
            "customer_id": "c1",
            "ordered_at": "2024-03-01 23:59:59",
            "amount": "1234567.89",
            "quantity": "",
            "delivered_at": "",
            "channel": "",
        },
    ],
    "returns": [
        {
            "return_id": "r1",
            "customer_id": "c1",
            "returned_at": "2024-01-20 09:00:00",
            "order_id": "o1",
            "quantity": "1",
            "amount": "9.99",
        },
        {
            "return_id": "r2",
            "customer_id": "c2",
            "returned_at": "2024-02-15",
            "order_id": "",
            "quantity": "",
            "amount": "0.01",
        },
        {
            "return_id": "r3",
            "customer_id": "c3",
            "returned_at": "2024-03-15 08:00:00",
            "order_id": "o9",
            "quantity": "3",
            "amount": "",
        },
    ],
    "subscriptions": [
        {
            "term_id": "t1",
            "subscription_id": "s1",
            "customer_id": "c1",
            "started_at": "2024-01-01",
            "ended_at": "2024-02-01",
            "mrr": "49.00",
            "plan": "basic",
        },
        {
            "term_id": "t2",
            "subscription_id": "s1",
            "customer_id": "c1",
            "started_at": "2024-02-01",
            "ended_at": "",
            "mrr": "99.95",
            "plan": "pro",
        },
        {
            "term_id": "t3",
            "subscription_id": "s2",
            "customer_id": "c2",
            "started_at": "2024-03-10 12:00:00",
            "ended_at": "",
            "mrr": "0",
            "plan": "",
        },
    ],
    "survey_responses": [
        {
            "response_id": "a1",
            "survey": "nps",
            "score": "10",
            "responded_at": "2024-01-02 08:00:00",
            "customer_id": "c1",
            "comment": "great, thanks",
            "touchpoint": "purchase",
        },
        {
            "response_id": "a2",
            "survey": "csat",
            "score": "3",
            "responded_at": "2024-01-03",
            "customer_id": "",
            "comment": "",
            "touchpoint": "support",
        },
        {
            "response_id": "a3",
            "survey": "nps",
            "score": "0",
            "responded_at": "2024-01-04 18:00:00",
            "customer_id": "c2",
            "comment": "",
            "touchpoint": "",
        },
    ],
    "acquisition_costs": [
        {
            "cost_id": "k1",
            "incurred_on": "2024-01-01",
            "amount": "1500.00",
            "category": "marketing",
            "channel": "ads",
        },
        {
            "cost_id": "k2",
            "incurred_on": "2024-01-31",
            "amount": "3000.55",
            "category": "salaries",
            "channel": "",
        },
        {
            "cost_id": "k3",
            "incurred_on": "2024-02-01",
            "amount": "0.03",
            "category": "software",
            "channel": "",
        },
    ],
    "tickets": [
        {
            "ticket_id": "T-1",
            "customer_id": "c1",
            "opened_at": "2024-01-02 09:00:00",
            "resolved_at": "2024-01-02 17:00:00",
        },
        {
            "ticket_id": "T-2",
            "customer_id": "c2",
            "opened_at": "2024-01-03",
            "resolved_at": "",
        },
        {
            "ticket_id": "T-3",
            "customer_id": "c1",
            "opened_at": "2024-06-30 22:00:00",
            "resolved_at": "2024-07-01 01:00:00",
        },
    ],
    "customers": [
        {"customer_id": "c1", "signed_up_at": "2023-12-24", "country": "PL", "channel": "ads"},
        {"customer_id": "c2", "signed_up_at": "", "country": "DE", "channel": ""},
        {"customer_id": "007", "signed_up_at": "2024-01-01 00:30:00", "country": "", "channel": ""},
    ],
}

FORMATS = ("csv", "parquet", "ndjson")


def write(rows: list[dict[str, str]], path: Path, fmt: str) -> Path:
    """Write ``rows`` (text values; "" = missing) as CSV, Parquet (text columns, nulls) or
    NDJSON (missing keys omitted)."""
    if fmt == "csv":
        pd.DataFrame(rows).to_csv(path, index=False)
    elif fmt == "parquet":
        frame = pd.DataFrame(rows).replace({"": None})
        frame.to_parquet(path, index=False)
    elif fmt == "ndjson":
        with path.open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps({k: v for k, v in row.items() if v != ""}) + "\n")
    else:  # pragma: no cover
        raise ValueError(fmt)
    return path


@pytest.fixture
def samples() -> dict[str, list[dict[str, str]]]:
    return {name: [dict(r) for r in rows] for name, rows in SAMPLES.items()}


@pytest.fixture
def write_rows():
    """``write_rows(rows, path, fmt)`` writes sample rows in one of :data:`FORMATS`."""
    return write
