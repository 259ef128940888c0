"""The runtime file of a running server: mode 0600, stale files ignored and cleaned up."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from retentionkit.runtime.files import (
    RuntimeInfo,
    find_server,
    remove_runtime,
    runtime_path,
    write_runtime,
)


def test_runtime_path_is_next_to_the_workspace(tmp_path: Path) -> None:
    assert runtime_path(tmp_path / "shop.duckdb") == tmp_path / "shop.duckdb.server.json"


def test_written_with_mode_0600(tmp_path: Path) -> None:
    path = write_runtime(tmp_path / "w.duckdb", RuntimeInfo(1, "http://x", "t", "w"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_runtime_file_whose_pid_is_gone_is_ignored_and_removed(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead = int(done.stdout)
    db = tmp_path / "w.duckdb"
    write_runtime(db, RuntimeInfo(dead, "http://127.0.0.1:9", "t", str(db)))
    assert find_server(db) is None
    assert not runtime_path(db).exists()


def test_a_live_pid_whose_url_does_not_answer_is_ignored(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    write_runtime(db, RuntimeInfo(os.getppid(), "http://127.0.0.1:9", "t", str(db)))
    assert find_server(db) is None
    assert runtime_path(db).exists()  # the server may still be starting


@pytest.mark.parametrize("text", ["", "{not json", '{"pid": "x"}'])
def test_an_unreadable_runtime_file_is_ignored(tmp_path: Path, text: str) -> None:
    db = tmp_path / "w.duckdb"
    runtime_path(db).write_text(text)
    assert find_server(db) is None


def test_remove_only_our_own(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    write_runtime(db, RuntimeInfo(123, "http://x", "t", str(db)))
    remove_runtime(db, pid=456)
    assert runtime_path(db).exists()
    remove_runtime(db, pid=123)
    assert not runtime_path(db).exists()
