"""Opening a server-less workspace that another process holds: a bounded wait, then one
sentence naming the holder; ``Workspace.close()`` and ``with`` release the file."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from retentionkit.cli.app import main
from retentionkit.config import Settings, load_settings
from retentionkit.errors import ConfigError, WorkspaceLockedError
from retentionkit.runtime.lock import holder_path, parse_wait, resolve_wait
from retentionkit.workspace import Workspace

SRC = str(Path(__file__).resolve().parents[2] / "src")

#: Holds the workspace ``argv[1]`` for ``argv[2]`` seconds (prints "held" once it has it).
HOLDER = """
import sys, time
from retentionkit.workspace import Workspace
ws = Workspace(sys.argv[1], wait=60)
ws.tables()  # connected: holds the file
print("held", flush=True)
time.sleep(float(sys.argv[2]))
ws.close()
"""


def _hold(db: Path, seconds: float) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    return proc


def _customers(tmp: Path) -> Path:
    path = tmp / "customers.csv"
    path.write_text("customer_id,signed_up_at\nc1,2024-01-01\nc2,2024-02-01\n")
    return path


@pytest.mark.parametrize(("text", "seconds"), [("30", 30), ("30s", 30), ("2m", 120), (0, 0)])
def test_parse_wait(text: object, seconds: float) -> None:
    assert parse_wait(text) == seconds


def test_a_bad_wait_is_one_sentence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--wait 'soon' is not a duration"):
        parse_wait("soon")
    monkeypatch.setenv("RETENTIONKIT_WAIT", "5s")
    assert resolve_wait(None, "1m") == 5
    assert resolve_wait("2", "1m") == 2
    monkeypatch.delenv("RETENTIONKIT_WAIT")
    assert resolve_wait(None, "1m") == 60
    assert resolve_wait(None, None) == 30
    toml = tmp_path / "retentionkit.toml"
    toml.write_text('[workspace]\nwait = "later"\n')
    with pytest.raises(ConfigError, match="setting 'wait'"):
        load_settings(toml)


def test_close_and_with_release_the_file(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with Workspace(db, settings=Settings()) as ws:
        ws.ingest("customers", _customers(tmp_path))
        assert holder_path(db).exists()
    assert not holder_path(db).exists()
    with pytest.raises(WorkspaceLockedError, match="closed"):
        ws.tables()
    ws.close()  # idempotent
    holder = _hold(db, 0)  # another process can open it now
    assert holder.wait(timeout=60) == 0


@pytest.mark.slow
def test_a_second_writer_waits_then_succeeds(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with Workspace(db, settings=Settings()) as ws:
        ws.tables()  # creates the file (a new workspace file is created on first use)
    holder = _hold(db, 3)
    started = time.monotonic()
    assert (
        main(["--db", str(db), "--wait", "60", "ingest", "customers", str(_customers(tmp_path))])
        == 0
    )
    assert time.monotonic() - started > 1  # it waited for the holder
    assert holder.wait(timeout=60) == 0
    with Workspace(db, settings=Settings()) as ws:
        assert ws.row_counts() == {"customers": 2}


@pytest.mark.slow
def test_the_lock_holder_is_named_after_the_wait(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "w.duckdb"
    with Workspace(db, settings=Settings()) as ws:
        ws.tables()  # creates the file (a new workspace file is created on first use)
    holder = _hold(db, 60)
    try:
        rc = main(
            ["--db", str(db), "--wait", "1s", "ingest", "customers", str(_customers(tmp_path))]
        )
        err = capsys.readouterr().err
    finally:
        holder.kill()
        holder.wait()
    assert rc == WorkspaceLockedError.exit_code
    assert err.count("\n") == 1, err
    assert f"{db} is in use by another process (pid {holder.pid}: " in err
    assert "Workspace(sys.argv[1], wait=60)" not in err  # the command line, not the code
    assert "waited 1 s" in err
    assert "give --db a new file name" not in err
