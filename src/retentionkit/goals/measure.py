"""A goal's metric over complete periods, read through the public metrics API only.

``ws.metrics([metric], period=…, segment=…, customer_definition=…)`` gives one value per period;
this module keeps the periods that are *complete* as of a date and the goal's segment value.
The completeness rule lives in :func:`complete_mask` alone, so it can later switch to the
engine's own ``complete`` flag.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd

from retentionkit.errors import InputError
from retentionkit.metrics.periods import shift

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.goals.model import Goal
    from retentionkit.workspace import Workspace

__all__ = ["complete_mask", "day_end", "due_period_end", "metric_series", "split_segment"]

#: How many segment values an error message lists at most.
MAX_LISTED = 20


def day_end(day: dt.date) -> pd.Timestamp:
    """The instant a calendar day ends (midnight after it): dates are whole days, so a
    period ending at midnight after the as-of or due date counts as ending on that date."""
    return pd.Timestamp(day) + pd.Timedelta(days=1)


def _extent(ws: Workspace, metric: str, definition: str | None) -> tuple[pd.Timestamp, ...]:
    """First and last event time of the metric's source tables."""
    from retentionkit.metrics.engine import data_extent, default_definition
    from retentionkit.metrics.registry import get_metric

    tables = set(get_metric(metric).source_tables(definition or default_definition(ws)))
    return data_extent(ws, tables)


def complete_mask(
    ws: Workspace,
    metric: str,
    definition: str | None,
    frame: pd.DataFrame,
    as_of: dt.date,
    last_event: pd.Timestamp | None = None,
) -> pd.Series:
    """Which rows of a ``ws.metrics`` frame are complete periods as of ``as_of``.

    Rule: a period [start, end) is complete when ``end ≤ end of the as-of day`` **and** the
    data of the metric's source tables reach ``end`` — the last event falls on the period's
    last day or later (:func:`retentionkit.metrics.engine.data_extent` over
    ``spec.source_tables(definition)``). The one place to switch to the engine's ``complete``
    flag once it exists. ``last_event`` saves the query when the caller already knows it.
    """
    if last_event is None:
        last_event = _extent(ws, metric, definition)[1]
    data_end = day_end(pd.Timestamp(last_event).date())
    cutoff = min(day_end(as_of), data_end)
    return pd.to_datetime(frame["period_end"]) <= cutoff


def due_period_end(goal: Goal) -> pd.Timestamp:
    """End of the goal's *due period*: the last whole period ending on or before the due date
    (a due date of 2025-03-31 makes March, or Q1, the due period)."""
    from retentionkit.metrics.periods import floor

    return floor(day_end(goal.due), goal.period)


def split_segment(segment: str | None) -> tuple[str | None, str | None]:
    """``"country=DE"`` → (``"country"``, ``"DE"``); None → (None, None)."""
    if not segment:
        return None, None
    attr, _, value = segment.partition("=")
    return attr, value


def metric_series(ws: Workspace, goal: Goal, as_of: dt.date) -> pd.DataFrame:
    """The goal's metric per complete period up to ``as_of``: ``period_start, period_end,
    value`` (periods without a value dropped), for the goal's segment value.

    Raises :class:`InputError` when the segment value does not exist (listing the values).
    """
    attr, value = split_segment(goal.segment)
    assert goal.metric is not None
    first_event, last_event = _extent(ws, goal.metric, goal.customer_definition)
    if day_end(as_of) <= first_event:  # before the data: no period at all
        return pd.DataFrame({"period_start": [], "period_end": [], "value": []})
    frame = ws.metrics(
        [goal.metric],
        period=goal.period,
        end=day_end(as_of),
        segment=attr,
        customer_definition=goal.customer_definition,
    )
    if attr is not None:
        values = sorted({str(v) for v in frame["segment"].dropna()})
        if value not in values:
            listed = ", ".join(values[:MAX_LISTED]) + (" …" if len(values) > MAX_LISTED else "")
            raise InputError(
                f"Segment value {value!r} of {attr} does not exist in the data; "
                f"values: {listed or 'none'}."
            )
        frame = frame[frame["segment"].astype(str) == value]
    complete = complete_mask(ws, goal.metric, goal.customer_definition, frame, as_of, last_event)
    frame = frame[complete]
    frame = frame[frame["value"].notna()]
    out = frame[["period_start", "period_end", "value"]].copy()
    out["value"] = out["value"].astype("float64")
    return out.sort_values("period_start").reset_index(drop=True)


def periods_between(last_end: pd.Timestamp, due_end: pd.Timestamp, period: str) -> list:
    """Starts of the periods after the one ending at ``last_end`` up to the one ending at
    ``due_end`` (the forecast horizon); empty when the due period is already measured."""
    starts = []
    start = pd.Timestamp(last_end)
    while shift(start, period, 1) <= due_end:
        starts.append(start)
        start = shift(start, period, 1)
    return starts
