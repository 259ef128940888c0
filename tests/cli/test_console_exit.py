"""The end of a command: :func:`retentionkit.cli.app.main` closes the workspaces the command
opened, and the console script (:func:`retentionkit.cli.app.entry`) then exits without the
garbage collector's shutdown passes. The outputs, exit codes and files must be those of a
plain ``sys.exit(main())``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from retentionkit.cli import _common
from retentionkit.cli.app import main
from retentionkit.runtime.lock import held_here, holder_path

ENV = {**os.environ, "RETENTIONKIT_CACHE": "off"}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shop")
    data = root / "data"
    assert main(["generate", "--out", str(data), "--customers", "60", "--months", "4"]) == 0
    db = root / "shop.duckdb"
    assert main(["--db", str(db), "load-dir", str(data)]) == 0
    return db


def _console(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "retentionkit", *args],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
    )


def _plain(*args: str) -> subprocess.CompletedProcess[str]:
    code = "import sys; from retentionkit.cli.app import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=ENV, timeout=120
    )


def test_main_closes_the_workspace_it_opened(shop: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["--db", str(shop), "metrics", "--last", "1", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)
    assert _common.OPENED == []
    assert not held_here(shop)
    assert not holder_path(shop).exists()


def test_main_closes_the_workspace_after_an_error(
    shop: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["--db", str(shop), "metrics", "--metric", "no_such_kpi"]) != 0
    assert "no_such_kpi" in capsys.readouterr().err
    assert _common.OPENED == []
    assert not held_here(shop)


@pytest.mark.parametrize(
    "args",
    [
        ("metrics", "--last", "2", "--format", "json"),
        ("metrics", "--last", "1"),
        ("metrics", "--metric", "no_such_kpi"),
        ("cohorts", "--format", "csv"),
    ],
)
def test_the_console_script_answers_as_main(shop: Path, args: tuple[str, ...]) -> None:
    fast, plain = _console("--db", str(shop), *args), _plain("--db", str(shop), *args)
    assert (fast.returncode, fast.stdout, fast.stderr) == (
        plain.returncode,
        plain.stdout,
        plain.stderr,
    )


def test_the_console_script_keeps_exit_codes_and_sentences(tmp_path: Path) -> None:
    missing = tmp_path / "missing.duckdb"
    got = _console("--db", str(missing), "metrics")
    assert got.returncode == 2
    assert got.stderr.startswith(f"error: Workspace {missing} does not exist")
    assert not missing.exists()


def test_a_write_through_the_console_script_is_closed_and_released(
    tmp_path: Path, shop: Path
) -> None:
    data = shop.parent / "data"
    db = tmp_path / "new.duckdb"
    got = _console("--db", str(db), "ingest", "orders", str(data / "orders.parquet"))
    assert got.returncode == 0, got.stderr
    # closed by main before the exit: DuckDB checkpointed (no write-ahead log left) and the
    # holder record is gone
    assert not db.with_name(db.name + ".wal").exists()
    assert not holder_path(db).exists()
    again = _console("--db", str(db), "metrics", "--metric", "new_customers", "--format", "json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)


def _in_a_fresh_interpreter(code: str) -> str:
    got = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=ENV, timeout=60
    )
    assert got.returncode == 0, got.stderr
    return got.stdout.strip()


def test_the_collector_policy_of_a_command_a_server_and_the_exit() -> None:
    code = (
        "import gc; from retentionkit.runtime import collector as c; d = gc.get_threshold(); "
        "c.for_a_command(); a = gc.get_threshold(); "
        "c.for_a_server(); b = (gc.get_threshold() == d, gc.get_freeze_count() > 0, "
        "gc.isenabled()); gc.unfreeze(); "
        "c.for_exit(); e = (gc.isenabled(), gc.get_freeze_count() > 0); "
        "print(a == c.COMMAND_THRESHOLDS, b, e)"
    )
    assert _in_a_fresh_interpreter(code) == "True (True, True, True) (False, True)"


def test_the_console_script_runs_a_command_under_the_command_policy(shop: Path) -> None:
    """``entry`` sets the command thresholds before the command and freezes at exit; an
    ``atexit`` handler registered by the command still runs."""
    code = (
        "import atexit, gc, sys; import retentionkit.cli.app as app; "
        "seen = []; real = app.main\n"
        "def main():\n"
        "    seen.append(gc.get_threshold())\n"
        "    atexit.register(lambda: print(seen[0], gc.isenabled(), gc.get_freeze_count() > 0))\n"
        "    return real()\n"
        "app.main = main; sys.argv = ['retentionkit', '--help']; app.entry()"
    )
    last = _in_a_fresh_interpreter(code).splitlines()[-1]
    assert last == "(100000, 50, 50) False True"
