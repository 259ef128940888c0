"""Fixtures of the segment tests: one generated business in a workspace file."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from retentionkit.workspace import Workspace


@pytest.fixture(scope="session")
def business() -> dict[str, pd.DataFrame]:
    from retentionkit.generate import generate_business

    return generate_business(customers=1000, months=18, seed=3)


@pytest.fixture(scope="session")
def gen_db(tmp_path_factory: pytest.TempPathFactory, business: dict[str, pd.DataFrame]) -> Path:
    db = tmp_path_factory.mktemp("segments") / "gen.duckdb"
    ws = Workspace(db)
    for table in ("customers", "orders", "subscriptions"):
        ws.ingest(table, business[table])
    ws.con.disconnect()
    return db


@pytest.fixture(scope="session")
def ws(gen_db: Path) -> Workspace:
    return Workspace(gen_db)
