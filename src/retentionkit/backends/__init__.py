"""Connect to an Ibis backend (an embedded DuckDB file by default, a PostgreSQL database from a
``postgresql://`` URL, anything else Ibis speaks), group writes in one transaction, and run the
few statements Ibis has no expression for.

Metric code receives an Ibis backend and never imports a driver. The stores of the workspace's
own state (goals, surveys, automations) write their SQL once, in DuckDB's dialect with ``?``
parameters, and run it through :func:`sql`, which translates it for PostgreSQL (sqlglot, cached
per statement); :func:`ensure_tables` creates their tables once per connection.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.config import Settings

__all__ = [
    "backend_name",
    "connect",
    "data_version",
    "describe",
    "ensure_tables",
    "insert_frame",
    "serialize_writers",
    "sql",
    "transaction",
    "upsert_on_conflict",
]


def connect(target: str | Path | Any, settings: Settings | None = None) -> Any:
    """Return an Ibis backend for ``target``.

    * an Ibis backend object is returned unchanged;
    * ``postgresql://…`` (or ``postgres://…``) connects to PostgreSQL
      (:func:`retentionkit.backends.postgres.connect_postgres`: a failure is one sentence);
    * ``spark://…`` or ``sc://…`` opens a read-only Spark workspace over the tables mapped in
      ``settings.spark.tables`` (:func:`retentionkit.backends.spark.connect_spark`);
    * another URL with a scheme (``duckdb://…``) goes to ``ibis.connect``;
    * anything else is a path to a DuckDB file (created when missing), or ``:memory:``.
    """
    import ibis
    from ibis.backends import BaseBackend

    if isinstance(target, BaseBackend):
        return target
    text = str(target)
    if "://" in text:
        from retentionkit.backends.postgres import SCHEMES, connect_postgres

        if text.split("://", 1)[0].lower() in SCHEMES:
            return connect_postgres(text)
        from retentionkit.backends.spark import connect_spark, is_spark_url

        if is_spark_url(text):
            from retentionkit.config import Settings

            return connect_spark(text, settings or Settings())
        return ibis.connect(text)
    return ibis.duckdb.from_connection(open_duckdb(text))


def open_duckdb(path: str | Path) -> Any:
    """A plain ``duckdb`` connection to the DuckDB file ``path`` (created when missing) or
    ``:memory:``, set up as Ibis sets up its own (UTC session time zone, no Python-variable
    replacement scans). The engine ingest (schema/engine_ingest.py) works on it without
    importing Ibis; :func:`connect` wraps it in an Ibis backend. A locked file raises
    :class:`~retentionkit.errors.WorkspaceLockedError`, anything else that is not a DuckDB
    workspace one :class:`~retentionkit.errors.InputError` sentence."""
    import duckdb

    text = str(path)
    if text != ":memory:":
        Path(text).parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(text if text == ":memory:" else str(Path(text).absolute()))
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET python_enable_replacements = false")
        con.execute("SET enable_progress_bar = false")
        return con
    except Exception as exc:  # not a DuckDB file, locked by another process, no permission …
        from retentionkit.errors import InputError, first_line

        detail = first_line(exc)
        if "lock" in str(exc).lower():  # another process holds it: see runtime/lock.py
            from retentionkit.errors import WorkspaceLockedError

            raise WorkspaceLockedError(
                f"{text} is in use by another process ({detail}).", detail=str(exc)
            ) from None
        raise InputError(
            f"{text}: cannot be opened as a DuckDB workspace ({detail}); give --db a new "
            "file name or an existing workspace."
        ) from None


def backend_name(con: Any) -> str:
    return str(getattr(con, "name", type(con).__name__))


def describe(con: Any) -> str:
    """How to name the workspace of ``con`` in a message: the URL of a PostgreSQL workspace
    (without its password), else the backend's name."""
    return str(getattr(con, "_retentionkit_url", None) or backend_name(con))


@contextlib.contextmanager
def transaction(con: Any, *, data: bool = False) -> Iterator[None]:
    """All-or-nothing block for writes.

    DuckDB: ``BEGIN`` … ``COMMIT`` (``ROLLBACK`` on any exception). PostgreSQL: one psycopg
    transaction; Ibis' own statements inside it (``create_table``, ``insert``, ``upsert``)
    become savepoints of it, and nested blocks too. With ``data`` (a write that changes what
    reports show: an ingest, a survey answer, a goal) the outermost block on PostgreSQL also
    bumps the database's data version (:func:`data_version`) in the same transaction, so every
    server over that database sees the write at its next request; on DuckDB the block bumps the
    file's own data version (the same table), which keys the persistent result cache
    (:mod:`retentionkit.service.result_cache`). Other backends (Spark) have
    no transactions and run the block as is (the ingest validates everything before writing)."""
    name = "duckdb" if _is_plain_duckdb(con) else backend_name(con)
    if name == "postgres":
        import psycopg

        outermost = con.con.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        if data and outermost:
            _ensure_version_table(con)
        with con.con.transaction():
            yield
            if data and outermost:
                with con.con.cursor() as cursor:
                    cursor.execute(
                        f"UPDATE {VERSION_TABLE} SET version = version + 1 WHERE name = 'data'"
                    )
        return
    if name != "duckdb":
        yield
        return
    run = con.execute if _is_plain_duckdb(con) else con.raw_sql
    run("BEGIN TRANSACTION")
    try:
        yield
        if data:  # the file's data version (retentionkit.service.result_cache's key)
            run(VERSION_DDL)
            run(
                f"INSERT INTO {VERSION_TABLE} VALUES ('data', 1) "
                "ON CONFLICT (name) DO UPDATE SET version = version + 1"
            )
    except BaseException:
        run("ROLLBACK")
        raise
    else:
        run("COMMIT")


def _is_plain_duckdb(con: Any) -> bool:
    """A bare ``duckdb`` connection (:func:`open_duckdb`), not an Ibis backend."""
    return type(con).__module__.startswith(("duckdb", "_duckdb"))


#: PostgreSQL: one row (name ``data``) whose ``version`` every committed data write bumps.
VERSION_TABLE = "retentionkit_state"
VERSION_DDL = (
    f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (name TEXT PRIMARY KEY, version BIGINT NOT NULL)"
)


def _ensure_version_table(con: Any) -> None:
    if getattr(con, "_retentionkit_version_table", False):
        return
    with con.con.transaction(), con.con.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('retentionkit:state'))")
        cursor.execute(VERSION_DDL)
        cursor.execute(
            f"INSERT INTO {VERSION_TABLE} VALUES ('data', 0) ON CONFLICT (name) DO NOTHING"
        )
    con._retentionkit_version_table = True


def data_version(con: Any) -> int | None:
    """The data version of a database several processes write (PostgreSQL: bumped by every
    committed data write, see :func:`transaction`); None for an embedded workspace, whose one
    writer process keeps its own count."""
    if backend_name(con) != "postgres":
        return None
    with con.con.cursor() as cursor:
        if cursor.execute(f"SELECT to_regclass('{VERSION_TABLE}')").fetchone()[0] is None:
            return 0
        row = cursor.execute(f"SELECT version FROM {VERSION_TABLE} WHERE name = 'data'").fetchone()
    return int(row[0]) if row else 0


@functools.lru_cache(maxsize=512)
def _postgres_sql(query: str, has_params: bool) -> str:
    """``query`` (DuckDB dialect, ``?`` parameters) in PostgreSQL's dialect (``%s``
    parameters; a ``%`` inside a string literal doubled, as psycopg wants with parameters)."""
    import sqlglot
    import sqlglot.expressions as sge

    out = []
    for tree in sqlglot.parse(query, read="duckdb"):
        if tree is None:
            continue
        if has_params:
            for lit in tree.find_all(sge.Literal):
                if lit.is_string and "%" in lit.this:
                    lit.set("this", lit.this.replace("%", "%%"))
        out.append(tree.sql(dialect="postgres"))
    return "; ".join(out)


def sql(con: Any, query: str, params: Sequence[Any] | None = None) -> Any:
    """Run one statement written in DuckDB's dialect with ``?`` parameters; returns a cursor
    (``fetchone``/``fetchall``). On PostgreSQL the statement is translated (sqlglot) and run on
    the session's psycopg connection, inside the current :func:`transaction` if any."""
    if backend_name(con) == "postgres":
        cursor = con.con.cursor()
        cursor.execute(_postgres_sql(query, bool(params)), list(params) if params else None)
        return cursor
    return con.raw_sql(query, parameters=list(params or []))


def serialize_writers(con: Any, name: str) -> None:
    """Inside a :func:`transaction` on PostgreSQL: wait until no other transaction holds the
    writer lock ``name`` (a transaction-scoped advisory lock, released at commit or rollback),
    so that concurrent writers of several processes take turns on table changes and upserts.
    A no-op elsewhere (DuckDB has one writer process)."""
    if backend_name(con) == "postgres":
        sql(con, "SELECT pg_advisory_xact_lock(hashtext(?))", [f"retentionkit:{name}"])


def upsert_on_conflict(con: Any, table: str, rows: Any, key: str) -> None:
    """PostgreSQL: ``INSERT INTO table (…) SELECT … ON CONFLICT (key) DO UPDATE SET c =
    EXCLUDED.c`` of the Ibis table expression ``rows`` (a row another transaction inserts
    meanwhile is updated, never a duplicate-key error). Needs a unique index on ``key``, which
    :func:`ensure_unique_key` creates."""
    import sqlglot as sg

    ensure_unique_key(con, table, key)
    columns = list(rows.columns)
    quoted = [sg.to_identifier(c, quoted=True).sql("postgres") for c in columns]
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in quoted if c != _q(key))
    select = con.compile(rows)
    statement = (
        f"INSERT INTO {_q(table)} ({', '.join(quoted)}) {select} "
        f"ON CONFLICT ({_q(key)}) DO " + (f"UPDATE SET {updates}" if updates else "NOTHING")
    )
    con._run_pre_execute_hooks(rows)  # register the in-memory tables the select reads
    with con.con.cursor() as cursor:
        cursor.execute(statement)


def _q(name: str) -> str:
    import sqlglot as sg

    return sg.to_identifier(name, quoted=True).sql("postgres")


def ensure_unique_key(con: Any, table: str, key: str) -> None:
    """A unique index on ``table(key)`` (PostgreSQL; ``CREATE UNIQUE INDEX IF NOT EXISTS``
    on every upsert: widening a table with new attribute columns rebuilds it): the target of
    ``ON CONFLICT`` and a guard against duplicate keys."""
    with con.con.cursor() as cursor:
        cursor.execute(
            f"CREATE UNIQUE INDEX IF NOT EXISTS {_q(f'{table}_{key}_key')} "
            f"ON {_q(table)} ({_q(key)})"
        )


def ensure_tables(
    con: Any, key: str, ddl: Sequence[str], then: Callable[[], None] | None = None
) -> None:
    """Run the ``CREATE TABLE IF NOT EXISTS`` statements ``ddl`` (and ``then``) in one
    transaction, once per connection (remembered on it under ``key``).

    On PostgreSQL several processes may do this at the same moment: a transaction-scoped
    advisory lock on ``key`` makes them take turns (two concurrent ``CREATE TABLE IF NOT
    EXISTS`` of one table can otherwise fail on PostgreSQL's catalog)."""
    attr = f"_retentionkit_ready_{key}"
    if getattr(con, attr, False):
        return
    with transaction(con):
        if backend_name(con) == "postgres":
            sql(con, "SELECT pg_advisory_xact_lock(hashtext(?))", [f"retentionkit:{key}"])
        for statement in ddl:
            sql(con, statement)
        if then is not None:
            then()
    setattr(con, attr, True)


def insert_frame(
    con: Any, table: str, frame: Any, columns: Sequence[str], *, conflict: str = ""
) -> None:
    """``INSERT INTO table (columns) … <conflict>`` of every row of the pandas ``frame``
    (``conflict`` e.g. ``ON CONFLICT (key) DO NOTHING``): DuckDB reads the frame in place,
    PostgreSQL gets one multi-row ``executemany``. Call inside :func:`transaction`."""
    cols = ", ".join(columns)
    if backend_name(con) == "postgres":
        marks = ", ".join(["?"] * len(columns))
        query = _postgres_sql(f"INSERT INTO {table} ({cols}) VALUES ({marks}) {conflict}", True)
        rows = [
            tuple(None if _missing(v) else _plain(v) for v in row)
            for row in frame[list(columns)].itertuples(index=False, name=None)
        ]
        with con.con.cursor() as cursor:
            cursor.executemany(query, rows)
        return
    view = "_rk_insert_frame"
    con.con.register(view, frame)
    try:
        con.raw_sql(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {view} {conflict}")
    finally:
        con.con.unregister(view)


def _missing(value: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _plain(value: Any) -> Any:
    """numpy / pandas scalars as Python values psycopg adapts."""
    import pandas as pd

    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value.item() if hasattr(value, "item") and not isinstance(value, str) else value
