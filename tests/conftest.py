"""Shared, generic fixtures: a fresh workspace path and the shared real-data folder."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

#: Property tests judge results, not speed: on a shared 2-core machine (CI, or a developer's
#: laptop running the whole suite with -n 2) generation can be slow, which must not fail a run.
#: Tests that set their own deadline or health checks keep them.
settings.register_profile(
    "retentionkit",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("retentionkit")

# tests/rk_test_support.py (helpers several test modules share) is importable
sys.path.insert(0, str(Path(__file__).resolve().parent))

#: Real data sets kept next to the repository (not shipped in it); tests skip when missing.
SHARED_DATA = Path(__file__).resolve().parents[1] / "../shared/data"


@pytest.fixture
def tmp_db(tmp_path: Path) -> Path:
    """Path of a DuckDB workspace file that does not exist yet."""
    return tmp_path / "ws.duckdb"


@pytest.fixture
def shared_data() -> Path:
    """The shared real-data folder; skips the test when it is not there."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} not found")
    return SHARED_DATA.resolve()


#: Canonical tables in load order (customers first, as a user would).
TABLE_ORDER = (
    "customers",
    "orders",
    "returns",
    "subscriptions",
    "survey_responses",
    "acquisition_costs",
    "tickets",
)


def _business_db(
    path: Path, *, customers: int, months: int, seed: int, tables: tuple[str, ...] = TABLE_ORDER
) -> Path:
    """Write generate_business(...) into a workspace file at ``path`` (non-empty tables)."""
    from retentionkit.generate import generate_business
    from retentionkit.workspace import Workspace

    frames = generate_business(customers=customers, months=months, seed=seed)
    ws = Workspace(path)
    for name in tables:
        if len(frames[name]):
            ws.ingest(name, frames[name])
    ws.con.disconnect()
    return path


@pytest.fixture(scope="session")
def business() -> dict:
    """generate_business(customers=1000, months=18, seed=3) as DataFrames (cohort and segment
    tests)."""
    from retentionkit.generate import generate_business

    return generate_business(customers=1000, months=18, seed=3)


@pytest.fixture(scope="session")
def gen_db(tmp_path_factory: pytest.TempPathFactory, business: dict) -> Path:
    """``business``'s customers, orders and subscriptions in a workspace file."""
    from retentionkit.workspace import Workspace

    db = tmp_path_factory.mktemp("gen") / "gen.duckdb"
    ws = Workspace(db)
    for table in ("customers", "orders", "subscriptions"):
        ws.ingest(table, business[table])
    ws.con.disconnect()
    return db


@pytest.fixture(scope="session")
def shop_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """generate_business(customers=500, months=14, seed=5), every table, in a workspace file
    (web API and dashboard tests; copy it before writing)."""
    return _business_db(
        tmp_path_factory.mktemp("shop") / "shop.duckdb", customers=500, months=14, seed=5
    )


# -- a real PostgreSQL on loopback --------------------------------------------------------


def load_pgserver() -> Any:
    """tests/pgserver.py as a module (the benchmarks load it the same way)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "retentionkit_tests_pgserver", Path(__file__).with_name("pgserver.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def pg_server() -> Any:
    """One PostgreSQL server for the test session (tests/pgserver.py; skips, saying why,
    without the server programs or the Python driver)."""
    pytest.importorskip("psycopg", reason="PostgreSQL tests need psycopg (pip install '.[dev]')")
    pgserver = load_pgserver()
    bindir = pgserver.postgres_bindir()
    if bindir is None:
        pytest.skip(
            "PostgreSQL tests need the server programs (initdb, pg_ctl): apt-get install "
            "postgresql, or run make test, which installs them"
        )
    try:
        server = pgserver.PostgresServer(bindir)
    except RuntimeError as exc:  # root without runuser
        pytest.skip(str(exc))
    server.start()
    yield server
    server.stop()
