"""All or nothing under kill -9 (issue 11): an ingest of new *and* changed orders that also adds
an attribute column is killed at random moments of its write; the workspace must then open and
equal exactly the state before or the state after (never a mix, never unreadable).

A workspace (``RK_KILL_BASE_ROWS``, default 400,000 orders) is built once and copied per
trial; the kill moments are spread uniformly over the measured duration of the write (plus
10 %, so some land after the commit). A fork server (``kill_worker.py``) starts each trial
without interpreter start-up. Trials: ``RK_KILL_TRIALS`` (default 100).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("kill9")]

BASE_ROWS = int(os.environ.get("RK_KILL_BASE_ROWS", "400000"))
NEW_ROWS = BASE_ROWS // 5
CHANGED_ROWS = 10_000
TRIALS = int(os.environ.get("RK_KILL_TRIALS", "100"))
WORKER = Path(__file__).with_name("kill_worker.py")


def _orders(ids: np.ndarray, shift: int, campaign: bool) -> pa.Table:
    columns = {
        "order_id": pa.array(np.char.add("o", ids.astype(str))),
        "customer_id": pa.array(np.char.add("c", (ids % 50_000).astype(str))),
        "ordered_at": pa.array(np.datetime64("2020-01-01") + (ids % 1000).astype("timedelta64[D]")),
        "amount": pa.array(np.char.add(((ids % 997) + shift).astype(str), ".25")),
    }
    if campaign:
        columns["campaign"] = pa.array(np.char.add("k", (ids % 7).astype(str)))
    return pa.table(columns)


def _state(db: Path) -> tuple:
    """Everything observable of the workspace: tables, their columns and a hash of all rows."""
    import duckdb

    con = duckdb.connect(str(db))
    try:
        tables = sorted(r[0] for r in con.execute("SHOW TABLES").fetchall())
        out = []
        for name in tables:
            cols = tuple(con.execute(f'DESCRIBE "{name}"').fetchall())
            digest = con.execute(
                f'SELECT count(*), sum(hash(t)) FROM (SELECT * FROM "{name}") t'
            ).fetchone()
            out.append((name, cols, digest))
        return tuple(out)
    finally:
        con.close()


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    from retentionkit.config import Settings
    from retentionkit.workspace import Workspace

    folder = tmp_path_factory.mktemp("kill9")
    base_src = folder / "base.parquet"
    pq.write_table(_orders(np.arange(BASE_ROWS), 0, False), base_src)
    change = folder / "change.parquet"
    ids = np.concatenate([np.arange(CHANGED_ROWS), np.arange(BASE_ROWS, BASE_ROWS + NEW_ROWS)])
    pq.write_table(_orders(ids, 1, True), change)
    base = folder / "base.duckdb"
    Workspace(base, settings=Settings()).ingest("orders", base_src)
    return folder, base, change


def _fresh(base: Path, db: Path) -> None:
    for path in (db, db.with_name(db.name + ".wal")):
        path.unlink(missing_ok=True)
    shutil.copyfile(base, db)


def test_kill_minus_9_leaves_before_or_after(setup):
    folder, base, change = setup
    db = folder / "trial.duckdb"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parents[2] / "src"), *sys.path])
    worker = subprocess.Popen(
        [sys.executable, str(WORKER)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
        env=env,
    )

    def start() -> int:
        worker.stdin.write(f"{db} {change}\n")
        worker.stdin.flush()
        pid = int(worker.stdout.readline().split()[1])
        assert worker.stdout.readline().strip() == "writing"
        return pid

    def finish() -> str:
        lines = []
        while not (line := worker.stdout.readline()).startswith("exit"):
            lines.append(line.strip())
            assert line, "the fork server died"
        return line.strip()

    try:
        _fresh(base, db)
        before = _state(db)
        pid = start()
        began = time.perf_counter()
        assert worker.stdout.readline().strip() == "done"
        write_seconds = time.perf_counter() - began
        os.kill(pid, signal.SIGKILL)
        finish()
        after = _state(db)
        assert after != before
        t0 = time.perf_counter()
        rng = random.Random(11)
        seen = {"before": 0, "after": 0}
        for trial in range(TRIALS):
            _fresh(base, db)
            pid = start()
            time.sleep(rng.uniform(0, 1.1 * write_seconds))
            os.kill(pid, signal.SIGKILL)
            finish()
            state = _state(db)
            assert state in (before, after), f"trial {trial}: a third state after kill -9"
            seen["before" if state == before else "after"] += 1
        print(
            f"kill -9: {TRIALS} trials in {time.perf_counter() - t0:.0f} s, "
            f"write {write_seconds:.2f} s, {seen}"
        )
        assert seen["before"] and seen["after"]  # the kills did land on both sides of COMMIT
    finally:
        worker.stdin.close()
        worker.wait(timeout=60)
