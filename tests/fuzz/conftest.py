"""Shared pieces of the fuzz suite (issue 11): run the CLI in-process, fingerprint a workspace,
count cases / internal errors / partial writes.

``RK_FUZZ_EXAMPLES`` sets the Hypothesis examples per test (default small, so the suite stays
fast); ``make fuzz`` raises it and writes the counts to ``RK_FUZZ_REPORT`` (JSON).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import os
import time
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings

EXAMPLES = int(os.environ.get("RK_FUZZ_EXAMPLES", "15"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize="RK_FUZZ_SEED" not in os.environ,
    suppress_health_check=list(HealthCheck),
    database=None,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is shown as found
    report_multiple_bugs=True,
)
STATS: Counter[str] = Counter()


@functools.cache
def _click_command():  # type: ignore[no-untyped-def]
    """The CLI's click command, built once: typer rebuilds it from the annotations on every
    call (≈ 0.25 s, most of a refused case's cost)."""
    import typer.main

    from retentionkit.cli.app import app

    return typer.main.get_command(app)


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """The CLI in-process through its entry point ``main`` (exit codes, error handling),
    the click command built once: (exit code, stdout, stderr)."""
    from unittest import mock

    import typer.main

    from retentionkit.cli.app import app, main

    command, build = _click_command(), typer.main.get_command
    out, err = io.StringIO(), io.StringIO()
    with (
        mock.patch.object(typer.main, "get_command", lambda t: command if t is app else build(t)),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


#: Fingerprints by the digest of the workspace file's bytes (and its WAL's): identical bytes
#: are an identical state, so a refused case that left the file alone costs no DuckDB
#: connection; any byte difference falls back to the logical fingerprint.
_BY_BYTES: dict[bytes, tuple] = {}


def _file_digest(db: Path) -> bytes:
    digest = hashlib.blake2b(db.read_bytes())
    wal = db.with_name(db.name + ".wal")
    if wal.exists():
        digest.update(b"wal" + wal.read_bytes())
    return digest.digest()


def fingerprint(db: Path) -> tuple:
    """Tables, columns and a hash of every row (the workspace's whole observable state)."""
    import duckdb

    if not db.exists():
        return ()
    key = _file_digest(db)
    if key in _BY_BYTES:
        return _BY_BYTES[key]
    con = duckdb.connect(str(db))
    try:
        out = []
        for (name,) in sorted(con.execute("SHOW TABLES").fetchall()):
            cols = tuple(con.execute(f'DESCRIBE "{name}"').fetchall())
            digest = con.execute(f'SELECT count(*), sum(hash(t)) FROM "{name}" t').fetchone()
            out.append((name, cols, digest))
    finally:
        con.close()
    if key == _file_digest(db):  # not changed while it was read
        _BY_BYTES[key] = tuple(out)
    return tuple(out)


def check_refusal(code: str | int, err: str, before: tuple, after: tuple, *, kind: str) -> None:
    """The suite's assertions for one case, counted in :data:`STATS`."""
    STATS["cases"] += 1
    STATS[f"cases_{kind}"] += 1
    if code == 70 or "internal error" in err or "Traceback" in err:
        STATS["internal_errors"] += 1
    assert code != 70 and "Traceback" not in err, err
    if code == 0:
        STATS["accepted"] += 1
        STATS[f"accepted_{kind}"] += 1
        return
    STATS["refused"] += 1
    STATS[f"refused_{kind}"] += 1
    if after != before:
        STATS["partial_writes"] += 1
    assert after == before, "a refused ingest changed the workspace"
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    message = lines[0]
    assert message.endswith("."), message
    if "is not valid; expected" in message and not message.startswith("error: --"):
        # a value at fault: the file, the line (or row) and the column are named
        assert (", line " in message or ", row " in message) and ", column " in message, message


_STARTED = time.perf_counter()


def _write_report() -> None:
    target = os.environ.get("RK_FUZZ_REPORT")
    if target and STATS:  # one file per xdist worker: REPORT.gw0, REPORT.gw1 …
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        path = Path(f"{target}.{worker}" if worker else target)
        STATS["seconds"] = round(time.perf_counter() - _STARTED)
        path.write_text(json.dumps(dict(STATS), indent=2, sort_keys=True) + "\n")


def pytest_runtest_teardown(item: pytest.Item) -> None:
    _write_report()  # after every test too: an interrupted long run keeps its counts


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _write_report()
