"""Opening an embedded workspace directly, with a bounded wait.

DuckDB's rule (https://duckdb.org/docs/connect/concurrency): one process may open a database
file read-write, or any number of processes read-only, never both; the lock is taken when the
file is opened and held until the last connection of that process closes. retentionkit always
opens read-write, so one process holds a workspace at a time. Every process that opens a file
directly records itself in ``<workspace>.holder.json`` (pid, command line) while it holds it.

:func:`connect_waiting` retries while another process holds the lock, for ``wait`` seconds
(``--wait``, ``RETENTIONKIT_WAIT`` or ``[workspace] wait``; :func:`resolve_wait`), then raises
:class:`~retentionkit.errors.WorkspaceLockedError` naming the holder.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

from retentionkit.errors import ConfigError, WorkspaceLockedError

__all__ = [
    "DEFAULT_WAIT",
    "connect_waiting",
    "held_here",
    "holder_path",
    "parse_wait",
    "release_holder",
    "resolve_wait",
]

#: Seconds to wait for a busy workspace unless configured.
DEFAULT_WAIT = 30.0
ENV_WAIT = "RETENTIONKIT_WAIT"
_POLL = 0.2
_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}
_DUCKDB_PID = re.compile(r"\(PID (\d+)\)")


def parse_wait(value: Any, where: str = "--wait") -> float:
    """``30``, ``"30s"``, ``"2m"``, ``"0"`` → seconds; anything else is one ConfigError."""
    text = str(value).strip().lower()
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([smh]?)", text)
    if match is None:
        raise ConfigError(
            f"{where} {value!r} is not a duration; use seconds such as 30, 30s, 2m or 0."
        )
    return float(match.group(1)) * _UNITS[match.group(2)]


def resolve_wait(explicit: Any = None, configured: Any = None) -> float:
    """The wait in seconds: ``explicit`` (``--wait`` / ``wait=``), else ``RETENTIONKIT_WAIT``,
    else ``[workspace] wait`` of retentionkit.toml, else :data:`DEFAULT_WAIT`."""
    if explicit is not None:
        return parse_wait(explicit)
    env = os.environ.get(ENV_WAIT, "").strip()
    if env:
        return parse_wait(env, ENV_WAIT)
    if configured is not None:
        return parse_wait(configured, "[workspace] wait")
    return DEFAULT_WAIT


def holder_path(db: Path | str) -> Path:
    """``shop.duckdb`` → ``shop.duckdb.holder.json``."""
    db = Path(db)
    return db.with_name(db.name + ".holder.json")


def _command_line(pid: int) -> str:
    if pid == os.getpid():
        return " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) or "python"
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "an unknown command"
    parts = [p.decode(errors="replace") for p in raw.split(b"\0") if p]
    return " ".join(parts) or "an unknown command"


#: Connections this process has open per workspace file (resolved path), so that a second
#: Workspace on the same file knows it (see :func:`held_here`).
_OPEN_HERE: collections.Counter[str] = collections.Counter()


def held_here(db: Path | str) -> bool:
    """True when this process has ``db`` open through some Workspace. DuckDB then refuses a
    second, read-only connection to it (one configuration per file and process), so readers
    of the file (the result cache's data state) must open it the same way."""
    return _OPEN_HERE[str(Path(db).resolve())] > 0


def _record_holder(db: Path) -> None:
    import atexit

    _OPEN_HERE[str(Path(db).resolve())] += 1

    atexit.register(release_holder, db)
    with contextlib.suppress(OSError):
        holder_path(db).write_text(
            json.dumps({"pid": os.getpid(), "command": _command_line(os.getpid())}),
            encoding="utf-8",
        )


def release_holder(db: Path | str) -> None:
    """Forget this process as the holder of ``db`` (after its last connection is closed)."""
    key = str(Path(db).resolve())
    if _OPEN_HERE[key] > 0:
        _OPEN_HERE[key] -= 1
    if _OPEN_HERE[key] > 0:  # another Workspace of this process still has it open
        return
    path = holder_path(db)
    with contextlib.suppress(OSError, ValueError):
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()


def _holder(db: Path, detail: str) -> str:
    """``pid N: COMMAND`` of the process holding ``db``: the holder file when its pid lives,
    else the pid DuckDB names in its lock error."""
    from retentionkit.runtime.files import pid_alive

    with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
        data = json.loads(holder_path(db).read_text(encoding="utf-8"))
        pid = int(data["pid"])
        if pid_alive(pid):
            return f"pid {pid}: {data.get('command') or _command_line(pid)}"
    match = _DUCKDB_PID.search(detail)
    if match:
        pid = int(match.group(1))
        return f"pid {pid}: {_command_line(pid)}"
    return "another process"


def _seconds(wait: float) -> str:
    return f"{wait:g} s"


def connect_waiting(db: Path, wait: float, *, plain: bool = False) -> Any:
    """Open the DuckDB file ``db`` read-write, waiting up to ``wait`` seconds while another
    process holds it; records this process as the holder. Returns an Ibis backend, or with
    ``plain`` the bare ``duckdb`` connection (:func:`retentionkit.backends.open_duckdb`)."""
    from retentionkit.backends import open_duckdb

    deadline = time.monotonic() + wait
    while True:
        try:
            con = open_duckdb(db)
        except WorkspaceLockedError as exc:
            if time.monotonic() >= deadline:
                raise WorkspaceLockedError(
                    f"{db} is in use by another process ({_holder(db, exc.detail)}); waited "
                    f"{_seconds(wait)} — try again when it has finished, raise --wait, or stop "
                    "it.",
                    detail=exc.detail,
                ) from None
            time.sleep(min(_POLL, max(0.0, deadline - time.monotonic())))
            continue
        _record_holder(db)
        if plain:
            return con
        import ibis

        return ibis.duckdb.from_connection(con)
