"""Backend fixtures: one local Spark session per test session, one PostgreSQL server (the root
conftest's ``pg_server``), and the same generated business in a DuckDB workspace, a PostgreSQL
workspace (ingested through ``--db postgresql://…``'s path, like a user would) and a Spark
workspace (loaded through Parquet, like a user would).

:data:`ENGINES` are the backends compared with DuckDB; :func:`engine_param` marks each
(``spark`` or ``postgres``, and its xdist group, so one worker owns the JVM or the server).

Spark tests are marked ``spark`` and ``slow`` and share the xdist group ``spark`` so that one
worker owns the JVM (``make test`` runs ``pytest -n 2 --dist loadgroup``). Without Java they
skip, saying so.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

TABLE_ORDER = (
    "customers",
    "orders",
    "returns",
    "subscriptions",
    "survey_responses",
    "acquisition_costs",
    "tickets",
)

#: The conformance data: small, both kinds (orders, returns, subscriptions, surveys, costs,
#: tickets, customers).
CONFORMANCE_BUSINESS = {"customers": 500, "months": 12, "seed": 5, "kind": "both"}


#: The backends the conformance tests compare with DuckDB (the reference).
ENGINES = ("postgres", "spark")


def engine_marks(engine: str) -> list[Any]:
    """``spark`` / ``postgres`` marker and the engine's xdist group."""
    return [getattr(pytest.mark, engine), pytest.mark.xdist_group(engine)]


def engine_param(engine: str, *values: Any, id: str | None = None) -> Any:
    """A ``pytest.param`` of ``engine`` (and ``values``) with :func:`engine_marks`."""
    return pytest.param(engine, *values, marks=engine_marks(engine), id=id or engine)


def java_missing_reason() -> str | None:
    """Why Spark cannot start here, or None when a Java runtime is found."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").exists():
        return None
    if shutil.which("java"):
        return None
    return "Spark tests need a Java runtime (Java 17): no JAVA_HOME and no `java` on PATH"


def start_spark(tmp_dir: Path) -> Any:
    """A small local[2] session: 4 shuffle partitions, no UI, UTC everywhere, modest memory."""
    from pyspark.sql import SparkSession

    utc = "-Duser.timezone=UTC"
    session = (
        SparkSession.builder.master("local[2]")
        .appName("retentionkit-tests")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.extraJavaOptions", utc)
        .config("spark.executor.extraJavaOptions", utc)
        # Spark 4's default (ANSI SQL): overflows and bad casts fail instead of giving null.
        .config("spark.sql.ansi.enabled", "true")
        # Tiny test data: compiling generated Java for every stage costs more than running
        # it, so expressions are interpreted (same semantics, about half the wall time).
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.warehouse.dir", str(tmp_dir / "warehouse"))
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def load_duckdb(data: dict[str, pd.DataFrame]) -> Any:
    """An in-memory DuckDB workspace with every non-empty table of ``data`` ingested."""
    from retentionkit.config import Settings
    from retentionkit.workspace import Workspace

    ws = Workspace(":memory:", settings=Settings())
    for name in TABLE_ORDER:
        frame = data.get(name)
        if frame is not None and len(frame):
            ws.ingest(name, frame)
    return ws


def load_postgres(url: str, data: dict[str, pd.DataFrame]) -> Any:
    """A PostgreSQL workspace at ``url`` with every non-empty table of ``data`` ingested (the
    same staged, all-or-nothing ingest as ``retentionkit --db URL ingest``)."""
    from retentionkit.config import Settings
    from retentionkit.workspace import Workspace

    ws = Workspace(url, settings=Settings())
    for name in TABLE_ORDER:
        frame = data.get(name)
        if frame is not None and len(frame):
            ws.ingest(name, frame)
    return ws


def load_spark_from_duckdb(session: Any, duck_ws: Any, parquet_dir: Path) -> Any:
    """A Spark workspace holding the same canonical tables as ``duck_ws``, opened the way a user
    opens one: each DuckDB table is written to a Parquet file, mapped in ``[spark.tables]`` and
    the workspace is ``Workspace("spark://local[2]")`` (backends/spark.py reads each file and
    casts its columns to the canonical types; ``session``, already running, is the one it
    gets)."""
    from retentionkit.config import Settings
    from retentionkit.workspace import Workspace

    assert session is not None  # the running session connect_spark attaches to
    parquet_dir.mkdir(parents=True, exist_ok=True)
    tables = {}
    for name in duck_ws.tables():
        path = parquet_dir / f"{name}.parquet"
        duck_ws.con.to_parquet(duck_ws.con.table(name), path)
        tables[name] = str(path)
    settings = Settings(**{**duck_ws.settings.model_dump(), "spark": {"tables": tables}})
    return Workspace("spark://local[2]", settings=settings)


@pytest.fixture(scope="session")
def spark_session(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One local Spark session for the whole test session (skips without Java)."""
    reason = java_missing_reason()
    if reason:
        pytest.skip(reason)
    session = start_spark(tmp_path_factory.mktemp("spark"))
    yield session
    session.stop()


@pytest.fixture(scope="session")
def conformance_data() -> dict[str, pd.DataFrame]:
    from retentionkit.generate import generate_business

    return generate_business(**CONFORMANCE_BUSINESS)


@pytest.fixture(scope="session")
def duck_ws(conformance_data: dict[str, pd.DataFrame]) -> Any:
    return load_duckdb(conformance_data)


@pytest.fixture(scope="session")
def spark_ws(spark_session: Any, duck_ws: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return load_spark_from_duckdb(spark_session, duck_ws, tmp_path_factory.mktemp("parquet"))


@pytest.fixture(scope="session")
def postgres_ws(pg_server: Any, conformance_data: dict[str, pd.DataFrame]) -> Any:
    ws = load_postgres(pg_server.new_database("conformance"), conformance_data)
    yield ws
    ws.close()


@pytest.fixture
def engine_ws(request: pytest.FixtureRequest) -> Any:
    """The workspace of the test's ``engine`` parameter (``postgres_ws`` or ``spark_ws``)."""
    return request.getfixturevalue(f"{request.getfixturevalue('engine')}_ws")
