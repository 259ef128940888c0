"""Connect to an Ibis backend: an embedded DuckDB file by default, or anything Ibis speaks.

Nothing else lives here: metric code receives an Ibis backend and never imports a driver.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["backend_name", "connect", "transaction"]


def connect(target: str | Path | Any) -> Any:
    """Return an Ibis backend for ``target``.

    * an Ibis backend object is returned unchanged;
    * a URL with a scheme (``duckdb://…``, ``postgres://…``) goes to ``ibis.connect``;
    * anything else is a path to a DuckDB file (created when missing), or ``:memory:``.
    """
    import ibis
    from ibis.backends import BaseBackend

    if isinstance(target, BaseBackend):
        return target
    text = str(target)
    if "://" in text:
        return ibis.connect(text)
    if text != ":memory:":
        Path(text).parent.mkdir(parents=True, exist_ok=True)
    try:
        return ibis.duckdb.connect(text)
    except Exception as exc:  # not a DuckDB file, locked by another process, no permission …
        from retentionkit.errors import InputError

        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "lock" in str(exc).lower():  # another process holds it: see runtime/lock.py
            from retentionkit.errors import WorkspaceLockedError

            raise WorkspaceLockedError(
                f"{text} is in use by another process ({detail}).", detail=str(exc)
            ) from None
        raise InputError(
            f"{text}: cannot be opened as a DuckDB workspace ({detail}); give --db a new "
            "file name or an existing workspace."
        ) from None


def backend_name(con: Any) -> str:
    return str(getattr(con, "name", type(con).__name__))


@contextlib.contextmanager
def transaction(con: Any) -> Iterator[None]:
    """All-or-nothing block for writes. DuckDB gets a real transaction; backends without
    transactions run the block as is (the ingest validates everything before writing)."""
    if backend_name(con) != "duckdb":
        yield
        return
    con.raw_sql("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.raw_sql("ROLLBACK")
        raise
    else:
        con.raw_sql("COMMIT")
