"""``--db postgresql://…`` end to end on a real PostgreSQL server (the root conftest's
``pg_server``): CLI ingest with upserts, all-or-nothing writes, the workspace's own state
(goals, surveys, automations, API keys), two processes writing at once, and bad URLs (one
sentence naming the URL without its password, non-zero exit, nothing written)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from retentionkit.cli.app import main
from retentionkit.config import Settings
from retentionkit.workspace import Workspace

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.xdist_group("postgres")]

SRC = str(Path(__file__).resolve().parents[2] / "src")


def _cli(capsys: Any, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _orders(n: int, start: int = 1, amount: float = 10.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_id": [f"O{i:05d}" for i in range(start, start + n)],
            "customer_id": [f"C{i % 40:03d}" for i in range(start, start + n)],
            "ordered_at": pd.date_range("2025-01-01", periods=n, freq="7h")
            + pd.Timedelta(hours=7 * (start - 1)),
            "amount": amount,
        }
    )


def _count(url: str, table: str) -> int:
    import psycopg

    with psycopg.connect(url) as con:
        return int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def _tables(url: str) -> set[str]:
    import psycopg

    with psycopg.connect(url) as con:
        rows = con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
    return {r[0] for r in rows}


def test_cli_ingest_upserts_and_metrics_match_the_workspace(
    pg_server: Any, tmp_path: Path, capsys: Any
) -> None:
    url = pg_server.new_database("cli")
    first = tmp_path / "orders.csv"
    _orders(300).to_csv(first, index=False)
    code, out, err = _cli(capsys, "--db", url, "ingest", "orders", str(first))
    assert code == 0, err
    assert "300 inserted" in out
    changed = _orders(300)
    changed.loc[:9, "amount"] = 99.0
    second = tmp_path / "orders2.csv"
    pd.concat([changed, _orders(20, start=301)]).to_csv(second, index=False)
    code, out, err = _cli(capsys, "--db", url, "ingest", "orders", str(second))
    assert code == 0, err
    assert "20 inserted, 10 updated, 290 unchanged" in out
    assert _count(url, "orders") == 320
    code, out, err = _cli(
        capsys,
        "--db",
        url,
        "metrics",
        "--metric",
        "revenue",
        "--period",
        "month",
        "--format",
        "json",
    )
    assert code == 0, err
    with Workspace(url, settings=Settings()) as ws:
        expected = ws.metrics("revenue", period="month")
    got = json.loads(out)
    assert [r["value"] for r in got] == pytest.approx(expected["value"].tolist())
    assert sum(r["value"] for r in got) == pytest.approx(300 * 10 + 10 * 89 + 20 * 10)


def test_env_var_names_the_database(pg_server: Any, tmp_path: Path, capsys: Any) -> None:
    url = pg_server.new_database("env")
    path = tmp_path / "orders.csv"
    _orders(50).to_csv(path, index=False)
    old = os.environ.get("RETENTIONKIT_DB")
    os.environ["RETENTIONKIT_DB"] = url
    try:
        code, _out, err = _cli(capsys, "ingest", "orders", str(path))
    finally:
        if old is None:
            del os.environ["RETENTIONKIT_DB"]
        else:
            os.environ["RETENTIONKIT_DB"] = old
    assert code == 0, err
    assert _count(url, "orders") == 50
    assert not (Path.cwd() / "retentionkit.duckdb").exists() or "retentionkit.duckdb" not in err


def test_a_failure_inside_the_transaction_writes_nothing(
    pg_server: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two tables in one load-dir; the second upsert fails after the first one ran: the
    PostgreSQL transaction rolls both back (and the customers table is not even created)."""
    from retentionkit.schema import store

    url = pg_server.new_database("atomic")
    ws = Workspace(url, settings=Settings())
    ws.ingest("orders", _orders(100))
    folder = tmp_path / "load"
    folder.mkdir()
    _orders(100, amount=55.0).to_csv(folder / "orders.csv", index=False)
    pd.DataFrame({"customer_id": [f"C{i:03d}" for i in range(40)]}).to_csv(
        folder / "customers.csv", index=False
    )
    real = store.upsert_staged
    calls = []

    def failing(con: Any, contract: Any, staged: Any, schema: Any) -> Any:
        calls.append(contract.name)
        if len(calls) == 2:
            raise RuntimeError("crash between two upserts")
        return real(con, contract, staged, schema)

    monkeypatch.setattr(store, "upsert_staged", failing)
    import retentionkit.schema.ingest as ingest

    monkeypatch.setattr(ingest, "upsert_staged", failing)
    with pytest.raises(RuntimeError):
        ws.load_dir(folder)
    assert len(calls) == 2
    ws.close()
    assert "customers" not in _tables(url)
    import psycopg

    with psycopg.connect(url) as con:
        amounts = con.execute("SELECT DISTINCT amount FROM orders").fetchall()
    assert [float(a[0]) for a in amounts] == [10.0]


def test_goals_surveys_automations_and_keys(pg_server: Any, tmp_path: Path, capsys: Any) -> None:
    from retentionkit.automations.service import AddRule, DryRun, Log, Overview, RunAutomations
    from retentionkit.automations.service import run as run_automation
    from retentionkit.surveys.service import CreateSurvey
    from retentionkit.surveys.service import run as run_survey

    url = pg_server.new_database("state")
    ws = Workspace(url, settings=Settings())
    ids = [f"C{i:03d}" for i in range(40)]
    ws.ingest(
        "customers",
        pd.DataFrame({"customer_id": ids, "email": [f"{c.lower()}@example.com" for c in ids]}),
    )
    ws.ingest("orders", _orders(300))
    # goals
    goal = ws.add_goal("rev", metric="revenue", target=5000, by="2025-06-01", start="2025-02-01")
    assert goal["name"] == "rev"
    assert [g["name"] for g in ws.goals()] == ["rev"]
    assert ws.evaluate_goals(as_of="2025-03-01")
    ws.delete_goal("rev")
    assert ws.goals() == []
    # surveys: create, links, answer through the store, summary
    run_survey(ws, CreateSurvey("feedback", "csat"))
    code, out, err = _cli(
        capsys, "--db", url, "surveys", "links", "feedback", "--all", "--format", "json"
    )
    assert code == 0, err
    assert len(json.loads(out)) == 40
    code, out, err = _cli(capsys, "--db", url, "surveys", "show", "feedback", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["customers_sent"] == 40
    code, out, err = _cli(capsys, "--db", url, "surveys", "rotate-secret")
    assert code == 0 and "2 secrets" in out
    # automations: plan once, each key once
    run_automation(ws, AddRule("fb", "feedback_request", channel="log", since="2025-01-01"))
    dry = run_automation(ws, DryRun(as_of="2025-03-01"))
    assert len(dry) > 0 and _count(url, "automation_outbox") == 0
    first = run_automation(ws, RunAutomations(as_of="2025-03-01", deliver=False))
    again = run_automation(ws, RunAutomations(as_of="2025-03-01", deliver=False))
    assert first["planned"] == len(dry) and again["planned"] == 0
    assert _count(url, "automation_outbox") == len(dry)
    delivered = run_automation(ws, RunAutomations(plan=False))  # the log channel: in process
    assert delivered["sent"] == len(dry) and not delivered["busy"]
    log = run_automation(ws, Log(rule="fb"))
    assert len(log) == len(dry) and set(log["status"]) == {"sent"}
    assert run_automation(ws, Overview())["rules"][0]["name"] == "fb"
    ws.close()
    # API keys live in the database: created by one process, listed and revoked by another
    code, out, err = _cli(capsys, "--db", url, "keys", "create", "--role", "admin", "--name", "ci")
    assert code == 0, err
    key = out.strip()
    from retentionkit.web.keys import keystore_for

    record = keystore_for(url).verify(key)
    assert record.role == "admin"
    code, out, err = _cli(capsys, "--db", url, "keys", "list", "--format", "json")
    assert [k["id"] for k in json.loads(out)] == [record.id]
    code, out, err = _cli(capsys, "--db", url, "keys", "revoke", record.id)
    assert code == 0, err
    assert _count(url, "api_keys") == 0


def _ingest_process(url: str, path: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.Popen(
        [sys.executable, "-m", "retentionkit.cli.app", "--db", url, "ingest", "orders", str(path)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_processes_write_at_once(pg_server: Any, tmp_path: Path) -> None:
    """Two CLI ingests of overlapping files start together on a new database (both want to
    create the table): both succeed, and the table holds the union, each key once."""
    url = pg_server.new_database("concurrent")
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    _orders(2000).to_csv(a, index=False)
    _orders(2000, start=1001, amount=20.0).to_csv(b, index=False)
    procs = [_ingest_process(url, a), _ingest_process(url, b)]
    results = [p.communicate(timeout=120) for p in procs]
    for proc, (_out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
    assert _count(url, "orders") == 3000
    import psycopg

    with psycopg.connect(url) as con:
        dupes = con.execute(
            "SELECT count(*) FROM (SELECT order_id FROM orders GROUP BY order_id "
            "HAVING count(*) > 1) d"
        ).fetchone()[0]
        overlap = con.execute(
            "SELECT DISTINCT amount FROM orders WHERE order_id BETWEEN 'O01001' AND 'O02000'"
        ).fetchall()
    assert dupes == 0
    assert len(overlap) == 1  # the later writer's values, never a mix within one load


# -- bad input ---------------------------------------------------------------------------------


def _refused(capsys: Any, url: str, tmp_path: Path) -> tuple[int, str]:
    path = tmp_path / "orders.csv"
    _orders(10).to_csv(path, index=False)
    code, out, err = _cli(capsys, "--db", url, "ingest", "orders", str(path))
    assert out == ""
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    return code, err


def test_unreachable_server(pg_server: Any, tmp_path: Path, capsys: Any) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://rk:hunter2@127.0.0.1:{port}/shop"
    code, err = _refused(capsys, url, tmp_path)
    assert code == 8
    assert f"postgresql://rk:***@127.0.0.1:{port}/shop" in err and "hunter2" not in err
    assert "check that the server is running" in err


def test_wrong_password(pg_server: Any, tmp_path: Path, capsys: Any) -> None:
    url = pg_server.new_database("creds")
    bad = url.replace(pg_server.PASSWORD, "wrong-pass")
    code, err = _refused(capsys, bad, tmp_path)
    assert code == 8 and "refused the credentials of user rk" in err
    assert "wrong-pass" not in err and ":***@" in err
    assert _tables(url) == set()


def test_missing_database(pg_server: Any, tmp_path: Path, capsys: Any) -> None:
    url = pg_server.url("no_such_db")
    code, err = _refused(capsys, url, tmp_path)
    assert code == 8 and "has no database no_such_db" in err and "createdb no_such_db" in err
    assert pg_server.PASSWORD not in err


def test_missing_table(pg_server: Any, capsys: Any) -> None:
    url = pg_server.new_database("empty")
    code, _out, err = _cli(capsys, "--db", url, "metrics", "--metric", "revenue")
    assert code == 3, err
    assert "needs the orders table, which is not loaded" in err
    assert ":***@127.0.0.1" in err and pg_server.PASSWORD not in err
    assert _tables(url) == set()


def test_server_cache_sees_another_process_write(pg_server: Any) -> None:
    """The server's result cache (WorkspaceService) over PostgreSQL: a write by another
    connection (the nightly CLI ingest) bumps the database's data version, so the next request
    recomputes instead of serving the cached figure."""
    from retentionkit.web.service import WorkspaceService

    url = pg_server.new_database("cache")
    writer = Workspace(url, settings=Settings())
    writer.ingest("orders", _orders(100))
    svc = WorkspaceService(url)

    def revenue(ws: Workspace) -> float:
        return float(ws.metrics("revenue", period="year")["value"].sum())

    assert svc.cached("rev", revenue) == pytest.approx(1000.0)
    assert svc.cached("rev", revenue) == pytest.approx(1000.0)
    writer.ingest("orders", _orders(1, start=101, amount=500.0))
    assert svc.cached("rev", revenue) == pytest.approx(1500.0)
    svc.close()
    writer.close()


def test_kill_9_in_the_middle_of_the_upsert_writes_nothing(pg_server: Any, tmp_path: Path) -> None:
    """``kill -9`` of a CLI ingest while PostgreSQL runs its ``INSERT … ON CONFLICT``: the
    server rolls the transaction back when the client's connection drops, so the table keeps
    its rows and values, no staging table stays behind, and the next ingest (which needs the
    writer lock) goes through."""
    import signal
    import time

    import psycopg

    url = pg_server.new_database("kill9")
    ws = Workspace(url, settings=Settings())
    ws.ingest("orders", _orders(100))
    ws.close()
    big = tmp_path / "big.csv"
    rows = _orders(120_000, amount=77.0)
    rows["ordered_at"] = pd.date_range("2025-01-01", periods=len(rows), freq="min")
    rows.to_csv(big, index=False)
    proc = _ingest_process(url, big)
    seen = None
    with psycopg.connect(url, autocommit=True) as watch:
        deadline = time.monotonic() + 240
        while proc.poll() is None and time.monotonic() < deadline:
            row = watch.execute(
                "SELECT query FROM pg_stat_activity WHERE state = 'active' "
                "AND query LIKE 'INSERT INTO \"orders\" %'"  # the text is cut at 1 kB
            ).fetchone()
            if row:
                seen = row[0]
                proc.send_signal(signal.SIGKILL)
                break
            time.sleep(0.02)
    out, err = proc.communicate(timeout=60)
    assert seen is not None, f"the ingest ended before its upsert was seen: {out} {err}"
    assert proc.returncode == -signal.SIGKILL
    with psycopg.connect(url) as con:  # the server notices the dropped connection, rolls back
        for _ in range(100):
            busy = con.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            ).fetchone()[0]
            if busy == 0:
                break
            time.sleep(0.1)
        assert con.execute("SELECT count(*), min(amount), max(amount) FROM orders").fetchone() == (
            100,
            10,
            10,
        )
    assert _tables(url) == {"orders", "retentionkit_state"}  # no staging table left
    again = tmp_path / "again.csv"
    _orders(5, start=101).to_csv(again, index=False)
    follow = _ingest_process(url, again)
    _out, err = follow.communicate(timeout=120)
    assert follow.returncode == 0, err
    assert _count(url, "orders") == 105
