"""Reporting periods: calendar day, ISO week, month, quarter, year — half-open [start, end).

Periods are computed on the stored UTC timestamps. ``--from``/``--to`` are snapped outward to
whole periods (a month report from 2024-01-15 starts on 2024-01-01).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from retentionkit.errors import ConfigError
from retentionkit.vocabulary import PERIODS  # the one definition, re-exported here
from retentionkit.vocabulary import period_label as period_label  # re-exported (pandas-free)

TruncateUnit = Literal["D", "W", "M", "Q", "Y"]
#: Ibis ``truncate`` unit per period.
TRUNCATE_UNIT: dict[str, TruncateUnit] = {
    "day": "D",
    "week": "W",
    "month": "M",
    "quarter": "Q",
    "year": "Y",
}
_OFFSET = {
    "day": pd.DateOffset(days=1),
    "week": pd.DateOffset(weeks=1),
    "month": pd.DateOffset(months=1),
    "quarter": pd.DateOffset(months=3),
    "year": pd.DateOffset(years=1),
}
#: Length of one period in months (to normalise frequencies "per month" / "per year").
MONTHS_PER_PERIOD = {
    "day": 12 / 365.25,
    "week": 12 * 7 / 365.25,
    "month": 1.0,
    "quarter": 3.0,
    "year": 12.0,
}
#: How many periods back is "the same period a year earlier".
PERIODS_PER_YEAR = {"day": 365, "week": 52, "month": 12, "quarter": 4, "year": 1}


def check_period(period: str) -> str:
    if period not in PERIODS:
        raise ConfigError(f"--period {period!r} is not one of: {', '.join(PERIODS)}.")
    return period


#: Dates a flag may name: [first, end). Stored data lies in the workspace's plausible range
#: (1900–2200 unless widened, never beyond years 1–9998); a report snaps outward to whole
#: periods and looks back a few years, so query dates far from year 1 and 9999 keep every
#: period computation valid (``--to 9999-12-31`` would otherwise overflow the calendar).
FLAG_DATES = (pd.Timestamp("1000-01-01"), pd.Timestamp("9000-01-01"))


def parse_date(text: str | dt.date | None, flag: str) -> pd.Timestamp | None:
    """``text`` as a naive UTC timestamp (``None`` when empty); a usage error unless it is a
    date in :data:`FLAG_DATES`."""
    if text is None or text == "":
        return None
    try:
        ts = pd.Timestamp(text)
    except (ValueError, TypeError):
        raise ConfigError(f"{flag} {text!r} is not a date; expected YYYY-MM-DD.") from None
    if ts is pd.NaT:
        raise ConfigError(f"{flag} {text!r} is not a date; expected YYYY-MM-DD.")
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    first, end = FLAG_DATES
    if not first <= ts < end:
        raise ConfigError(
            f"{flag} {text!r} is out of range; expected a date from {first.date()} to before "
            f"{end.date()}."
        )
    return ts


def floor(ts: pd.Timestamp, period: str) -> pd.Timestamp:
    ts = pd.Timestamp(ts).normalize()
    if period == "day":
        return ts
    if period == "week":
        return ts - pd.Timedelta(days=ts.weekday())
    if period == "month":
        return ts.replace(day=1)
    if period == "quarter":
        return ts.replace(month=3 * ((ts.month - 1) // 3) + 1, day=1)
    return ts.replace(month=1, day=1)


def shift(ts: pd.Timestamp, period: str, n: int) -> pd.Timestamp:
    return pd.Timestamp(ts) + n * _OFFSET[period]


@dataclass(frozen=True)
class PeriodGrid:
    """The periods of a report: ``starts[i]`` to ``starts[i + 1]``."""

    period: str
    boundaries: tuple[pd.Timestamp, ...]

    @property
    def starts(self) -> list[pd.Timestamp]:
        return list(self.boundaries[:-1])

    @property
    def ends(self) -> list[pd.Timestamp]:
        return list(self.boundaries[1:])

    @property
    def first(self) -> pd.Timestamp:
        return self.boundaries[0]

    @property
    def last(self) -> pd.Timestamp:
        return self.boundaries[-1]

    def __len__(self) -> int:
        return len(self.boundaries) - 1

    def frame(self) -> pd.DataFrame:
        """period_start, period_end, prev_start (the period before) as a DataFrame."""
        starts = self.starts
        return pd.DataFrame(
            {
                "period_start": pd.to_datetime(starts).astype("datetime64[us]"),
                "period_end": pd.to_datetime(self.ends).astype("datetime64[us]"),
            }
        )

    def extended(self, before: int) -> PeriodGrid:
        """The same grid with ``before`` more periods in front (for comparisons and trailing
        windows)."""
        if before <= 0:
            return self
        extra = [shift(self.first, self.period, -k) for k in range(before, 0, -1)]
        return PeriodGrid(self.period, tuple(extra) + self.boundaries)


def make_grid(period: str, start: pd.Timestamp, end: pd.Timestamp) -> PeriodGrid:
    """Whole periods covering [start, end); ``end`` is exclusive and snapped up."""
    check_period(period)
    first = floor(start, period)
    last = floor(end, period)
    if last < pd.Timestamp(end):
        last = shift(last, period, 1)
    if last <= first:
        raise ConfigError(
            f"The range {start.date()} to {end.date()} is empty; --to must be after --from."
        )
    bounds = [first]
    while bounds[-1] < last:
        bounds.append(shift(bounds[-1], period, 1))
        if len(bounds) > 200_000:
            raise ConfigError("The range holds too many periods; choose a longer --period.")
    return PeriodGrid(period, tuple(bounds))
