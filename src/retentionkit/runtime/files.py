"""The runtime file of a running server: ``<workspace>.server.json`` next to the DuckDB file.

It holds ``{"pid", "url", "token", "workspace"}``, is created with mode 0600 (only its owner
may read the token, as Jupyter's runtime files) and is removed when the server exits. A file
whose pid is gone is stale: :func:`find_server` ignores it and deletes it. A file whose pid
lives but whose URL does not answer ``GET /api/health`` is ignored (not deleted: the server
may still be starting).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = [
    "RuntimeInfo",
    "find_server",
    "new_token",
    "pid_alive",
    "remove_runtime",
    "runtime_path",
    "write_runtime",
]

SUFFIX = ".server.json"
#: Seconds a client waits for ``GET /api/health`` before treating the server as gone.
HEALTH_TIMEOUT = 10.0


@dataclass(frozen=True)
class RuntimeInfo:
    """What a client needs to reach the server that owns a workspace."""

    pid: int
    url: str
    token: str
    workspace: str


def runtime_path(db: Path | str) -> Path:
    """``shop.duckdb`` → ``shop.duckdb.server.json`` (same folder)."""
    db = Path(db)
    return db.with_name(db.name + SUFFIX)


def new_token() -> str:
    """A random local token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (signal 0 checks without sending anything)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def write_runtime(db: Path | str, info: RuntimeInfo) -> Path:
    """Write the runtime file with mode 0600 from the start (never world-readable)."""
    path = runtime_path(db)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(asdict(info), out)
    return path


def remove_runtime(db: Path | str, pid: int | None = None) -> None:
    """Delete the runtime file (only when it is ``pid``'s, if given)."""
    path = runtime_path(db)
    if pid is not None:
        info = _read(path)
        if info is not None and info.pid != pid:
            return
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _read(path: Path) -> RuntimeInfo | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return RuntimeInfo(
            pid=int(data["pid"]),
            url=str(data["url"]),
            token=str(data["token"]),
            workspace=str(data.get("workspace", "")),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url.rstrip("/") + "/api/health", timeout=HEALTH_TIMEOUT):
            return True
    except (urllib.error.URLError, OSError, ValueError):
        return False


def find_server(db: Path | str) -> RuntimeInfo | None:
    """The live server owning ``db``, or None: no runtime file, a stale one (its pid is gone:
    deleted), an unreadable one, our own process's (the server opening its own file), or one
    whose URL does not answer."""
    path = runtime_path(db)
    if not path.exists():
        return None
    info = _read(path)
    if info is None or info.pid == os.getpid():
        return None
    if not pid_alive(info.pid):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return None
    return info if _answers(info.url) else None
