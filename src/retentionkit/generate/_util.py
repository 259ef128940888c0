"""Shared helpers of the generator: the calendar, fast identifiers and Arrow columns.

Times inside the simulation are ``float64`` seconds since the Unix epoch (UTC): exact to well
below a microsecond over centuries, NaN for "missing" and ``inf`` for "never". They become naive
UTC ``timestamp[us]`` columns, truncated to whole seconds, only when a table is assembled.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

DAY = 86_400.0
MONTH_DAYS = 30.4375


@dataclass(frozen=True)
class Calendar:
    """The simulated period [start, start + months) and its month boundaries.

    ``bounds[k]`` is the start of data month k (calendar arithmetic: start + k months, the day
    clipped to the month's length), for k = 0 … months + 13 so that annual terms that run past
    the end of the data still have boundaries.
    """

    start: dt.datetime
    months: int
    bounds: np.ndarray  # float seconds, length months + 14
    month_of_year: np.ndarray  # 1..12 of each data month, length months + 13

    @classmethod
    def build(cls, start: dt.date | dt.datetime | str, months: int) -> Calendar:
        if isinstance(start, str):
            start = dt.datetime.fromisoformat(start)
        if not isinstance(start, dt.datetime):
            start = dt.datetime(start.year, start.month, start.day)
        start = start.replace(tzinfo=None)
        bounds = []
        moy = []
        for k in range(months + 14):
            y, m = divmod(start.month - 1 + k, 12)
            year, month = start.year + y, m + 1
            last = _month_len(year, month)
            b = start.replace(year=year, month=month, day=min(start.day, last))
            bounds.append(_epoch(b))
            moy.append(month)
        return cls(start, months, np.array(bounds), np.array(moy[:-1]))

    @property
    def t0(self) -> float:
        return float(self.bounds[0])

    @property
    def t_end(self) -> float:
        """First instant after the data (exclusive end)."""
        return float(self.bounds[self.months])

    def month_index(self, t: np.ndarray) -> np.ndarray:
        """Data-month index of each time (0 = first month)."""
        return np.searchsorted(self.bounds, t, side="right") - 1


def _month_len(year: int, month: int) -> int:
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return (nxt - dt.date(year, month, 1)).days


def _epoch(value: dt.datetime) -> float:
    return (value - dt.datetime(1970, 1, 1)).total_seconds()


def add_months(t: np.ndarray, k: np.ndarray | int) -> np.ndarray:
    """Calendar month addition on float epoch seconds (Jan 31 + 1 month = Feb 28/29).

    The day of month is clipped to the target month's length and the time of day is kept, the
    way billing systems renew a monthly plan.
    """
    secs = np.floor(t).astype("int64")
    days = secs // 86_400
    tod = secs - days * 86_400
    d64 = days.astype("datetime64[D]")
    m64 = d64.astype("datetime64[M]")
    dom = (d64 - m64.astype("datetime64[D]")).astype("int64")
    target = m64 + np.asarray(k, dtype="int64")
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype("int64")
    new_days = target.astype("datetime64[D]").astype("int64") + np.minimum(dom, length - 1)
    return (new_days * 86_400 + tod).astype("float64")


def abs_month(t: np.ndarray) -> np.ndarray:
    """Absolute calendar month number (months since 1970-01) of epoch seconds."""
    days = np.floor(t / DAY).astype("int64").astype("datetime64[D]")
    return days.astype("datetime64[M]").astype("int64")


def timestamps(t: np.ndarray) -> pa.Array:
    """Epoch seconds → Arrow ``timestamp[us]`` (naive UTC, whole seconds); NaN/inf → null."""
    t = np.asarray(t, dtype="float64")
    missing = ~np.isfinite(t)
    secs = np.where(missing, 0, np.floor(np.where(missing, 0.0, t))).astype("int64")
    values = secs.astype("datetime64[s]").astype("datetime64[us]")
    return pa.array(values, mask=missing if missing.any() else None)


def money(x: np.ndarray) -> pa.Array:
    """Money as float rounded to cents."""
    return pa.array(np.round(np.asarray(x, dtype="float64"), 2))


def id_width(n: int, min_width: int) -> int:
    """Digits of the identifiers of a table with ``n`` rows (grows so ids stay unique)."""
    return max(min_width, len(str(max(n, 1))))


def format_ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """``prefix`` + zero-padded ``numbers``, written digit by digit straight into an Arrow
    buffer (ten million identifiers in a fraction of a second; no Python string per row)."""
    head = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    row = len(head) + width
    numbers = np.asarray(numbers)
    n = len(numbers)
    buf = np.empty((n, row), dtype=np.uint8)
    buf[:, : len(head)] = head
    small = n == 0 or int(numbers.max()) < 2**32
    rest = numbers.astype(np.uint32 if small else np.uint64)
    for col in range(row - 1, len(head) - 1, -1):
        quotient = rest // 10
        buf[:, col] = (rest - quotient * 10).astype(np.uint8) + 48
        rest = quotient
    if n * row < 2**31:
        offsets = np.arange(0, n * row + 1, row, dtype=np.int32)
        return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(buf))
    offsets64 = np.arange(0, n * row + 1, row, dtype=np.int64)
    large = pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets64), pa.py_buffer(buf))
    return large.cast(pa.string())


def make_ids(prefix: str, n: int, min_width: int) -> pa.Array:
    """Identifiers ``prefix`` + 1 … n, zero-padded to :func:`id_width` digits."""
    return format_ids(prefix, np.arange(1, n + 1, dtype=np.int64), id_width(n, min_width))


def labels(codes: np.ndarray, names: tuple[str, ...] | list[str]) -> pa.Array:
    """Integer codes → string column (code −1 → null)."""
    codes = np.asarray(codes)
    mask = codes < 0
    idx = pa.array(np.where(mask, 0, codes).astype(np.int32), mask=mask if mask.any() else None)
    return pa.array(list(names), type=pa.string()).take(idx)


def segment_starts(counts: np.ndarray) -> np.ndarray:
    """Offsets of each segment in a flat array laid out by ``np.repeat(…, counts)``."""
    starts = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    return starts


def segment_cumsum(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Cumulative sum restarting at each segment (vectorised)."""
    if len(values) == 0:
        return values.copy()
    total = np.cumsum(values)
    starts = segment_starts(counts)
    before = np.zeros(len(counts), dtype=values.dtype)
    nz = starts > 0
    before[nz] = total[starts[nz] - 1]
    return total - np.repeat(before, counts)


def choice(
    rng: np.random.Generator, weights: tuple[float, ...] | np.ndarray, size: int
) -> np.ndarray:
    """Category codes (int16) drawn with the given (unnormalised) weights.

    Inverse-CDF by counting the thresholds below each uniform draw: a few vectorised
    comparisons, several times faster than a binary search for the short weight lists used here.
    """
    w = np.asarray(weights, dtype="float64")
    cdf = np.cumsum(w / w.sum())
    u = rng.random(size)
    codes = np.zeros(size, dtype=np.int16)
    for threshold in cdf[:-1]:
        codes += u >= threshold
    return codes
