"""The data the contractual (sBG) and discrete-time (BG/BB) models are fitted on, built from the
workspace's tables. Periods are ``time_unit`` long (:data:`retentionkit.clv.rfm.DAYS_PER_UNIT`)
and counted from each customer's own start, so every counted period is complete.

* :func:`renewal_frame` (sBG, Fader & Hardie 2007): from ``subscriptions``, one row per customer
  with ``recency`` = the renewal period in which they cancelled (1, 2, …) and ``T`` = the period
  now starting (``recency == T``: still active). A customer starts at their first term's
  ``started_at`` and ends at their last ``ended_at`` when no term is running at
  ``observation_end``; customers of different start cohorts have different ``T``, so the fit
  pools every cohort's survival by renewal period (right-censored at its own age).
* :func:`opportunity_frame` (BG/BB, Fader, Hardie & Shang 2010): from ``orders``, each
  customer's first period is the trial; the complete periods after it are repeat-purchase
  opportunities ``1 … n_periods``; ``frequency`` counts those with at least one order and
  ``recency`` is the last such opportunity (0 if none), as in the donations data of the paper.
  Customers without a complete opportunity yet are left out (counted in the warnings).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from retentionkit.clv.rfm import DAYS_PER_UNIT
from retentionkit.errors import MissingTableError, ModelFitError
from retentionkit.metrics.periods import parse_date

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.workspace import Workspace

__all__ = ["opportunity_frame", "renewal_frame"]


def _require(ws: Workspace, table: str, model: str) -> None:
    if not ws.has_table(table):
        raise MissingTableError(
            f"The {model} model is fitted on the {table} table, which is not loaded; ingest it "
            f"first with 'retentionkit ingest {table} FILE'."
        )


def _end_exclusive(observation_end: Any, latest: Any) -> pd.Timestamp:
    """The first day after the observation window (its last day defaults to ``latest``)."""
    given = parse_date(observation_end, "--observation-end")
    last = pd.Timestamp(given if given is not None else latest).normalize()
    return last + pd.Timedelta(days=1)


def renewal_frame(
    ws: Workspace, time_unit: str = "month", observation_end: Any = None
) -> tuple[pd.DataFrame, list[str]]:
    """customer_id, recency, T for the sBG model (module docstring), and warnings."""
    _require(ws, "subscriptions", "sBG")
    t = ws.table("subscriptions")
    frame = (
        t.group_by("customer_id")
        .agg(
            start=t.started_at.min(),
            end=t.ended_at.max(),
            running=t.ended_at.isnull().sum(),
        )
        .execute()
    )
    extent = t.aggregate(hi_start=t.started_at.max(), hi_end=t.ended_at.max()).execute().iloc[0]
    latest = max(pd.Timestamp(v) for v in extent if pd.notna(v))
    end_excl = _end_exclusive(observation_end, latest)
    frame["start"] = pd.to_datetime(frame["start"])
    frame["end"] = pd.to_datetime(frame["end"])
    frame = frame[frame["start"] < end_excl]
    if frame.empty:
        raise ModelFitError("No subscription started before the end of observation; no sBG fit.")
    period = DAYS_PER_UNIT[time_unit]
    age = (end_excl - frame["start"]).dt.total_seconds() / 86400.0
    big_t = np.floor(age / period) + 1
    active = (frame["running"] > 0) | frame["end"].isna() | (frame["end"] >= end_excl)
    lived = (frame["end"] - frame["start"]).dt.total_seconds() / 86400.0
    recency = np.where(active, big_t, np.minimum(np.floor(lived.fillna(0) / period) + 1, big_t))
    out = pd.DataFrame(
        {
            "customer_id": frame["customer_id"].astype(str).to_numpy(),
            "recency": recency.astype("float64"),
            "T": big_t.to_numpy(dtype="float64"),
        }
    )
    return out.reset_index(drop=True), []


def opportunity_frame(
    ws: Workspace, time_unit: str = "month", observation_end: Any = None
) -> tuple[pd.DataFrame, list[str]]:
    """customer_id, frequency, recency, n_periods for the BG/BB model (module docstring), and
    warnings."""
    _require(ws, "orders", "BG/BB")
    orders = ws.table("orders")
    days = orders.select("customer_id", day=orders.ordered_at.cast("date")).distinct().execute()
    if days.empty:
        raise ModelFitError("There are no orders; nothing to fit.")
    days["day"] = pd.to_datetime(days["day"])
    end_excl = _end_exclusive(observation_end, days["day"].max())
    days = days[days["day"] < end_excl]
    period = DAYS_PER_UNIT[time_unit]
    first = days.groupby("customer_id")["day"].transform("min")
    days = days.assign(k=np.floor((days["day"] - first).dt.days / period))
    starts = days.groupby("customer_id")["day"].min()
    n = np.floor((end_excl - starts).dt.days / period) - 1
    n = n[n >= 1]
    skipped = int(len(starts) - len(n))
    days = days[days["customer_id"].isin(n.index)]
    repeat = days[(days["k"] >= 1) & (days["k"] <= days["customer_id"].map(n))]
    per = repeat.groupby("customer_id")["k"].agg(["nunique", "max"])
    out = pd.DataFrame({"n_periods": n})
    out["frequency"] = per["nunique"].reindex(out.index).fillna(0.0)
    out["recency"] = per["max"].reindex(out.index).fillna(0.0)
    out = out.reset_index().rename(columns={"index": "customer_id"})
    out["customer_id"] = out["customer_id"].astype(str)
    warnings = []
    if skipped:
        warnings.append(
            f"{skipped:,} customer{'s' if skipped > 1 else ''} whose first order is less than "
            f"two {time_unit}s before the end of observation {'have' if skipped > 1 else 'has'} "
            f"no complete repeat-purchase opportunity yet and {'were' if skipped > 1 else 'was'} "
            f"left out of the BG/BB fit."
        )
    return out[["customer_id", "frequency", "recency", "n_periods"]].astype(
        {"frequency": "float64", "recency": "float64", "n_periods": "float64"}
    ), warnings
