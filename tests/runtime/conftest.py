"""A real ``retentionkit serve`` subprocess on 127.0.0.1 (ephemeral port) for the runtime
tests: :func:`serve` starts one on a workspace file and stops it (SIGTERM) at the end of the
test session at the latest; ``stop`` stops it sooner. Bounded: START_TIMEOUT to start, 60 s to
stop, then SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from retentionkit.runtime.files import RuntimeInfo, find_server

SRC = str(Path(__file__).resolve().parents[2] / "src")
START_TIMEOUT = 180.0
SERVE = "import sys; from retentionkit.cli.app import main; sys.exit(main(sys.argv[1:]))"
#: ``serve`` without its background writers (the automations loop, the daily goal evaluation).
SERVE_QUIET = (
    "import threading; import retentionkit.server.app as app; "
    "app._automations = lambda *args: None; "
    "app.start_daily_evaluation = lambda *args: threading.Event(); " + SERVE
)


def stop_server(proc: subprocess.Popen[bytes]) -> int:
    """SIGTERM, wait up to 60 s, then SIGKILL; its exit code."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.wait()


class Servers:
    """``serve(db)`` starts ``retentionkit --db DB serve --port 0`` (this checkout's code) and
    returns the process and its runtime file once it is written; ``serve.stop(proc)`` stops
    it (every one still running is stopped at the end of the session)."""

    stop = staticmethod(stop_server)

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[bytes]] = []

    def __call__(
        self, db: Path, *, background: bool = True
    ) -> tuple[subprocess.Popen[bytes], RuntimeInfo]:
        """Serve ``db``; ``background=False`` leaves out the server's own writers (the
        once-a-minute automations loop, the goals' evaluation 30 s after start-up), which would
        race tests comparing the output of ``automations run`` or ``goals list``."""
        env = {**os.environ, "PYTHONPATH": SRC}
        log_path = db.parent / f"{db.name}.serve.log"
        args = ["--db", str(db), "serve", "--port", "0"]
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-c", SERVE if background else SERVE_QUIET, *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=db.parent,
            )
        self.started.append(proc)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            info = find_server(db)
            if info is not None:
                return proc, info
            if proc.poll() is not None:
                break
            time.sleep(0.5)
        stop_server(proc)
        raise AssertionError("serve did not start: " + log_path.read_text())


@pytest.fixture(scope="session")
def serve() -> Iterator[Servers]:
    """Start servers (:class:`Servers`); all are stopped at the end of the session."""
    servers = Servers()
    yield servers
    for proc in servers.started:
        stop_server(proc)
