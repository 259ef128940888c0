"""The persistent result cache (retentionkit.service.result_cache) never changes a number.

Every cached answer is compared with a fresh computation of the same request with the cache
off, after random ingests, updates (re-ingested orders with other values) and deletes made by
another DuckDB connection behind retentionkit's back; a hit needs no database connection; a
damaged entry is recomputed; ``retentionkit rebuild --check`` finds an entry that differs and
``rebuild`` replaces it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retentionkit.config import Settings
from retentionkit.service import (
    CohortRequest,
    MetricRequest,
    RebuildRequest,
    Result,
    RfmRequest,
    SegmentRequest,
    result_cache,
    run,
)
from retentionkit.service import operations as ops
from retentionkit.workspace import Workspace
from rk_test_support import random_orders

REQUESTS = (
    MetricRequest(period="month"),
    MetricRequest(period="quarter", metrics=("crr", "revenue"), compare="previous"),
    CohortRequest(),
    RfmRequest(),
    SegmentRequest(scheme="rfm"),
)


orders = random_orders


def fresh(db: Path, request: Any, monkeypatch: pytest.MonkeyPatch) -> Result:
    with monkeypatch.context() as m:
        m.setenv("RETENTIONKIT_CACHE", "off")
        with Workspace(db) as ws:
            return run(ws, request)


def cached(db: Path, request: Any) -> Result:
    with Workspace(db) as ws:
        return run(ws, request)


def assert_same(a: Result, b: Result) -> None:
    assert a.title == b.title
    pd.testing.assert_frame_equal(a.frame, b.frame, check_exact=False, rtol=1e-9)
    assert a.frame.attrs == b.frame.attrs
    assert a.extra == b.extra
    assert a.report == b.report


@pytest.fixture(autouse=True)
def cache_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETENTIONKIT_CACHE", "on")


def computed_again(ws: Any, req: Any) -> Result:
    """An operation that must not run: the answer has to come from the cache."""
    raise AssertionError("computed again")


def entries(db: Path) -> list[Path]:
    where = result_cache.folder(db)
    return sorted(where.glob("*.rk")) if where.is_dir() else []


def test_a_hit_opens_no_connection_and_equals_the_computation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "ws.duckdb"
    with Workspace(db) as ws:
        ws.ingest("orders", orders(0, 300, seed=1))
    first = cached(db, REQUESTS[0])
    assert len(entries(db)) == 1

    monkeypatch.setitem(ops.OPERATIONS, MetricRequest, computed_again)
    with Workspace(db) as ws:
        again = run(ws, REQUESTS[0])
        assert ws._con is None  # the file was never opened
    assert_same(first, again)
    monkeypatch.undo()
    assert_same(again, fresh(db, REQUESTS[0], monkeypatch))


def test_other_settings_are_another_entry(tmp_path: Path) -> None:
    db = tmp_path / "ws.duckdb"
    with Workspace(db) as ws:
        ws.ingest("orders", orders(0, 200, seed=2))
    cached(db, REQUESTS[0])
    tight = Settings(health={"crr": {"good": 0.99, "poor": 0.98}})
    with Workspace(db, settings=tight) as ws:
        other = run(ws, REQUESTS[0])
    assert len(entries(db)) == 2
    crr = other.frame[other.frame["metric"] == "crr"]
    assert set(crr["health"].dropna()) <= {"poor"}


def test_off_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "ws.duckdb"
    with Workspace(db) as ws:
        ws.ingest("orders", orders(0, 100, seed=3))
    fresh(db, REQUESTS[0], monkeypatch)
    assert entries(db) == []


def test_a_damaged_entry_is_recomputed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "ws.duckdb"
    with Workspace(db) as ws:
        ws.ingest("orders", orders(0, 150, seed=4))
    first = cached(db, REQUESTS[2])
    (entry,) = entries(db)
    entry.write_bytes(entry.read_bytes()[:40])
    assert_same(first, cached(db, REQUESTS[2]))


# one operation on the workspace: ("add", n, seed) new orders; ("update", k, seed) k existing
# orders re-ingested with other amounts and times; ("delete", k) the k newest orders deleted by
# another DuckDB connection (a write retentionkit does not see)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(1, 60), st.integers(0, 10_000)),
        st.tuples(st.just("update"), st.integers(1, 20), st.integers(0, 10_000)),
        st.tuples(st.just("delete"), st.integers(1, 20), st.just(0)),
    ),
    min_size=1,
    max_size=4,
)


@pytest.mark.slow
@settings(max_examples=6, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops_=operations, seed=st.integers(0, 1000))
def test_cached_answers_equal_fresh_ones_after_random_writes(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    ops_: list[tuple[str, int, int]],
    seed: int,
) -> None:
    monkeypatch.setenv("RETENTIONKIT_CACHE", "on")
    db = tmp_path_factory.mktemp("cache") / "ws.duckdb"
    with Workspace(db) as ws:
        ws.ingest("orders", orders(0, 80, seed=seed))
    next_id = 80
    for request in REQUESTS:  # fill the cache on the first state
        cached(db, request)
    for op, n, op_seed in ops_:
        if op == "add":
            with Workspace(db) as ws:
                ws.ingest("orders", orders(next_id, n, seed=op_seed))
            next_id += n
        elif op == "update":
            changed = orders(max(0, next_id - n), min(n, next_id), seed=op_seed + 1)
            with Workspace(db) as ws:
                ws.ingest("orders", changed)
        else:
            con = duckdb.connect(str(db))
            con.execute(
                "DELETE FROM orders WHERE order_id IN (SELECT order_id FROM orders "
                "ORDER BY ordered_at DESC, order_id LIMIT ?)",
                [n],
            )
            left = con.execute("SELECT count(*) FROM orders").fetchone()[0]
            con.close()
            if left == 0:
                return
        for request in REQUESTS[::2]:
            answer = cached(db, request)  # first call: computed and kept
            kept = cached(db, request)  # second call: from the cache
            truth = fresh(db, request, monkeypatch)
            assert_same(answer, truth)
            assert_same(kept, truth)


def test_rebuild_check_finds_a_wrong_entry_and_rebuild_replaces_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "ws.duckdb"
    with Workspace(db) as ws:
        ws.ingest("orders", orders(0, 200, seed=5))
    right = cached(db, REQUESTS[0])
    cached(db, REQUESTS[2])
    wrong = right.copy()
    wrong.frame.loc[wrong.frame.index[0], "value"] = 12345.0
    with Workspace(db) as ws:
        ws.con  # noqa: B018 - the state of an open workspace, as run() stores it
        result_cache.store(ws, REQUESTS[0], wrong)
    assert cached(db, REQUESTS[0]).frame["value"].iloc[0] == 12345.0

    with Workspace(db) as ws:
        report = ws.rebuild(check=True)
    assert report["checked"] == 2
    assert len(report["differ"]) == 1 and report["differ"][0].startswith("MetricRequest")
    assert cached(db, REQUESTS[0]).frame["value"].iloc[0] == 12345.0  # --check changes nothing

    with Workspace(db) as ws:
        report = ws.rebuild()
    assert report["recomputed"] == 2 and report["removed"] >= 2
    assert_same(cached(db, REQUESTS[0]), fresh(db, REQUESTS[0], monkeypatch))
    with Workspace(db) as ws:
        assert ws.rebuild(check=True) == {"checked": 2, "differ": []}


def test_rebuild_of_a_workspace_without_a_file_is_empty() -> None:
    with Workspace(":memory:") as ws:
        report = run(ws, RebuildRequest()).report
    assert report == {"checked": 0, "differ": [], "removed": 0, "recomputed": 0}


def cli(db: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "retentionkit", "--db", str(db), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "RETENTIONKIT_CACHE": "on", **(env or {})},
        timeout=300,
    )


@pytest.mark.slow
def test_whole_processes_see_each_others_writes(tmp_path: Path) -> None:
    db = tmp_path / "ws.duckdb"
    orders(0, 300, seed=6).to_csv(tmp_path / "a.csv", index=False)
    orders(300, 100, seed=7).to_csv(tmp_path / "b.csv", index=False)
    assert cli(db, "ingest", "orders", str(tmp_path / "a.csv")).returncode == 0
    before = cli(db, "metrics", "--format", "json")
    assert before.returncode == 0, before.stderr
    assert cli(db, "metrics", "--format", "json").stdout == before.stdout  # from the cache
    assert cli(db, "ingest", "orders", str(tmp_path / "b.csv")).returncode == 0
    after = cli(db, "metrics", "--format", "json")
    truth = cli(db, "metrics", "--format", "json", env={"RETENTIONKIT_CACHE": "off"})
    assert after.stdout == truth.stdout != before.stdout
    check = cli(db, "rebuild", "--check", "--format", "json")
    assert check.returncode == 0, check.stderr
    assert json.loads(check.stdout) == {"checked": 1, "differ": []}


def test_bookkeeping_writes_keep_the_entries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write that is not data (the automations' outbox and locks) keeps the cached answers: a
    restarted server still finds them."""
    from retentionkit.backends import transaction

    db = tmp_path / "ws.duckdb"
    with Workspace(db) as ws:
        ws.ingest("orders", orders(0, 120, seed=8))
    first = cached(db, REQUESTS[0])
    with Workspace(db) as ws, transaction(ws.con):
        ws.con.raw_sql("CREATE TABLE automation_lock_example (name VARCHAR, owner VARCHAR)")
        ws.con.raw_sql("INSERT INTO automation_lock_example VALUES ('deliverer', 'me')")

    monkeypatch.setitem(ops.OPERATIONS, MetricRequest, computed_again)
    assert_same(first, cached(db, REQUESTS[0]))


def test_an_outside_update_that_keeps_the_row_counts_is_found_by_rebuild_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documented limit (docs/performance.md): another tool's UPDATE that keeps every row
    count is not seen by the key; `rebuild --check` finds it and `rebuild` repairs it."""
    db = tmp_path / "ws.duckdb"
    with Workspace(db) as ws:
        ws.ingest("orders", orders(0, 200, seed=9))
    before = cached(db, REQUESTS[0])
    con = duckdb.connect(str(db))
    con.execute("UPDATE orders SET amount = amount * 2")
    con.close()
    truth = fresh(db, REQUESTS[0], monkeypatch)
    assert not truth.frame.equals(before.frame)
    with Workspace(db) as ws:
        report = ws.rebuild(check=True)
    assert report["checked"] == 1 and len(report["differ"]) == 1
    with Workspace(db) as ws:
        ws.rebuild()
    assert_same(cached(db, REQUESTS[0]), truth)
