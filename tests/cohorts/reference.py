"""An independent pandas implementation of the cohort table (loops and pandas Periods, no
Ibis), used as the reference the engine is checked against."""

from __future__ import annotations

import functools

import pandas as pd

FREQ = {"week": "W-SUN", "month": "M", "quarter": "Q"}
DAYS_PER_MONTH = 30.4375


def _ordinal(ts: pd.Series | pd.Timestamp, period: str):  # type: ignore[no-untyped-def]
    if isinstance(ts, pd.Timestamp):
        return ts.to_period(FREQ[period]).ordinal
    return ts.dt.to_period(FREQ[period]).map(lambda p: p.ordinal).astype("int64")


@functools.cache
def _start(ordinal: int, period: str) -> pd.Timestamp:
    return pd.Period(ordinal=ordinal, freq=FREQ[period]).start_time


def _activity_rows(orders: pd.DataFrame, period: str, to: pd.Timestamp | None):
    o = orders.copy()
    o["ordered_at"] = pd.to_datetime(o["ordered_at"])
    if to is not None:
        o = o[o["ordered_at"] < to]
        end = _ordinal(to - pd.Timedelta(microseconds=1), period)
    else:
        end = _ordinal(o["ordered_at"].max(), period)
    o["p"] = _ordinal(o["ordered_at"], period)
    o["amount"] = o["amount"].astype(float)
    rows = o.groupby(["customer_id", "p"], as_index=False)["amount"].sum()
    return rows.rename(columns={"amount": "revenue"}), end


def _contractual_rows(subs: pd.DataFrame, period: str, to: pd.Timestamp | None):
    s = subs.copy()
    s["started_at"] = pd.to_datetime(s["started_at"])
    s["ended_at"] = pd.to_datetime(s["ended_at"])
    if to is not None:
        s = s[s["started_at"] < to]
        end_ts = to
        end = _ordinal(to - pd.Timedelta(microseconds=1), period)
    else:
        end_ts = s["started_at"].max()
        end = _ordinal(end_ts, period)
    out: dict[tuple[str, int], float] = {}
    for term in s.itertuples():
        if pd.notna(term.ended_at) and term.ended_at <= term.started_at:
            continue
        first = _ordinal(term.started_at, period)
        if pd.isna(term.ended_at):
            last = end
        else:
            last = min(_ordinal(term.ended_at - pd.Timedelta(microseconds=1), period), end)
        stop = end_ts if pd.isna(term.ended_at) else min(term.ended_at, end_ts)
        for p in range(first, last + 1):
            p_start, p_end = _start(p, period), _start(p + 1, period)
            seconds = (min(stop, p_end) - max(term.started_at, p_start)).total_seconds()
            money = float(term.mrr) * max(seconds, 0.0) / (DAYS_PER_MONTH * 86400)
            out[(term.customer_id, p)] = out.get((term.customer_id, p), 0.0) + money
    rows = pd.DataFrame(
        [(c, p, v) for (c, p), v in out.items()], columns=["customer_id", "p", "revenue"]
    )
    return rows, end


def reference_cohorts(
    tables: dict[str, pd.DataFrame],
    *,
    period: str = "month",
    kind: str = "customers",
    definition: str = "activity",
    start: str | None = None,
    end: str | None = None,
    segments: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Same columns as ``cohort_table``: [segment,] cohort, offset, size, value."""
    to = pd.Timestamp(end) if end else None
    if definition == "activity":
        rows, last = _activity_rows(tables["orders"], period, to)
    else:
        rows, last = _contractual_rows(tables["subscriptions"], period, to)
    first = rows.groupby("customer_id")["p"].min().rename("cohort_p")
    latest = rows.groupby("customer_id")["p"].max().rename("last_p")
    cust = pd.concat([first, latest], axis=1).reset_index()
    if start:
        cust = cust[cust["cohort_p"] >= _ordinal(pd.Timestamp(start), period)]
    if segments is not None:
        cust = cust.merge(segments, on="customer_id", how="left")
        cust["segment"] = cust["segment"].fillna("unknown").astype(str)
    else:
        cust["segment"] = "all"
    tagged = rows.merge(cust[["customer_id", "segment", "cohort_p"]], on="customer_id")
    cells = tagged.groupby(["segment", "cohort_p", "p"]).agg(
        active=("customer_id", "nunique"), revenue=("revenue", "sum")
    )
    active = cells["active"].to_dict()
    money = cells["revenue"].to_dict()
    out = []
    for (seg, cohort_p), members in cust.groupby(["segment", "cohort_p"]):
        size = len(members)
        lasts = members["last_p"].to_numpy()
        base = money.get((seg, cohort_p, cohort_p), 0.0)
        cumulative = 0.0
        for k in range(0, last - cohort_p + 1):
            key = (seg, cohort_p, cohort_p + k)
            revenue = money.get(key, 0.0)
            cumulative += revenue
            if kind == "customers":
                value = active.get(key, 0) / size * 100
            elif kind == "unbounded":
                value = (lasts >= cohort_p + k).sum() / size * 100
            elif kind == "revenue":
                value = revenue / base * 100 if base else float("nan")
            else:
                value = cumulative / size
            out.append(
                {
                    "segment": seg,
                    "cohort": _start(cohort_p, period),
                    "offset": k,
                    "size": size,
                    "value": value,
                }
            )
    frame = pd.DataFrame(out)
    frame = frame.sort_values(["segment", "cohort", "offset"]).reset_index(drop=True)
    if segments is None:
        frame = frame.drop(columns="segment")
    return frame
