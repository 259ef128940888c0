"""Fixtures of the cohort tests: one generated business in a workspace file."""

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
    db = tmp_path_factory.mktemp("cohorts") / "gen.duckdb"
    ws = Workspace(db)
    for table in ("customers", "orders", "subscriptions"):
        ws.ingest(table, business[table])
    ws.con.disconnect()
    return db


@pytest.fixture(scope="session")
def ws(gen_db: Path) -> Workspace:
    return Workspace(gen_db)


@pytest.fixture(scope="session")
def reference_cohorts():  # type: ignore[no-untyped-def]
    """The independent pandas implementation in reference.py (loaded by path: the tests run
    in importlib mode, without packages)."""
    import importlib.util

    path = Path(__file__).with_name("reference.py")
    spec = importlib.util.spec_from_file_location("cohorts_reference", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.reference_cohorts
