"""A small in-process cache for the planner's expensive inputs (churn risk, KPI series).

The planner runs once a minute; a churn model fit or a KPI series costs seconds. Results are
kept per workspace under the *data version*: for every data table (customers, orders,
subscriptions, tickets, survey_responses, returns, acquisition_costs) its row count and its
first and last event time (:data:`retentionkit.metrics.completeness.TIME_COLUMNS`). A load
that changes any of them changes the version, so the next planning recomputes; otherwise the
cached value is reused. At most :data:`SIZE` entries are kept (oldest dropped first).

:func:`cached_frame` also keeps a data frame on disk, in the workspace's cache folder
``.<workspace file>.cache/`` (where the churn model is cached), as
``automations-<what>-<data version>.parquet``: ``automations run --once`` from cron starts a
new process every minute and reuses the file instead of refitting. Older versions of the same
entry are deleted; a read-only folder only costs the recomputation.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from retentionkit.workspace import Workspace

__all__ = ["SIZE", "cached", "cached_frame", "clear", "data_version", "one_pass"]

SIZE = 32
DATA_TABLES = (
    "customers",
    "orders",
    "subscriptions",
    "tickets",
    "survey_responses",
    "returns",
    "acquisition_costs",
)
_STORE: OrderedDict[tuple[Hashable, ...], Any] = OrderedDict()
_PASS: dict[int, str] | None = None
T = TypeVar("T")


@contextlib.contextmanager
def one_pass() -> Iterator[None]:
    """Within the block, :func:`data_version` is computed once per workspace (a planning pass
    reads the data once; nothing loads data in between)."""
    global _PASS
    outer = _PASS
    _PASS = {} if outer is None else outer
    try:
        yield
    finally:
        _PASS = outer


def data_version(ws: Workspace) -> str:
    """A short hash of every data table's row count and first/last event time."""
    if _PASS is not None:
        if id(ws) not in _PASS:
            _PASS[id(ws)] = _data_version(ws)
        return _PASS[id(ws)]
    return _data_version(ws)


def _data_version(ws: Workspace) -> str:
    from retentionkit.metrics.completeness import TIME_COLUMNS

    parts = []
    for name in DATA_TABLES:
        if not ws.has_table(name):
            continue
        t = ws.table(name)
        column = TIME_COLUMNS.get(name)
        agg: dict[str, Any] = {"n": t.count()}
        if column is not None and column in t.columns:
            agg.update(lo=t[column].min(), hi=t[column].max())
        row = t.aggregate(**agg).execute().iloc[0].to_dict()
        parts.append(f"{name}:{sorted(row.items())}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


def cached(ws: Workspace, what: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
    """``compute()`` once per (workspace, data version, ``what``)."""
    key = (str(ws.path or id(ws)), data_version(ws), *what)
    if key in _STORE:
        _STORE.move_to_end(key)
        return _STORE[key]  # type: ignore[no-any-return]
    value = compute()
    _STORE[key] = value
    while len(_STORE) > SIZE:
        _STORE.popitem(last=False)
    return value


def cached_frame(
    ws: Workspace, what: tuple[str, ...], compute: Callable[[], pd.DataFrame]
) -> pd.DataFrame:
    """:func:`cached`, backed by a parquet file next to a workspace file (module docstring)."""
    import pandas as pd

    if ws.path is None:
        return cached(ws, what, compute)

    def from_disk() -> pd.DataFrame:
        folder = ws.path.resolve().parent / f".{ws.path.name}.cache"
        stem = "automations-" + "-".join(what)
        path = folder / f"{stem}-{data_version(ws)}.parquet"
        if path.exists():
            try:
                return pd.read_parquet(path)
            except (OSError, ValueError):
                path.unlink(missing_ok=True)
        frame = compute()
        try:
            folder.mkdir(exist_ok=True)
            for old in folder.glob(f"{stem}-*.parquet"):
                old.unlink(missing_ok=True)
            tmp = path.with_suffix(".tmp")
            frame.to_parquet(tmp, index=False)
            tmp.replace(path)
        except OSError:
            pass
        return frame

    return cached(ws, what, from_disk)


def clear() -> None:
    """Forget every cached value (tests)."""
    _STORE.clear()
