"""RFM summaries kept in-process by the workspace file's data state (clv/memo.py:
summary_key) never change a number: after random ingests, updates and deletes made behind
retentionkit's back on the same open workspace, a kept summary equals one computed with the
cache off; a summary asked without an observation end and one asked up to the last order day
are one entry; a hit is a copy; ``rebuild`` forgets them."""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retentionkit.clv import memo, rfm
from retentionkit.workspace import Workspace
from rk_test_support import count_calls, random_orders

orders = functools.partial(random_orders, customers=30)


#: (observation end, calibration end) pairs asked after every write.
ASKED = ((None, None), (None, "2024-07-01"), ("2024-10-31", None), ("2024-10-31", "2024-06-01"))


def _fresh(ws: Workspace, monkeypatch: pytest.MonkeyPatch, *args: object) -> pd.DataFrame:
    with monkeypatch.context() as m:
        m.setenv("RETENTIONKIT_CACHE", "off")
        return rfm.rfm_summary(ws, *args)  # type: ignore[arg-type]


def _counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    return count_calls(monkeypatch, rfm, "rfm_expr")


@pytest.fixture(autouse=True)
def cache_on(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RETENTIONKIT_CACHE", "on")
    memo.clear()
    yield
    memo.clear()


operations = st.lists(
    st.tuples(st.sampled_from(["add", "update", "delete"]), st.integers(1, 25), st.integers(0, 99)),
    min_size=1,
    max_size=5,
)


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops_=operations, seed=st.integers(0, 1000))
def test_kept_summaries_equal_fresh_ones_after_random_writes(
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    ops_: list[tuple[str, int, int]],
    seed: int,
) -> None:
    memo.clear()
    db = tmp_path_factory.mktemp("memo") / "ws.duckdb"
    ws = Workspace(db)
    try:
        ws.ingest("orders", orders(0, 60, seed=seed))
        next_id = 60
        for obs, cal in ASKED:  # keep the first state's summaries
            rfm.rfm_summary(ws, "week", obs, cal)
        for op, n, op_seed in ops_:
            if op == "add":
                ws.ingest("orders", orders(next_id, n, seed=op_seed))
                next_id += n
            elif op == "update":  # the same ids again, other customers, days and amounts
                ws.ingest("orders", orders(max(0, next_id - n), min(n, next_id), seed=op_seed + 1))
            else:  # behind retentionkit's back: no data version bump, only the row count
                ws.duck.execute(
                    "DELETE FROM orders WHERE order_id IN (SELECT order_id FROM orders "
                    "ORDER BY ordered_at DESC, order_id LIMIT ?)",
                    [n],
                )
                if ws.duck.execute("SELECT count(*) FROM orders").fetchone()[0] == 0:
                    return
            for obs, cal in ASKED:
                if cal is not None and obs is None:
                    last = ws.duck.execute("SELECT max(ordered_at) FROM orders").fetchone()[0]
                    if last is not None and last.date() <= pd.Timestamp(cal).date():
                        continue  # the calibration end must come first
                for _ in range(2):  # computed and kept, then kept
                    got = rfm.rfm_summary(ws, "week", obs, cal)
                    pd.testing.assert_frame_equal(got, _fresh(ws, monkeypatch, "week", obs, cal))
    finally:
        ws.con.disconnect()


def test_no_observation_end_and_the_last_order_day_are_one_entry(tmp_path: Path, monkeypatch):
    ws = Workspace(tmp_path / "ws.duckdb")
    ws.ingest("orders", orders(0, 80, seed=1))
    last = ws.duck.execute("SELECT max(ordered_at) FROM orders").fetchone()[0].date()
    calls = _counted(monkeypatch)
    a = rfm.rfm_summary(ws, "week")
    b = rfm.rfm_summary(ws, "week", str(last))
    c = rfm.rfm_summary(ws, "week", None, "2024-06-01")
    d = rfm.rfm_summary(ws, "week", last, "2024-06-01")
    assert calls[0] == 2
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(c, d)
    rfm.rfm_summary(ws, "day")  # another unit: another entry
    assert calls[0] == 3
    ws.ingest("orders", orders(80, 5, seed=2))  # a write: computed again
    rfm.rfm_summary(ws, "week")
    assert calls[0] == 4


def test_a_hit_is_a_copy_and_off_keeps_nothing(tmp_path: Path, monkeypatch):
    ws = Workspace(tmp_path / "ws.duckdb")
    ws.ingest("orders", orders(0, 40, seed=3))
    first = rfm.rfm_summary(ws, "week")
    first.loc[:, "frequency"] = -1
    again = rfm.rfm_summary(ws, "week")
    assert (again["frequency"] >= 0).all()
    calls = _counted(monkeypatch)
    monkeypatch.setenv("RETENTIONKIT_CACHE", "off")
    rfm.rfm_summary(ws, "week")
    rfm.rfm_summary(ws, "week")
    assert calls[0] == 2


def test_memory_workspaces_keep_nothing(monkeypatch):
    from retentionkit.config import Settings

    ws = Workspace(":memory:", settings=Settings())
    ws.ingest("orders", orders(0, 40, seed=4))
    calls = _counted(monkeypatch)
    rfm.rfm_summary(ws, "week")
    rfm.rfm_summary(ws, "week")
    assert calls[0] == 2


def test_rebuild_forgets_the_kept_summaries(tmp_path: Path, monkeypatch):
    from retentionkit.service import RebuildRequest, run

    ws = Workspace(tmp_path / "ws.duckdb")
    ws.ingest("orders", orders(0, 40, seed=5))
    rfm.rfm_summary(ws, "week")
    calls = _counted(monkeypatch)
    rfm.rfm_summary(ws, "week")
    assert calls[0] == 0
    run(ws, RebuildRequest())
    rfm.rfm_summary(ws, "week")
    assert calls[0] == 1
