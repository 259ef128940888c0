"""The ``model="auto"`` choices fitted in this process, kept by the content of their inputs.

:func:`retentionkit.clv.workflow.choose_purchase` fits every purchase model, checks it and
compares the credible ones on a holdout — a minute on a million customers. Its answer is a
deterministic function of the RFM summary, the holdout (calibration) summary when it is used,
the penalizer and the sample size. The dashboard's CLV page, its at-risk list and the
``clv_tier`` segment all predict on the same summary, and a user who changes the CLV page's
horizon, margin or discount rate changes nothing the fit sees; so a choice is kept here and
used again when the inputs are the same, cell for cell:

* the key is a SHA-256 of the summary's cells that the choice reads (:func:`digest`: every
  cell, row order included: the ids as their lengths and UTF-8 bytes, other columns by pandas'
  per-cell hash — the summary is ordered by customer id), the time
  unit, the penalizer and the sample size of :mod:`retentionkit.clv.sample`;
* a kept choice that read the holdout summary is used again only when a fresh holdout summary
  has the same hash (or the same error), so a change to the orders that the full summary does
  not show (an order moved between two purchase days) still refits;
* copies go in and out (callers add their own warnings to the chosen model); at most
  :data:`KEPT` entries (choices and spend fits), the least recently used leaves first;
  ``RETENTIONKIT_CACHE=off`` turns it off.

The Gamma-Gamma spend fit is kept the same way (:func:`spend_key`: the summary's customer,
frequency and spend cells, the spend model and the penalizer), so the CLV page and the
``clv_tier`` segment on a million customers fit it once (2.2 s each before).

The RFM summaries themselves (:func:`summary_key`) are kept by the workspace file's data state
instead (the result cache's key, :func:`retentionkit.service.result_cache.data_state`), with
the observation end resolved to a day: the at-risk list, the CLV page and the ``clv_tier``
segment each ask for the summary and for the holdout (calibration) summary of the same data,
1.9 s each on a million customers (``tests/clv/test_summary_memo.py``: a kept summary equals a
fresh one after random ingests and outside deletes, and a write recomputes it). Like the result
cache, an UPDATE by another tool that keeps every row count is not seen: ``retentionkit
rebuild`` (or a new process) after one.

Nothing here outlives the process, so a kept choice is never stale across code versions; it
never changes a number (``tests/clv/test_choice_memo.py`` compares a kept choice with a fresh
one, and checks that different inputs refit).
"""

from __future__ import annotations

import copy
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import pandas as pd

__all__ = [
    "KEPT",
    "SUMMARIES_KEPT",
    "clear",
    "digest",
    "keep",
    "keep_summary",
    "key_of",
    "lookup",
    "lookup_summary",
    "spend_key",
    "summary_key",
]

#: Entries kept per process: ``model="auto"`` choices and fitted spend models.
KEPT = 8

_KEPT: OrderedDict[str, tuple[Any, str | None]] = OrderedDict()
_LOCK = threading.Lock()


def digest(frame: pd.DataFrame) -> str:
    """SHA-256 of every cell of the columns a purchase-model choice reads, in row order, and of
    their names: those of :data:`~retentionkit.clv.evaluation.HOLDOUT_COLUMNS` that ``frame``
    has (customer, frequency, recency, T and the holdout counts). Spend is not among them: no
    purchase model reads it."""
    from retentionkit.clv.evaluation import HOLDOUT_COLUMNS

    frame = frame[[c for c in HOLDOUT_COLUMNS if c in frame.columns]]
    h = hashlib.sha256(repr(list(frame.columns)).encode())
    _add_cells(h, frame)
    return h.hexdigest()


def _add_cells(h: Any, frame: pd.DataFrame) -> None:
    """Feed every cell of ``frame`` to the hash ``h``, column by column, in row order. A text
    column without nulls (the customer ids) goes in as its strings' lengths and their UTF-8
    bytes — which determine it, cell for cell — 5 × faster than pandas' per-cell hash on Arrow
    strings (0.47 → 0.09 s for a million ids); every other column as pandas' per-cell hash."""
    h.update(f"{len(frame)}|".encode())
    for name in frame.columns:
        column = frame[name]
        text = isinstance(column.dtype, pd.StringDtype) or (
            column.dtype == object and pd.api.types.infer_dtype(column, skipna=False) == "string"
        )
        if text and not column.isna().any():
            values = column.astype(str)
            h.update(b"text|")
            h.update(values.str.len().to_numpy(dtype="int64").tobytes())
            h.update("".join(values.tolist()).encode("utf-8", "surrogatepass"))
        else:
            h.update(b"cells|")
            h.update(pd.util.hash_pandas_object(column, index=False).to_numpy().tobytes())


def key_of(summary: pd.DataFrame, *parts: Any) -> str | None:
    """The key of a choice on ``summary`` with the other inputs ``parts`` (reprs); None when
    caching is off."""
    from retentionkit.cache_switch import caches_enabled

    if not caches_enabled():
        return None
    return hashlib.sha256(f"{digest(summary)}|{parts!r}".encode()).hexdigest()


def spend_key(summary: pd.DataFrame, *parts: Any) -> str | None:
    """The key of a spend-model fit on ``summary`` (its customer, frequency and
    ``monetary_value`` cells: the RFM summary's spend has the same bits on every run,
    ``clv/rfm.py: MONEY_DIGITS``) with the other inputs ``parts``; None when caching is off."""
    from retentionkit.cache_switch import caches_enabled

    if not caches_enabled():
        return None
    frame = summary[["customer_id", "frequency", "monetary_value"]]
    h = hashlib.sha256(f"spend|{parts!r}".encode())
    _add_cells(h, frame)
    return h.hexdigest()


def _get(store: OrderedDict[str, Any], key: str | None) -> Any:
    """The entry of ``store`` under ``key`` (marked recently used), or None."""
    if key is None:
        return None
    with _LOCK:
        kept = store.get(key)
        if kept is not None:
            store.move_to_end(key)
        return kept


def _put(store: OrderedDict[str, Any], key: str, value: Any, limit: int) -> None:
    """``value`` under ``key`` in ``store``; the least recently used beyond ``limit`` leave."""
    with _LOCK:
        store[key] = value
        store.move_to_end(key)
        while len(store) > limit:
            store.popitem(last=False)


def lookup(key: str | None) -> tuple[Any, str | None] | None:
    """(a copy of the kept choice, the digest of the holdout summary it read or None)."""
    kept = _get(_KEPT, key)
    if kept is None:
        return None
    choice, holdout, _ = kept
    return copy.deepcopy(choice), holdout


def kept_sample(key: str | None) -> Any:
    """The holdout customers kept with the choice under ``key`` (see :func:`keep`), or None."""
    kept = _get(_KEPT, key)
    return None if kept is None else kept[2]


def keep(key: str | None, choice: Any, holdout: str | None, sample: Any = None) -> None:
    """Keep a copy of ``choice`` under ``key`` (``holdout``: the digest of the holdout summary
    it read, None when it read none; ``sample``: the customers that holdout summary was read
    for, when a sample — a function of the summary the key digests, so a later look at the
    holdout summary reads the same customers without hashing every id again)."""
    if key is not None:
        _put(_KEPT, key, (copy.deepcopy(choice), holdout, sample), KEPT)


def clear() -> None:
    """Forget every kept choice, spend fit and summary (tests)."""
    with _LOCK:
        _KEPT.clear()
        _SUMMARIES.clear()


#: RFM summaries kept per process (a million customers' is ~60 MB).
SUMMARIES_KEPT = 4

_SUMMARIES: OrderedDict[str, pd.DataFrame] = OrderedDict()


def summary_key(ws: Any, parts: Callable[[], tuple[Any, ...]]) -> str | None:
    """The key of an RFM summary of ``ws`` with the arguments ``parts()`` (called only when a
    summary can be kept): the workspace file's
    data state (:func:`retentionkit.service.result_cache.data_state`, the result cache's own
    key: data version, row counts, code version, UTC day) and ``parts``. None — compute —
    when caching is off, for a workspace that is not a DuckDB file of this process (memory,
    PostgreSQL, Spark, a server's), or when the state cannot be read."""
    from retentionkit.cache_switch import caches_enabled

    if not caches_enabled() or getattr(ws, "path", None) is None:
        return None
    if getattr(ws, "remote", None) is not None:
        return None
    from retentionkit.service.result_cache import data_state

    state = data_state(ws)
    if state is None:
        return None
    return hashlib.sha256(f"summary|{state}|{parts()!r}".encode()).hexdigest()


def lookup_summary(key: str | None) -> pd.DataFrame | None:
    """A copy of the summary kept under ``key``, or None."""
    frame = _get(_SUMMARIES, key)
    return None if frame is None else frame.copy()


def keep_summary(key: str | None, frame: pd.DataFrame) -> None:
    """Keep a copy of ``frame`` under ``key`` (at most :data:`SUMMARIES_KEPT`)."""
    if key is not None:
        _put(_SUMMARIES, key, frame.copy(), SUMMARIES_KEPT)
