"""Fixtures for the KPI tests: small generated businesses loaded into in-memory workspaces,
and the tables read back for the plain-pandas reference (tests/metrics/reference.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # makes `reference` importable

TABLE_ORDER = (
    "customers",
    "orders",
    "returns",
    "subscriptions",
    "survey_responses",
    "acquisition_costs",
    "tickets",
)


def load_workspace(data: dict[str, pd.DataFrame]):
    import retentionkit as rk
    from retentionkit.config import Settings

    ws = rk.Workspace(":memory:", settings=Settings())
    for name in TABLE_ORDER:
        frame = data.get(name)
        if frame is not None and len(frame):
            ws.ingest(name, frame)
    return ws


def read_back(ws) -> dict[str, pd.DataFrame]:
    return {name: ws.table(name).execute() for name in ws.tables()}


@pytest.fixture(scope="session")
def business_ws():
    """Orders, returns, subscriptions, surveys, costs, tickets and customers (kind=both)."""
    from retentionkit.generate import generate_business

    ws = load_workspace(generate_business(customers=400, months=24, seed=7, kind="both"))
    return ws, read_back(ws)


@pytest.fixture(scope="session")
def saas_ws():
    """A subscription business (kind=saas)."""
    from retentionkit.generate import generate_business

    ws = load_workspace(generate_business(customers=500, months=18, seed=11, kind="saas"))
    return ws, read_back(ws)


@pytest.fixture(scope="session")
def shop_ws():
    """An e-commerce business (kind=ecommerce): no subscriptions table."""
    from retentionkit.generate import generate_business

    ws = load_workspace(generate_business(customers=500, months=18, seed=5, kind="ecommerce"))
    return ws, read_back(ws)
