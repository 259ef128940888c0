"""Which reported periods the data cover: the data extent of each table and the ``complete``
flag of a period.

Rule (docs/metrics.md, "Complete periods"): a period [start, end) of a metric is *complete*
when the tables the metric reads (its family's tables, :meth:`MetricSpec.source_tables`)
cover it whole — their earliest event falls on or before the period's first day
(earliest < start + 1 day) and their latest event on or after its last day
(latest ≥ end − 1 day). Days, not instants, because many sources (CDNOW, Olist payments)
carry dates only: an orders log whose last order is on 30 June covers June.

Subscriptions describe a state (a term without an end is running now), so their coverage is
open-ended. A period that does not overlap the extent at all (it ends on or before the
earliest event's day, or starts after the latest event) is *outside* the data: the engine
reports its value as null rather than 0 customers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.workspace import Workspace

#: Timestamp columns that bound the data of each table.
TIME_COLUMNS = {
    "orders": "ordered_at",
    "subscriptions": "started_at",
    "survey_responses": "responded_at",
    "tickets": "opened_at",
    "acquisition_costs": "incurred_on",
    "returns": "returned_at",
}

DAY = pd.Timedelta(days=1)

Extent = tuple[pd.Timestamp, pd.Timestamp]


def table_extents(ws: Workspace, tables: Iterable[str]) -> dict[str, Extent]:
    """Earliest and latest event time of each dated, non-empty table among ``tables``, in one
    query (a union of one row per table: a report reads up to six tables, and a query each
    cost a small read as much as its KPIs)."""
    import ibis

    parts = []
    for table in sorted(set(tables)):
        column = TIME_COLUMNS.get(table)
        if column is None or not ws.has_table(table):
            continue
        t = ws.table(table)
        parts.append(
            t.aggregate(
                name=ibis.literal(table),
                lo=t[column].min().cast("timestamp"),
                hi=t[column].max().cast("timestamp"),
            )
        )
    if not parts:
        return {}
    rows = ibis.union(*parts).execute()
    return {
        name: (pd.Timestamp(lo), pd.Timestamp(hi))
        for name, lo, hi in zip(rows["name"], rows["lo"], rows["hi"], strict=True)
        if pd.notna(lo)
    }


def joint_extent(extents: dict[str, Extent], tables: Iterable[str]) -> Extent | None:
    """The extent of ``tables`` together (earliest of the lows, latest of the highs)."""
    parts = [extents[t] for t in tables if t in extents]
    if not parts:
        return None
    return min(p[0] for p in parts), max(p[1] for p in parts)


#: Tables that describe a state running until changed (a subscription term without an end
#: is running now): their data cover every period after their first event.
STATE_TABLES = frozenset({"subscriptions"})
#: The open end of a state table's coverage.
OPEN_END = pd.Timestamp("2262-01-01")


def coverage_extent(extents: dict[str, Extent], tables: Iterable[str]) -> Extent | None:
    """What ``tables`` cover for the completeness rule: :func:`joint_extent`, open-ended
    when one of them is a state table (subscriptions)."""
    tables = tuple(tables)
    extent = joint_extent(extents, tables)
    if extent is not None and STATE_TABLES & set(tables):
        return extent[0], OPEN_END
    return extent


def complete_flags(starts: pd.Series, ends: pd.Series, extent: Extent | None) -> np.ndarray:
    """True where [start, end) is covered whole by ``extent`` (the rule above)."""
    if extent is None:
        return np.zeros(len(starts), dtype=bool)
    lo, hi = extent
    s = pd.to_datetime(starts).to_numpy()
    e = pd.to_datetime(ends).to_numpy()
    return (np.datetime64(lo) < s + np.timedelta64(1, "D")) & (
        np.datetime64(hi) >= e - np.timedelta64(1, "D")
    )


def outside_flags(starts: pd.Series, ends: pd.Series, extent: Extent | None) -> np.ndarray:
    """True where [start, end) holds no day of ``extent``: it ends on or before the earliest
    event's day or starts after the latest event."""
    if extent is None:
        return np.ones(len(starts), dtype=bool)
    lo, hi = extent
    s = pd.to_datetime(starts).to_numpy()
    e = pd.to_datetime(ends).to_numpy()
    return (e <= np.datetime64(lo.floor("D"))) | (s > np.datetime64(hi))


def last_complete_month_end(extent: Extent) -> pd.Timestamp:
    """The end of the last calendar month the extent covers whole (its latest event falls on
    or after that month's last day)."""
    return (extent[1] + DAY).to_period("M").to_timestamp()
