"""One workspace shared by the API and the dashboard: locks, lanes and a result cache.

A DuckDB connection must not be used by two threads at once, and the request handlers run in a
thread pool, so every library call goes through :meth:`WorkspaceService.run` or
:meth:`WorkspaceService.cached`, holding its lane's lock. Read results are cached per (data
version, request); every committed write (an ingest through the API, or through the local route
of the CLI and ``rk.Workspace``, :mod:`retentionkit.server.local`) runs in :meth:`write`, which
bumps the data version. Slow model calls (CLV, churn) run in a second lane with its own
connection. Another process cannot open the DuckDB file while the server holds it (its writes
come through the local route), so the cache cannot go stale behind the server's back. A
PostgreSQL workspace has writers in other processes: its cache key also holds the database's
data version, which every committed data write bumps (:func:`retentionkit.backends.transaction`).
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.service import Request, Result
    from retentionkit.workspace import Workspace

__all__ = ["WorkspaceService"]

T = TypeVar("T")
MAX_ENTRIES = 256
#: Derived values kept (JSON bodies, rendered pages: up to a few hundred kB each).
MAX_DERIVED = 64
#: Seconds the shutdown waits for a lane's read before interrupting it, and again after
#: (WorkspaceService.close).
LANE_GRACE = 1.0
#: What :meth:`WorkspaceService.peek` answers when it holds nothing for the key.
MISSING: Any = object()
#: This thread's state: ``background`` is True in a cache warm-up (it lets visitors go first).
_thread = threading.local()


def _yields() -> bool:
    """Whether this thread's calls give way to visitors: a background thread's do, unless it
    computes a :meth:`WorkspaceService.derived` value a visitor waits for."""
    return getattr(_thread, "background", False) and not any(
        flight.wanted for flight in getattr(_thread, "flights", ())
    )


class _Flight:
    """A :meth:`WorkspaceService.derived` value being computed: ``done`` when it is stored (or
    its computation failed); ``wanted`` once a visitor waits for it."""

    __slots__ = ("done", "wanted")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.wanted = False


def _freeze(value: Any) -> Hashable:
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


class WorkspaceService:
    """Serialised, cached access to one workspace.

    Calls run in a *lane*: ``"main"`` for the quick engine queries, ``"slow"`` for model fitting
    (CLV, churn risk) that can take tens of seconds. Each lane has its own connection to the same
    DuckDB database and its own lock, so a churn computation does not hold up the KPI pages.
    A write takes every lane's lock, then clears the cache.

    Visitors first: a call made inside :meth:`in_background` (the server's cache warm-up) starts
    only while no visitor's call waits or runs, so a page someone asked for runs next, after at
    most the background calls already running (a model fit cannot be interrupted half way), and
    has both cores to itself.
    """

    LANES = ("main", "slow")

    def __init__(
        self,
        db: Path | str | None = None,
        *,
        config: Path | None = None,
        workspace: Workspace | None = None,
    ) -> None:
        self.db = db
        self.config = config
        self._given = workspace  # one workspace for every lane (the report, tests)
        self._lanes: dict[str, Workspace] = {}
        self._locks = {lane: threading.RLock() for lane in self.LANES}
        self._cache_lock = threading.Lock()
        self._cache: OrderedDict[Hashable, Any] = OrderedDict()
        self._derived: OrderedDict[Hashable, Any] = OrderedDict()
        self._flights: dict[Hashable, _Flight] = {}  # derived keys being computed
        self.version = 0
        self._closing = threading.Event()  # set by close(): no lane opens its workspace again
        self._writing = threading.Event()  # a write holds every lane
        self._visitors = 0  # visitors' calls waiting for a lane or running in one
        self._turns = threading.Condition()

    def _lock(self, lane: str) -> threading.RLock:
        # with a single given workspace every lane shares one connection, hence one lock
        return self._locks["main" if self._given is not None else lane]

    @staticmethod
    @contextlib.contextmanager
    def in_background() -> Any:
        """Calls of this thread inside the block let visitors' calls go first (class doc)."""
        before = getattr(_thread, "background", False)
        _thread.background = True
        try:
            yield
        finally:
            _thread.background = before

    @contextlib.contextmanager
    def _turn(self, lane: str) -> Any:
        """Hold ``lane``'s lock. A visitor's call queues for it at once; a background call
        starts only while no visitor's call waits or runs in any lane (on two cores a
        warm-up query beside a visitor's model fit halves the fit's speed), and never while
        its thread holds the lock already (nested: no waiting for a visitor waiting for us)."""
        lock = self._lock(lane)
        if getattr(lock, "_is_owned", lambda: False)():
            with lock:
                yield
            return
        if _yields():
            # never block on the lock itself: a blocked acquirer would be next in line, ahead
            # of a visitor who comes later; try while no visitor is about, else wait a turn
            while True:
                with self._turns:
                    while self._visitors and not self.closing and _yields():
                        self._turns.wait(0.5)
                if lock.acquire(blocking=False):
                    break
                with self._turns:
                    self._turns.wait(0.05)
            try:
                yield
            finally:
                lock.release()
            return
        with self._visiting(), lock:
            yield

    @contextlib.contextmanager
    def _visiting(self, visitor: bool = True) -> Any:
        """Count a visitor's call (waiting or running) while the block runs: background calls
        start only while there is none (:meth:`_turn`)."""
        if not visitor:
            yield
            return
        with self._turns:
            self._visitors += 1
            self._turns.notify_all()  # a promoted warm-up call re-checks (_yields)
        try:
            yield
        finally:
            with self._turns:
                self._visitors -= 1
                self._turns.notify_all()

    def workspace(self, lane: str = "main") -> Workspace:
        """The lane's workspace (opened on first use); call with the lane's lock held."""
        if self._given is not None:
            return self._given
        ws = self._lanes.get(lane)
        if ws is None:
            if self._closing.is_set():
                from retentionkit.errors import RetentionkitError

                raise RetentionkitError("The server is shutting down.")
            from retentionkit.workspace import Workspace

            ws = self._lanes[lane] = Workspace(self.db, config=self.config)
        return ws

    @property
    def ws(self) -> Workspace:
        with self._lock("main"):
            return self.workspace("main")

    def run(self, fn: Callable[[Workspace], T], lane: str = "main") -> T:
        """Call ``fn(workspace)`` holding the lane's lock (no caching)."""
        with self._turn(lane):
            return fn(self.workspace(lane))

    def cached(self, key: Hashable, fn: Callable[[Workspace], T], lane: str = "main") -> T:
        """``fn(workspace)``, computed once per data version and ``key``. On a database other
        processes write too (PostgreSQL) the version includes the database's own
        (:func:`retentionkit.backends.data_version`, one small query per call)."""
        frozen = (self._shared_version(), _freeze(key))
        with self._cache_lock:
            full = (self.version, frozen)
            if full in self._cache:
                self._cache.move_to_end(full)
                return self._copy(self._cache[full])
        with self._turn(lane):
            with self._cache_lock:  # computed by another thread meanwhile?
                full = (self.version, frozen)
                if full in self._cache:
                    return self._copy(self._cache[full])
            value = fn(self.workspace(lane))
            with self._cache_lock:
                self._cache[full] = value
                while len(self._cache) > MAX_ENTRIES:
                    self._cache.popitem(last=False)
            return self._copy(value)

    def derived(self, key: Hashable, fn: Callable[[], T]) -> T:
        """``fn()`` computed once per data version and ``key``, outside the lanes: a value
        derived from cached results (a response's JSON body, a rendered page) that nobody
        changes (bytes, text, tuples), so it is handed out without a copy.

        One thread computes a key at a time: a second caller of the same key and version
        waits for the first one's value (the server's warm-up renders the overview while its
        first visitor asks for it), and computes it itself only if the first one failed. A
        visitor waiting for a key the warm-up computes makes that computation's further calls
        visitors' calls: they go first, as the visitor's own would (:meth:`_turn`).

        The version is read *before* ``fn`` runs and ``fn`` reads results of that version or a
        later one, so an entry is never older than its key says; a write empties this cache
        with the results' (:meth:`invalidate`)."""
        frozen = (self._shared_version(), _freeze(key))
        while True:
            with self._cache_lock:
                full = (self.version, frozen)
                value = self._derived.get(full, MISSING)
                if value is not MISSING:
                    self._derived.move_to_end(full)
                    return value
                running = self._flights.get(full)
                if running is None:
                    flight = self._flights[full] = _Flight()
                    break
                visitor = not getattr(_thread, "background", False)
                if visitor:
                    running.wanted = True  # its calls go first now (_turn)
            # another thread computes it: take its value (or, if it failed, compute); a
            # visitor waiting counts as one, so the warm-up's other calls wait meanwhile
            with self._visiting(visitor):
                running.done.wait()
        computing = getattr(_thread, "flights", ())
        _thread.flights = (*computing, flight)
        try:
            value = fn()
            with self._cache_lock:
                self._derived[full] = value
                while len(self._derived) > MAX_DERIVED:
                    self._derived.popitem(last=False)
            return value
        finally:
            _thread.flights = computing
            with self._cache_lock:
                del self._flights[full]
            flight.done.set()

    def peek(self, key: Hashable) -> Any:
        """The :meth:`derived` value of ``key`` for the current data version, or
        :data:`MISSING`; never blocks on a lane or a database (safe on the event loop). A
        database other processes write (PostgreSQL) always answers MISSING: its version
        takes a query, so those requests take the :meth:`derived` path in a worker thread."""
        if self._has_shared_version():
            return MISSING
        with self._cache_lock:
            full = (self.version, (None, _freeze(key)))
            value = self._derived.get(full, MISSING)
            if value is not MISSING:
                self._derived.move_to_end(full)
            return value

    def _has_shared_version(self) -> bool:
        return self._given is not None or (isinstance(self.db, str) and "://" in self.db)

    def _shared_version(self) -> int | None:
        """The data version of a database server's workspace (None for a DuckDB file, whose
        writes all pass through this service)."""
        if not self._has_shared_version():
            return None
        from retentionkit.backends import data_version

        with self._lock("main"):
            ws = self.workspace("main")
            if getattr(ws, "remote", None) is not None:
                return None
            return data_version(ws.con)

    @staticmethod
    def _copy(value: Any) -> Any:
        """A copy of a cached frame or :class:`~retentionkit.service.Result` the caller may
        change (other values are immutable or not changed by the callers)."""
        from retentionkit.service import Result

        if isinstance(value, Result):
            return value.copy()
        return value.copy() if hasattr(value, "copy") and hasattr(value, "columns") else value

    def invalidate(self) -> None:
        """Forget every cached result (after a write)."""
        with self._cache_lock:
            self.version += 1
            self._cache.clear()
            self._derived.clear()

    @property
    def closing(self) -> bool:
        """True once :meth:`close` began (the cache warm-up stops)."""
        return self._closing.is_set()

    def _interrupt(self, lane: str) -> None:
        """Cancel the DuckDB query a lane's read is running (best effort; no write runs)."""
        ws = self._lanes.get(lane)
        if ws is not None and ws.is_open and not self._writing.is_set():
            with contextlib.suppress(Exception):
                ws.duck.interrupt()

    def write(self, fn: Callable[[Workspace], T]) -> T:
        """Run a writing call with every lane stopped, then invalidate the cache."""
        with contextlib.ExitStack() as stack:
            for lane in self.LANES:
                stack.enter_context(self._locks[lane])
            self._writing.set()
            try:
                return fn(self.workspace("main"))
            finally:
                self._writing.clear()
                self.invalidate()

    # -- the library calls the adapters share ----------------------------------------------
    def request(self, request: Request) -> Result:
        """Run ``request`` (:func:`retentionkit.service.run`) in its lane, cached: the request
        itself is the cache key, so the API and the dashboard share entries."""
        from retentionkit.service import run

        return self.cached(request, lambda ws: run(ws, request), lane=request.lane)

    def tables(self) -> list[str]:
        return self.cached(("tables",), lambda ws: ws.tables())

    def customer_definition(self) -> str:
        """The customer definition the metric engine uses by default for this workspace."""
        from retentionkit.metrics.engine import default_definition

        return self.cached(("customer_definition",), default_definition)

    def close(self) -> None:
        """Close the lanes' workspaces (the server's shutdown) without waiting for reads.

        A write holds every lane and is waited for to its end. A read still running in a lane
        after :data:`LANE_GRACE` seconds — the cache warm-up's KPI pages, a model fit of the
        slow lane (minutes on millions of customers) — is abandoned: its DuckDB query is
        interrupted, and a lane that stays busy is left to end with the process (a read writes
        nothing). No lane opens its workspace again, so Ctrl-C stops ``serve`` in seconds."""
        self._closing.set()
        with contextlib.ExitStack() as stack:
            closable = []
            for lane in self.LANES:
                lock = self._locks[lane]
                if self._given is not None or self._writing.is_set():
                    stack.enter_context(lock)
                elif not lock.acquire(timeout=LANE_GRACE):
                    self._interrupt(lane)
                    if not lock.acquire(timeout=LANE_GRACE):
                        continue  # busy with a read: left to end with the process
                    stack.callback(lock.release)
                else:
                    stack.callback(lock.release)
                closable.append(lane)
            if self._given is None:
                for lane in closable:
                    ws = self._lanes.pop(lane, None)
                    with contextlib.suppress(Exception):  # best effort on shutdown
                        if ws is not None:
                            ws.close()
            else:
                self._lanes.clear()
            with self._cache_lock:
                self._cache.clear()
                self._derived.clear()
