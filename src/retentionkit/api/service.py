"""One workspace shared by the API and the dashboard: a lock and a result cache.

A DuckDB connection must not be used by two threads at once, and the request handlers run in a
thread pool, so every library call goes through :meth:`WorkspaceService.run` under one lock.
Read results are cached per (data version, call, arguments); an ingest through the API bumps
the version. Another process cannot write the DuckDB file while the server holds it, so the
cache cannot go stale behind the server's back.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from retentionkit.workspace import Workspace

__all__ = ["WorkspaceService"]

T = TypeVar("T")
MAX_ENTRIES = 256


def _freeze(value: Any) -> Hashable:
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


class WorkspaceService:
    """Serialised, cached access to one :class:`~retentionkit.workspace.Workspace`."""

    def __init__(
        self,
        db: Path | str | None = None,
        *,
        config: Path | None = None,
        workspace: Workspace | None = None,
    ) -> None:
        self.db = db
        self.config = config
        self._ws = workspace
        self._lock = threading.RLock()
        self._cache: OrderedDict[Hashable, Any] = OrderedDict()
        self.version = 0

    @property
    def ws(self) -> Workspace:
        with self._lock:
            if self._ws is None:
                from retentionkit.workspace import Workspace

                self._ws = Workspace(self.db, config=self.config)
            return self._ws

    def run(self, fn: Callable[[Workspace], T]) -> T:
        """Call ``fn(workspace)`` holding the workspace lock (no caching)."""
        with self._lock:
            return fn(self.ws)

    def cached(self, key: Hashable, fn: Callable[[Workspace], T]) -> T:
        """``fn(workspace)``, computed once per data version and ``key``."""
        with self._lock:
            full = (self.version, _freeze(key))
            if full in self._cache:
                self._cache.move_to_end(full)
                return self._copy(self._cache[full])
            value = fn(self.ws)
            self._cache[full] = value
            while len(self._cache) > MAX_ENTRIES:
                self._cache.popitem(last=False)
            return self._copy(value)

    @staticmethod
    def _copy(value: Any) -> Any:
        return value.copy() if hasattr(value, "copy") and hasattr(value, "columns") else value

    def invalidate(self) -> None:
        """Forget every cached result (after a write)."""
        with self._lock:
            self.version += 1
            self._cache.clear()

    def write(self, fn: Callable[[Workspace], T]) -> T:
        """Run a writing call and invalidate the cache afterwards (even when it fails)."""
        with self._lock:
            try:
                return fn(self.ws)
            finally:
                self.invalidate()

    # -- the library calls the adapters share ----------------------------------------------
    def metrics(self, **kwargs: Any) -> pd.DataFrame:
        """``Workspace.metrics(**kwargs)``, cached."""
        return self.cached(("metrics", kwargs), lambda ws: ws.metrics(**kwargs))

    def tables(self) -> list[str]:
        return self.cached(("tables",), lambda ws: ws.tables())

    def close(self) -> None:
        with self._lock:
            if self._ws is not None:
                with contextlib.suppress(Exception):  # best effort on shutdown
                    self._ws.con.disconnect()
                self._ws = None
            self._cache.clear()
