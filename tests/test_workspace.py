"""The Workspace object: any Ibis backend, clear errors for tables not loaded yet."""

from __future__ import annotations

import ibis
import pandas as pd
import pytest

from retentionkit.config import Settings
from retentionkit.errors import InputError, MissingTableError, RetentionkitError, UnknownNameError
from retentionkit.schema import ingest as ingest_module
from retentionkit.workspace import Workspace


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_id": ["1", "2"],
            "customer_id": ["a", "b"],
            "ordered_at": ["2024-01-01", "2024-01-02"],
            "amount": ["1.50", "2.25"],
        }
    )


def test_workspace_over_an_ibis_backend_object():
    con = ibis.duckdb.connect()
    ws = Workspace(con, settings=Settings())
    assert ws.con is con
    ws.ingest("orders", _frame())
    assert ws.tables() == ["orders"]
    assert ws.row_counts() == {"orders": 2}
    assert con.table("orders").count().execute() == 2


def test_missing_table_names_the_ingest_command():
    ws = Workspace(":memory:", settings=Settings())
    with pytest.raises(MissingTableError, match="retentionkit ingest orders FILE"):
        ws.table("orders")


def test_unknown_table_lists_the_valid_ones():
    ws = Workspace(":memory:", settings=Settings())
    with pytest.raises(UnknownNameError, match="orders, returns"):
        ws.table("sales")


def test_bad_timezone_argument_is_a_user_error():
    ws = Workspace(":memory:", settings=Settings())
    with pytest.raises(RetentionkitError, match="Mars/Olympus"):
        ws.ingest("orders", _frame(), timezone="Mars/Olympus")


def test_a_failed_write_rolls_back_every_table(tmp_path, monkeypatch):
    """All or nothing even when the second table of a line-item load fails while writing."""
    ws = Workspace(tmp_path / "ws.duckdb", settings=Settings())
    ws.ingest("orders", _frame())
    before = ws.table("orders").execute()
    lines = pd.DataFrame(
        {
            "order_id": ["10", "C11"],
            "customer_id": ["a", "a"],
            "ordered_at": ["2024-02-01", "2024-02-02"],
            "quantity": [2, -1],
            "unit_price": [3.0, 3.0],
        }
    )
    real = ingest_module.upsert_staged

    def failing(con, contract, staged, schema):
        if contract.name == "returns":
            raise OSError("disk full")
        return real(con, contract, staged, schema)

    monkeypatch.setattr(ingest_module, "upsert_staged", failing)
    with pytest.raises(OSError):
        ws.ingest("orders", lines, line_items=True)
    pd.testing.assert_frame_equal(ws.table("orders").execute(), before)
    assert "returns" not in ws.tables()


def test_frame_errors_name_the_row():
    frame = _frame()
    frame.loc[1, "amount"] = "lots"
    ws = Workspace(":memory:", settings=Settings())
    with pytest.raises(InputError, match=r"the DataFrame, row 2, column amount: 'lots'"):
        ws.ingest("orders", frame)


def test_a_read_scope_lists_the_tables_once_per_operation_and_thread(tmp_path) -> None:
    """Workspace.read_scope (service.run of a cacheable read): one catalogue query for the
    whole operation; outside it, and in another thread, the tables are listed afresh."""
    import threading

    from retentionkit.service import MetricRequest, run

    ws = Workspace(tmp_path / "ws.duckdb")
    ws.ingest(
        "orders",
        pd.DataFrame(
            {
                "order_id": ["a", "b", "c"],
                "customer_id": ["x", "y", "x"],
                "ordered_at": pd.to_datetime(["2024-01-05", "2024-02-03", "2024-03-09"]),
                "amount": [10.0, 20.0, 30.0],
            }
        ),
    )
    calls: list[int] = []
    listed = ws.con.list_tables

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return listed(*args, **kwargs)

    ws.con.list_tables = counting  # type: ignore[method-assign]
    seen_elsewhere: list[bool] = []
    with ws.read_scope():
        assert ws.has_table("orders") and not ws.has_table("customers")
        assert ws.tables() == ["orders"]
        assert ws.table("orders") is ws.table("orders")
        worker = threading.Thread(target=lambda: seen_elsewhere.append(ws._scope() is None))
        worker.start()
        worker.join()
    assert len(calls) == 1 and seen_elsewhere == [True]
    ws.ingest("customers", pd.DataFrame({"customer_id": ["x", "y"]}))
    calls.clear()
    assert ws.has_table("customers") and ws.has_table("orders")  # outside: listed afresh
    assert len(calls) == 2
    calls.clear()
    run(ws, MetricRequest(period="month"))  # the whole KPI report: one listing
    assert len(calls) == 1
    ws.close()


def test_tables_of_an_unopened_file_are_listed_without_ibis(tmp_path) -> None:
    """A DuckDB file not yet opened through Ibis is listed on the plain connection, with the
    same names Ibis's list_tables gives (tables, views, temporary tables), and Ibis is not
    imported for it (a server's cached first page)."""
    import subprocess
    import sys

    path = tmp_path / "ws.duckdb"
    ws = Workspace(path)
    ws.ingest("orders", _frame())
    ws.con.raw_sql("CREATE VIEW v_orders AS SELECT * FROM orders")
    ws.close()

    fresh = Workspace(path)
    fresh.duck.execute("CREATE TEMP TABLE scratch (x INTEGER)")
    plain = fresh._list_tables()
    assert fresh._con is None  # listed without the Ibis backend
    assert plain == set(fresh.con.list_tables()) >= {"orders", "v_orders", "scratch"}
    assert fresh.tables() == ["orders"]
    fresh.close()

    code = (
        "import sys; from retentionkit.workspace import Workspace; "
        f"ws = Workspace({str(path)!r}); print(ws.tables(), ws.has_table('orders')); "
        "print(sorted(m for m in ('ibis', 'pandas', 'sqlglot') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[0] == "['orders'] True"
    assert "ibis" not in out[1] and "sqlglot" not in out[1]
