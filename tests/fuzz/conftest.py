"""Shared pieces of the fuzz suite (issue 11): run the CLI in-process, fingerprint a workspace,
count cases / internal errors / partial writes.

``RK_FUZZ_EXAMPLES`` sets the Hypothesis examples per test (default small, so the suite stays
fast); ``make fuzz`` raises it and writes the counts to ``RK_FUZZ_REPORT`` (JSON).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
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


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """The CLI in-process: (exit code, stdout, stderr)."""
    from retentionkit.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def fingerprint(db: Path) -> tuple:
    """Tables, columns and a hash of every row (the workspace's whole observable state)."""
    import duckdb

    if not db.exists():
        return ()
    con = duckdb.connect(str(db))
    try:
        out = []
        for (name,) in sorted(con.execute("SHOW TABLES").fetchall()):
            cols = tuple(con.execute(f'DESCRIBE "{name}"').fetchall())
            digest = con.execute(f'SELECT count(*), sum(hash(t)) FROM "{name}" t').fetchone()
            out.append((name, cols, digest))
        return tuple(out)
    finally:
        con.close()


def check_refusal(code: str | int, err: str, before: tuple, after: tuple, *, kind: str) -> None:
    """The suite's assertions for one case, counted in :data:`STATS`."""
    STATS["cases"] += 1
    STATS[f"cases_{kind}"] += 1
    if code == 70 or "internal error" in err or "Traceback" in err:
        STATS["internal_errors"] += 1
    assert code != 70 and "Traceback" not in err, err
    if code == 0:
        STATS["accepted"] += 1
        return
    STATS["refused"] += 1
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


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    target = os.environ.get("RK_FUZZ_REPORT")
    if target and STATS:  # one file per xdist worker: REPORT.gw0, REPORT.gw1 …
        worker = os.environ.get("PYTEST_XDIST_WORKER")
        path = Path(f"{target}.{worker}" if worker else target)
        path.write_text(json.dumps(dict(STATS), indent=2, sort_keys=True) + "\n")
