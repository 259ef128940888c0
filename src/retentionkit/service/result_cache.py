"""A persistent cache of read results, keyed by the request and the workspace's data version.

A read request whose class sets ``cacheable`` (the KPI report, cohorts, RFM, segments, CLV
predictions, the at-risk list) on a DuckDB workspace file is answered from
``.<file>.cache/results/`` when the same request was answered on the same data before, in any
process: the CLI's second ``metrics`` call, and a restarted ``serve``'s first pages, skip the
engine. The cache is derived data: it never changes a number (``tests/service/
test_result_cache.py`` compares every cached answer with a fresh computation after random
ingests, updates and deletes), ``retentionkit rebuild`` empties it, and ``RETENTIONKIT_CACHE=off``
turns it off.

**The key.** An entry is valid for one *data state* of the file: its data version (a row of
``retentionkit_state`` that every data write of retentionkit — an ingest, a survey answer, a
goal — bumps in its own transaction, :func:`retentionkit.backends.transaction`), the row counts
of its canonical tables (a write by another tool that adds or deletes rows), the retentionkit
version and its source files' modification times (an upgrade or an edit of the code), and the
UTC day of :func:`retentionkit.clock.utcnow` (answers that depend on "today", such as the
at-risk list). Bookkeeping writes (the automations' outbox and locks, API keys) keep the
entries. An UPDATE by another tool that keeps every row count is not seen: run
``retentionkit rebuild`` after one (``--check`` finds it). Within a data state the entry is
found by a hash of the request (its ``repr``: type and every field), the workspace's settings
(health bands, margins, segment schemes …) and the Python version.

**When it is written.** A lookup reads the state through a read-only connection that it
closes at once (the workspace itself is not opened on a hit). On a miss the workspace
connects, which waits for any writer of another process to finish; the data state is read
again *after* the operation, through that connection, so an answer is always stored under the
state it was computed on. Writing is atomic (a temporary file renamed into place); entries of
older data states are deleted when a new one is stored, and at most :data:`MAX_ENTRIES`
entries of at most :data:`MAX_ROWS` rows each are kept. A cache folder that cannot be written
(a read-only mount) only means no caching.

**The file.** One line of JSON (the result's title, report, model, extra and the frame's
``attrs``, in :mod:`retentionkit.service.wire`'s tagged encoding), then the frame as Arrow IPC
bytes (:func:`retentionkit.service.wire.frame_to_bytes`), whose SHA-256 the first line
carries (a torn or altered entry is recomputed). A frame of at most :data:`RECORDS_MAX` rows is
also in the first line as JSON records. A hit returns a
:class:`~retentionkit.service.operations.DeferredResult`: the frame is made from the Arrow
bytes only when a face reads ``frame``; a face that prints rows reads ``records()``, from the
JSON without Arrow or pandas (a cached ``retentionkit metrics`` table: docs/performance.md).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from retentionkit.cache_switch import caches_enabled

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.service.operations import Result
    from retentionkit.service.requests import Request
    from retentionkit.workspace import Workspace

__all__ = [
    "MAX_ENTRIES",
    "MAX_ROWS",
    "folder",
    "holds_answers",
    "lookup",
    "rebuild",
    "store",
]

#: Entries kept per workspace (the least recently used beyond it are deleted).
MAX_ENTRIES = 128
#: Frames longer than this are not cached (a per-customer list of millions of rows is
#: recomputed rather than written to disk on every data state).
MAX_ROWS = 2_000_000
#: The file format's version (part of the key: an old format is never read).
FORMAT = 2
#: Frames up to this many rows also keep their rows as JSON in the entry's first line, so a
#: face that only prints them (the CLI's tables) reads neither Arrow nor pandas.
RECORDS_MAX = 20_000


def folder(db: Path) -> Path:
    """The cache folder of the DuckDB file ``db`` (next to it, hidden)."""
    return db.resolve().parent / f".{db.name}.cache" / "results"


def _applies(ws: Workspace, request: Request) -> bool:
    return bool(getattr(type(request), "cacheable", False)) and _usable(ws)


def _usable(ws: Workspace) -> bool:
    """The cache serves this workspace: a DuckDB file of this process (not one a server owns),
    with caching on."""
    return ws.path is not None and getattr(ws, "remote", None) is None and caches_enabled()


@functools.cache
def _code_version() -> str:
    """The package version and its source files' modification times."""
    import retentionkit

    root = Path(retentionkit.__file__).parent
    digest = hashlib.sha256(retentionkit.__version__.encode())
    for path in sorted(root.rglob("*.py")):
        with contextlib.suppress(OSError):
            digest.update(f"{path.relative_to(root)}:{path.stat().st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def _counts_sql(tables: list[str]) -> str:
    return " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in tables)


def _read_state(con: Any) -> tuple[int, tuple[tuple[str, int], ...]]:
    """The data version and the canonical tables' row counts, through a DuckDB connection
    (``con.execute``)."""
    from retentionkit.backends import VERSION_TABLE
    from retentionkit.schema.contracts import TABLE_NAMES

    present = {row[0] for row in con.execute("SHOW TABLES").fetchall()}
    version = 0
    if VERSION_TABLE in present:
        row = con.execute(f"SELECT version FROM {VERSION_TABLE} WHERE name = 'data'").fetchone()
        version = int(row[0]) if row else 0
    tables = [t for t in TABLE_NAMES if t in present]
    counts = con.execute(_counts_sql(tables)).fetchall() if tables else []
    return version, tuple(sorted((str(t), int(n)) for t, n in counts))


def data_state(ws: Workspace) -> str | None:
    """A hash of the workspace's data state (module docstring, "The key"); None when the file
    cannot be read now (another process holds it: the operation then waits its turn)."""
    from retentionkit.clock import utcnow
    from retentionkit.runtime.lock import held_here

    assert ws.path is not None
    try:
        if ws.is_open or held_here(ws.path):
            # open here (or through another Workspace of this process, e.g. another lane of
            # the server, which makes DuckDB refuse the read-only look below): ask a
            # connection of the same configuration
            state = _read_state(ws.duck)
        else:  # read-only, closed at once: a hit never opens the workspace itself
            if not ws.path.exists():
                return None
            state = _closed_file_state(ws.path)
    except Exception:  # locked by another process, not a DuckDB file …: no caching this time
        return None
    parts = (FORMAT, str(ws.path.resolve()), state, _code_version(), utcnow().date().isoformat())
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


#: A file's fingerprint is trusted only when the file had not changed for this long before it
#: was taken (file systems stamp times in ticks of a few milliseconds: "racy git").
QUIET_NS = 2_000_000_000
#: Fingerprints remembered per workspace.
MEMO_ENTRIES = 16


def _fingerprint(db: Path) -> list[Any]:
    """Size, modification and change times (ns) and inode of the DuckDB file and its WAL. Any
    write through the file system changes one of them; ``ctime`` cannot be set back by a tool
    (``cp -p``, ``touch -d``)."""
    parts: list[Any] = []
    for path in (db, db.with_name(db.name + ".wal")):
        try:
            st = path.stat()
        except FileNotFoundError:
            parts.append(None)
            continue
        parts.append([st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino])
    return parts


def _closed_file_state(db: Path) -> tuple[int, tuple[tuple[str, int], ...]]:
    """The data state of a workspace file no connection of this process has open. The state
    read for a file fingerprint (:func:`_fingerprint`) is remembered next to the cache, so a
    hit on an unchanged file does not import or start DuckDB (0.15 s of a cached ``metrics``);
    it is remembered only when the file had been quiet for :data:`QUIET_NS` before the
    fingerprint was taken, so a write in the same clock tick cannot hide behind it."""
    import time

    memo_path = folder(db).parent / "state.json"
    fingerprint = _fingerprint(db)
    key = json.dumps(fingerprint)
    memo: dict[str, Any] = {}
    with contextlib.suppress(OSError, ValueError):
        loaded = json.loads(memo_path.read_text())
        memo = loaded if isinstance(loaded, dict) else {}
    if key in memo:
        with contextlib.suppress(TypeError, ValueError):
            version, counts = memo[key]
            return int(version), tuple((str(t), int(n)) for t, n in counts)
    taken = time.time_ns()
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        state = _read_state(con)
    finally:
        con.close()
    newest = max((max(p[1], p[2]) for p in fingerprint if p), default=0)
    if taken - newest > QUIET_NS and fingerprint == _fingerprint(db):
        memo = dict(list(memo.items())[-(MEMO_ENTRIES - 1) :])
        memo[key] = [state[0], [list(c) for c in state[1]]]
        _write_atomic(memo_path, json.dumps(memo).encode())
    return state


def _request_key(ws: Workspace, request: Request) -> str:
    settings = ws.settings.model_dump_json() if ws.settings is not None else ""
    text = f"{request!r}|{settings}|{sys.version_info[:2]}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _entry(ws: Workspace, request: Request) -> Path | None:
    assert ws.path is not None
    state = data_state(ws)
    if state is None:
        return None
    return folder(ws.path) / f"{state}-{_request_key(ws, request)}.rk"


def lookup(ws: Workspace, request: Request) -> Result | None:
    """The cached answer to ``request`` on the workspace's current data, or None."""
    if not _applies(ws, request):
        return None
    path = _entry(ws, request)
    if path is None:
        return None
    try:
        with path.open("rb") as fh:
            meta = json.loads(fh.readline())
            body = fh.read()
    except (OSError, ValueError):
        return None
    try:
        result = _decode(request, meta, body)
    except Exception:  # a damaged entry is recomputed (and overwritten)
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used
    return result


def holds_answers(ws: Workspace) -> bool:
    """Whether the cache holds any answer on the workspace's current data (a restart after a
    run on the same data, rather than the first start after a write): ``serve`` then leaves
    the engine unloaded until a page needs it (:func:`retentionkit.server.start_first_page`).
    False where the cache does not apply (off, not a DuckDB file, the file locked)."""
    if not _usable(ws):
        return False
    assert ws.path is not None
    state = data_state(ws)
    if state is None:
        return False
    return any(folder(ws.path).glob(f"{state}-*.rk"))


def store(ws: Workspace, request: Request, result: Result) -> None:
    """Keep ``result`` as the answer to ``request`` on the current data (best effort)."""
    if not _applies(ws, request):
        return
    frame = result.frame
    if frame is not None and len(frame) > MAX_ROWS:
        return
    if result.model is not None and not hasattr(result.model, "to_dict"):
        return
    try:
        meta, body = _encode(result)
        meta["request"] = _request_to_json(request)  # for `retentionkit rebuild`
    except (TypeError, ValueError):  # a value the wire cannot carry: not cached
        return
    path = _entry(ws, request)
    if path is None:
        return
    if _write_atomic(path, json.dumps(meta).encode() + b"\n" + body):
        with contextlib.suppress(OSError):
            _prune(path.parent, path.name.split("-", 1)[0])


def _write_atomic(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` through a temporary file renamed into place (a reader sees
    the old file or the new one, never half of one); False when the folder cannot be written
    (a read-only mount: no caching)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        tmp.replace(path)
        return True
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        return False


def rebuild(
    ws: Workspace, compute: Callable[[Request], Result], *, check: bool = False
) -> dict[str, Any]:
    """``retentionkit rebuild``: recompute every cached answer of the current data with
    ``compute`` (the operation itself, never the cache) and compare it with the cached one.

    With ``check`` nothing changes and the report lists the answers that differ (none, unless
    the cache was damaged or the data changed behind retentionkit's back within one tick of
    the file system's clock). Otherwise every derived file of the workspace is deleted — the
    cached results, the automations' per-customer frames and the churn model next to the file
    (``.<file>.cache/``) — and the recomputed answers are stored again, so a dashboard stays
    warm. Returns ``{"checked", "differ", "removed", "recomputed"}``.

    The process's kept CLV choices and RFM summaries (:mod:`retentionkit.clv.memo`) are
    forgotten first, so a rebuild inside a running server recomputes from the tables too."""
    from retentionkit.clv import memo

    assert ws.path is not None
    memo.clear()
    where = folder(ws.path)
    ws.con  # noqa: B018 - connect: no other process writes while the answers are compared
    state = data_state(ws)
    entries = sorted(where.glob(f"{state}-*.rk")) if where.is_dir() else []
    differ: list[str] = []
    fresh: list[tuple[Request, Result]] = []
    for path in entries:
        try:
            with path.open("rb") as fh:
                meta = json.loads(fh.readline())
                body = fh.read()
            request = _request_from_json(meta["request"])
            cached = _decode(request, meta, body)
        except Exception:  # a damaged entry: it differs, and is recomputed below
            differ.append(path.name)
            continue
        result = compute(request)
        fresh.append((request, result))
        if not _same(cached, result):
            differ.append(_describe(request))
    report: dict[str, Any] = {"checked": len(entries), "differ": differ}
    if check:
        return report
    removed = 0
    derived = where.parent
    if derived.is_dir():
        for path in sorted(derived.rglob("*"), reverse=True):  # files first, then folders
            with contextlib.suppress(OSError):
                if path.is_dir():
                    path.rmdir()
                else:
                    path.unlink()
                    removed += 1
    for request, result in fresh:
        store(ws, request, result)
    report.update(removed=removed, recomputed=len(fresh))
    return report


def _describe(request: Request) -> str:
    fields = ", ".join(
        f"{k}={v!r}" for k, v in vars(request).items() if v is not None and v != () and v != []
    )
    return f"{type(request).__name__}({fields})"


def _same(a: Result, b: Result) -> bool:
    """The same answer: equal frames (numbers to 1e-9 relative: a parallel sum may differ in its
    last bits between runs), reports and notes."""
    import pandas as pd

    if (a.frame is None) != (b.frame is None) or a.title != b.title:
        return False
    if a.frame is not None and b.frame is not None:
        try:
            pd.testing.assert_frame_equal(a.frame, b.frame, check_exact=False, rtol=1e-9)
        except AssertionError:
            return False
    return bool(a.report == b.report and a.extra == b.extra)


def _prune(where: Path, state: str) -> None:
    """Delete the entries of older data states, then the least recently used beyond
    :data:`MAX_ENTRIES`."""
    kept = []
    for path in where.glob("*.rk"):
        if not path.name.startswith(state + "-"):
            with contextlib.suppress(OSError):
                path.unlink()
            continue
        with contextlib.suppress(OSError):
            kept.append((path.stat().st_mtime_ns, path))
    kept.sort()
    for _, path in kept[: max(0, len(kept) - MAX_ENTRIES)]:
        with contextlib.suppress(OSError):
            path.unlink()


def _cacheable_types() -> dict[str, type]:
    """The cacheable request types by name (the only ones an entry may name)."""
    from retentionkit.service import requests

    return {
        name: cls
        for name, cls in vars(requests).items()
        if isinstance(cls, type) and getattr(cls, "cacheable", False)
    }


def _request_to_json(request: Request) -> dict[str, Any]:
    """The request's type and fields in the wire's tagged encoding (a dataclass's fields)."""
    import dataclasses

    from retentionkit.service.wire import encode

    fields = {f.name: encode(getattr(request, f.name)) for f in dataclasses.fields(request)}  # type: ignore[arg-type]
    return {"type": type(request).__name__, "fields": fields}


def _request_from_json(data: dict[str, Any]) -> Request:
    """The request :func:`_request_to_json` wrote, validated again."""
    from retentionkit.service.wire import decode

    cls = _cacheable_types()[data["type"]]
    return cls(**{k: decode(v) for k, v in data["fields"].items()})


def _encode(result: Result) -> tuple[dict[str, Any], bytes]:
    from retentionkit.service.wire import encode, frame_to_bytes, records_to_json

    meta: dict[str, Any] = {"title": result.title}
    body = b""
    if result.frame is not None:
        body, positions = frame_to_bytes(result.frame)
        meta["frame"] = {
            "json_columns": positions,
            "attrs": encode(dict(result.frame.attrs)),
            "sha256": hashlib.sha256(body).hexdigest(),
        }
        if len(result.frame) <= RECORDS_MAX:
            with contextlib.suppress(TypeError, ValueError):  # a value JSON cannot carry
                meta["frame"]["records"] = records_to_json(result.frame)
    if result.report is not None:
        meta["report"] = encode(result.report)
    if result.model is not None:
        meta["model"] = encode(result.model.to_dict())
    if result.extra:
        meta["extra"] = encode(result.extra)
    return meta, body


def _decode(request: Request, meta: dict[str, Any], body: bytes) -> Result:
    from retentionkit.service.operations import DeferredResult, Result
    from retentionkit.service.wire import decode

    model = None
    if "model" in meta:
        from retentionkit.clv.models.base import BaseFitter

        model = BaseFitter.from_dict(decode(meta["model"]))
    fields: dict[str, Any] = {
        "report": decode(meta["report"]) if "report" in meta else None,
        "model": model,
        "title": meta.get("title", ""),
        "extra": dict(decode(meta.get("extra")) or {}),
    }
    if "frame" not in meta:
        return Result(request, **fields)
    if hashlib.sha256(body).hexdigest() != meta["frame"]["sha256"]:
        raise ValueError("damaged entry")  # a torn or altered file: recomputed
    # the frame stays Arrow bytes until a face asks for pandas (DeferredResult)
    return DeferredResult(
        request,
        body=body,
        positions=list(meta["frame"]["json_columns"]),
        attrs=dict(decode(meta["frame"]["attrs"]) or {}),
        records=meta["frame"].get("records"),
        **fields,
    )
