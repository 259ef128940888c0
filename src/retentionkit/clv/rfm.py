"""RFM summary of the orders table, computed in the engine (one Ibis expression).

The same quantities as ``lifetimes.utils.summary_data_from_transaction_data`` (with
``freq="D"`` and ``freq_multiplier`` = the length of the time unit in days) and, with a
calibration end, ``calibration_and_holdout_data``. Per customer, over the orders placed on or
before the observation-end day (days are UTC calendar days, orders on that day count):

* ``frequency`` — repeat purchases: the number of distinct purchase days minus one;
* ``recency`` — time from the first to the last purchase day;
* ``T`` — time from the first purchase day to the observation-end day;
* ``monetary_value`` — the mean value of the repeat purchase days, where a day's value is the
  sum of that day's orders (the first day is left out); 0 for a customer without repeats.

``recency`` and ``T`` are in ``time_unit``: days, weeks (days / 7) or months
(days / 30.4375, the mean Gregorian month), fractional.

With ``calibration_end`` the four columns above are measured on the calibration window (orders
on or before the calibration-end day, T to that day) and three holdout columns are added, as
lifetimes' ``calibration_and_holdout_data`` defines them, for the orders after the
calibration-end day up to and including the observation-end day:

* ``frequency_holdout`` — distinct purchase days in the holdout window;
* ``monetary_value_holdout`` — the mean amount of the individual holdout orders (per order, not
  per day, as lifetimes computes it); 0 without holdout orders;
* ``duration_holdout`` — length of the holdout window (observation end − calibration end) in
  the time unit.

Only customers with an order in the calibration window appear (a customer first seen in the
holdout window has no calibration history), as in lifetimes.

Difference from lifetimes for timestamps with a time of day: lifetimes compares raw timestamps
with the calibration end (midnight), so an order at 14:00 on the calibration-end day falls in
its holdout window; here every comparison is on calendar days, so it counts in calibration.
For date-only data (such as CDNOW) both agree exactly.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from retentionkit.errors import ConfigError, MissingTableError
from retentionkit.schema.contracts import MONEY_DIGITS
from retentionkit.vocabulary import TIME_UNITS

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from retentionkit.workspace import Workspace

__all__ = ["DAYS_PER_UNIT", "TIME_UNITS", "rfm_expr", "rfm_summary"]

#: Length of one time unit in days (a month is the mean Gregorian month, 365.25 / 12).
DAYS_PER_UNIT: dict[str, float] = {"day": 1.0, "week": 7.0, "month": 30.4375}
assert tuple(DAYS_PER_UNIT) == TIME_UNITS, "one length per time unit of the vocabulary"
HOLDOUT_COLUMNS = ["frequency_holdout", "monetary_value_holdout", "duration_holdout"]


def check_time_unit(time_unit: str) -> float:
    if time_unit not in DAYS_PER_UNIT:
        raise ConfigError(f"--time-unit {time_unit!r} is not one of: {', '.join(TIME_UNITS)}.")
    return DAYS_PER_UNIT[time_unit]


def _as_day(value: Any, flag: str) -> dt.date | None:
    from retentionkit.metrics.periods import parse_date

    ts = parse_date(value, flag)
    return None if ts is None else ts.date()


# MONEY_DIGITS (schema/contracts.py) are the decimal places of a stored amount. Sums of
# amounts are rounded to them: the float sums of a parallel aggregation add in an order that
# changes from run to run (17 % of a million customers' spend differed in its last bits between
# two runs), while the exact sum of 4-decimal amounts is itself a 4-decimal number; rounding
# recovers it (to the nearest double) whenever the float error is below half a unit of the 4th
# decimal — for any customer total below about 10^11 — so the summary, and every CLV computed
# from it, is the same on every run.


def _daily(orders: Any) -> Any:
    """One row per customer and purchase day with the day's summed value."""
    day = orders.ordered_at.cast("date")
    return (
        orders.mutate(day=day, value=orders.amount.cast("float64"))
        .group_by(["customer_id", "day"])
        .agg(value=lambda t: t.value.sum())
    )


def _summary(orders: Any, end: Any, unit_days: float) -> Any:
    """frequency, recency, T, monetary_value of ``orders`` (already cut at ``end``); ``end``
    None means the last purchase day of any customer (the last order day: every order has its
    customer's row), taken over the 1-row-per-customer table instead of another scan of the
    orders."""
    import ibis

    daily = _daily(orders)
    per = daily.group_by("customer_id").agg(
        first_day=daily.day.min(),
        last_day=daily.day.max(),
        n_days=daily.day.count(),
        total=daily.value.sum(),
        first_value=daily.value.argmin(daily.day),
    )
    if end is None:
        end = per.last_day.max().over()
    repeats = per.n_days - 1
    return per.select(
        "customer_id",
        frequency=repeats.cast("int64"),
        recency=per.last_day.delta(per.first_day, unit="day").cast("float64") / unit_days,
        T=end.delta(per.first_day, unit="day").cast("float64") / unit_days,
        monetary_value=ibis.ifelse(
            repeats > 0,
            (per.total - per.first_value).round(MONEY_DIGITS) / repeats.cast("float64"),
            0.0,
        ),
    )


def rfm_expr(
    ws: Workspace,
    time_unit: str = "week",
    observation_end: Any = None,
    calibration_end: Any = None,
    customers: pd.Series | None = None,
) -> Any:
    """The Ibis expression of :func:`rfm_summary`. Nothing is executed, except one query for
    the last order day when ``calibration_end`` is given without ``observation_end`` (to
    check that the calibration end comes first)."""
    import ibis

    unit_days = check_time_unit(time_unit)
    orders = ws.table("orders")
    obs = _as_day(observation_end, "--observation-end")
    cal = _as_day(calibration_end, "--calibration-end")
    if obs is None and cal is not None:  # the check below needs the last order day now
        obs = _observation_day(ws, None)
    if cal is not None and obs is not None and cal >= obs:
        raise ConfigError(f"--calibration-end {cal} must be before --observation-end {obs}.")
    if customers is not None:  # each customer's row is their own orders' alone
        wanted = ibis.memtable({"customer_id": customers.astype(str).to_numpy(dtype=object)})
        orders = orders.semi_join(wanted, orders.customer_id.cast("string") == wanted.customer_id)
    day = orders.ordered_at.cast("date")
    # without an observation end: the last order day (computed in _summary)
    end: Any = ibis.date(obs) if obs is not None else None

    def before_day_after(d: dt.date) -> Any:
        """ordered_at on or before day d, compared on the raw timestamp (no per-row cast)."""
        return orders.ordered_at < ibis.timestamp(
            dt.datetime.combine(d + dt.timedelta(1), dt.time())
        )

    if cal is None:
        kept = orders if obs is None else orders.filter(before_day_after(obs))  # none later
        return _summary(kept, end, unit_days).order_by("customer_id")

    if end is None:  # an empty orders table: no last order day to compute above
        end = day.max().as_scalar()
    calib = _summary(orders.filter(before_day_after(cal)), ibis.date(cal), unit_days)
    held = orders.filter(~before_day_after(cal) & (day <= end))
    held = held.mutate(day=held.ordered_at.cast("date"), value=held.amount.cast("float64"))
    hold = held.group_by("customer_id").agg(
        frequency_holdout=held.day.nunique(),
        monetary_value_holdout=held.value.sum().round(MONEY_DIGITS) / held.value.count(),
    )
    joined = calib.left_join(hold, "customer_id")
    duration = end.delta(ibis.date(cal), unit="day").cast("float64") / unit_days
    return joined.select(
        calib.customer_id,
        calib.frequency,
        calib.recency,
        calib.T,
        calib.monetary_value,
        frequency_holdout=joined.frequency_holdout.fill_null(0).cast("int64"),
        monetary_value_holdout=joined.monetary_value_holdout.fill_null(0.0),
        duration_holdout=duration,
    ).order_by("customer_id")


def rfm_summary(
    ws: Workspace,
    time_unit: str = "week",
    observation_end: Any = None,
    calibration_end: Any = None,
    customers: pd.Series | None = None,
) -> pd.DataFrame:
    """Per-customer RFM summary (see the module docstring) as a pandas DataFrame.

    Columns ``customer_id, frequency, recency, T, monetary_value``, plus
    ``frequency_holdout, monetary_value_holdout, duration_holdout`` with ``calibration_end``.
    ``observation_end`` defaults to the day of the last order. ``customers`` (ids) keeps the
    rows of those customers only — each row is computed from that customer's orders alone, so
    they are the rows of the whole summary; give ``observation_end`` with it (the last order
    day is the whole table's).
    """
    if not ws.has_table("orders"):
        raise MissingTableError(
            "The RFM summary needs the orders table, which is not loaded; ingest it first "
            "with 'retentionkit ingest orders FILE'."
        )
    from retentionkit.clv import memo

    check_time_unit(time_unit)
    if customers is not None and observation_end is None:
        observation_end = _observation_day(ws, None)
    key = memo.summary_key(
        ws,
        lambda: (
            time_unit,
            _observation_day(ws, observation_end),
            _as_day(calibration_end, "--calibration-end"),
            None if customers is None else memo.digest(customers.astype(str).to_frame()),
        ),
    )
    kept = memo.lookup_summary(key)
    if kept is not None:
        return kept
    frame = rfm_expr(ws, time_unit, observation_end, calibration_end, customers).execute()
    frame = frame.reset_index(drop=True)
    frame["customer_id"] = frame["customer_id"].astype(str)
    memo.keep_summary(key, frame)
    return frame


def _observation_day(ws: Workspace, observation_end: Any) -> Any:
    """The observation end of a summary as :func:`rfm_expr` resolves it: the given day, else
    the day of the last order (so a summary asked without one and one asked up to the last
    order day — the CLV page's and the at-risk list's — are the same kept summary)."""
    obs = _as_day(observation_end, "--observation-end")
    if obs is not None:
        return obs
    last = ws.table("orders").ordered_at.max().execute()
    if last is None or last != last:  # an empty table (None or NaT)
        return None
    return _as_day(last, "--observation-end")
