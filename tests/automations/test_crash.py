"""Crash test (issue 16 item 7): kill -9 the deliverer at random moments ≥ 100 times against a
real SMTP server (aiosmtpd) and a webhook receiver on loopback, restarting it each time; then
0 actions lost, 0 keys planned twice, every repeat under the same id, delivered ids == planned
keys. And a run with the SMTP server down for a while: everything arrives after it returns."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from retentionkit.automations.service import AddRule, RunAutomations, run
from retentionkit.workspace import Workspace

from .conftest import free_port, load_shop, write_config
from .receivers import read, start_smtp, start_webhook

pytestmark = pytest.mark.slow

SHORT = tuple(dt.timedelta(seconds=s) for s in (0, 0.2, 0.5, 1, 1, 1, 1, 1))
#: A "zygote": imports everything once, then forks one deliverer per "go" line, so a restart
#: costs a fork and opening the workspace rather than a Python start-up (the test must stay
#: under five minutes on a loaded machine). Each child is a real process killed with SIGKILL.
ZYGOTE = """
import datetime as dt, os, sys, time
from retentionkit.automations.service import RunAutomations, run
from retentionkit.workspace import Workspace
import retentionkit.automations.deliverer, retentionkit.surveys.links, smtplib, urllib.request
Workspace(":memory:").con.disconnect()  # the lazy imports of opening a workspace, done once

def work(db):
    ws = Workspace(db)
    os.write(1, b"ready\\n")
    schedule = tuple(dt.timedelta(seconds=s) for s in (0, 0.2, 0.5, 1, 1, 1, 1, 1))
    while True:
        out = run(ws, RunAutomations(plan=False, lease=dt.timedelta(seconds=0.3),
                                     schedule=schedule, limit=5))
        if out["busy"]:
            time.sleep(0.2)
            continue
        left = ws.con.raw_sql("SELECT count(*) FROM automation_outbox WHERE status = 'pending'")
        if not left.fetchone()[0]:
            return
        time.sleep(0.05)

for line in sys.stdin:
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        try:
            work(sys.argv[1])
            os.write(1, b"done\\n")
        finally:
            os._exit(0)
    os.write(1, f"pid {pid}\\n".encode())  # one write: never split by the child's lines
    _, status = os.waitpid(pid, 0)
    os.write(1, f"exit {status}\\n".encode())
"""


def _planned(ws: Workspace) -> list[str]:
    rows = ws.con.raw_sql("SELECT key FROM automation_outbox").fetchall()
    return [r[0] for r in rows]


def _key_of(record: dict) -> str:
    return record["id"].strip("<>").removesuffix("@retentionkit")


def test_kill_minus_nine_a_hundred_times(tmp_path: Path) -> None:
    smtp_port, hook_port = free_port(), free_port()
    write_config(tmp_path, smtp_port)
    received = tmp_path / "received.jsonl"
    smtp = start_smtp(smtp_port, received)
    hook = start_webhook(hook_port, received)
    db = tmp_path / "ws.duckdb"
    ws = Workspace(db)
    load_shop(ws, 60)
    run(ws, AddRule("mail", "feedback_request", after="1d", since="2026-01-01"))
    run(
        ws,
        AddRule(
            "hook",
            "feedback_request",
            after="1d",
            since="2026-01-01",
            channel="webhook",
            url=f"http://127.0.0.1:{hook_port}/in",
        ),
    )
    run(ws, RunAutomations(as_of="2026-03-01", deliver=False))
    run(ws, RunAutomations(as_of="2026-03-01", deliver=False))  # a second planning adds nothing
    planned = _planned(ws)
    ws.con.disconnect()
    assert len(planned) == 120 and len(set(planned)) == 120

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    zygote = subprocess.Popen(
        [sys.executable, "-c", ZYGOTE, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert zygote.stdin is not None and zygote.stdout is not None

    def start() -> tuple[int, list[str]]:
        """The child's pid, and the child's own lines that came before the zygote's "pid N"
        (after a fork either process may write first: "ready" can come before it)."""
        zygote.stdin.write("go\n")
        zygote.stdin.flush()
        early = []
        line = zygote.stdout.readline().strip()
        while not line.startswith("pid "):
            early.append(line)
            line = zygote.stdout.readline().strip()
        return int(line.split()[1]), early

    rng = random.Random(16)
    kills = 0
    started = time.monotonic()
    try:
        while kills < 100:
            pid, early = start()
            if "ready" not in early:
                assert zygote.stdout.readline().strip() == "ready"
            time.sleep(rng.uniform(0, 0.4))
            with contextlib.suppress(ProcessLookupError):  # it finished and was reaped first
                os.kill(pid, signal.SIGKILL)
            line = zygote.stdout.readline()
            while not line.startswith("exit "):  # "done" when it finished before the kill
                line = zygote.stdout.readline()
            kills += 1
            assert time.monotonic() - started < 280, f"only {kills} kills in the time bound"
        _, lines = start()
        while not lines or not lines[-1].startswith("exit "):
            lines.append(zygote.stdout.readline().strip())
        assert lines == ["ready", "done", "exit 0"], lines
    finally:
        zygote.kill()
        zygote.wait()
    smtp.stop()
    hook.shutdown()

    ws = Workspace(db)
    after = _planned(ws)
    assert sorted(after) == sorted(planned)  # 0 keys planned twice, none added by restarts
    statuses = Counter(
        r[0] for r in ws.con.raw_sql("SELECT status FROM automation_outbox").fetchall()
    )
    assert statuses == {"sent": 120}  # 0 lost
    records = read(received)
    ids = [_key_of(r) for r in records]
    assert set(ids) == set(planned)  # delivered ids == planned keys; repeats only under them
    assert all(r["id"].startswith("<") for r in records if r["kind"] == "email")
    repeats = sum(n - 1 for n in Counter(ids).values())
    print(f"kills={kills} deliveries={len(ids)} repeats={repeats}")


def test_smtp_down_then_up(tmp_path: Path) -> None:
    smtp_port = free_port()
    write_config(tmp_path, smtp_port)
    received = tmp_path / "received.jsonl"
    ws = Workspace(tmp_path / "ws.duckdb")
    load_shop(ws, 8)
    run(ws, AddRule("mail", "feedback_request", after="1d", since="2026-01-01"))
    out = run(ws, RunAutomations(as_of="2026-03-01", schedule=SHORT))
    assert out["planned"] == 8 and out["sent"] == 0 and out["failed"] >= 8
    time.sleep(0.3)
    out = run(ws, RunAutomations(as_of="2026-03-01", schedule=SHORT))  # still down: retried
    assert out["sent"] == 0
    smtp = start_smtp(smtp_port, received)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            run(ws, RunAutomations(as_of="2026-03-01", schedule=SHORT))
            pending = ws.con.raw_sql(
                "SELECT count(*) FROM automation_outbox WHERE status <> 'sent'"
            ).fetchone()[0]
            if not pending:
                break
            time.sleep(0.3)
    finally:
        smtp.stop()
    assert {_key_of(r) for r in read(received)} == set(_planned(ws))
    errors = ws.con.raw_sql(
        "SELECT count(*) FROM automation_attempts WHERE outcome = 'error'"
    ).fetchone()[0]
    assert errors >= 8
