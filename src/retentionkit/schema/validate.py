"""Turn a raw frame into a canonical one: map columns, parse each by its kind, check the rules.

Every refusal is one :class:`~retentionkit.errors.InputError` sentence naming the file, the line
(1-based, as an editor shows it), the column, the bad value and what was expected. Parsing is
vectorised: the first failing row is found with a mask, never with a Python loop over rows.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from retentionkit.config import Settings
from retentionkit.errors import ConfigError, InputError
from retentionkit.schema import money
from retentionkit.schema.common import NA_STRINGS, IngestOptions
from retentionkit.schema.contracts import Column, ColumnKind, TableContract
from retentionkit.schema.readers import SourceFrame

#: A UTC offset after a time of day: ``…12:00Z``, ``…12:00:00+02:00``, ``…12:00-0500``. A bare
#: date such as ``15-01-2024`` never counts as one.
_OFFSET_RE = r"\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$"

#: Integers stay below 2**53 so that sums and means computed in float64 later stay exact.
INTEGER_LIMIT = 2**53
INTEGER_LIMIT_TEXT = "a whole number below 9,007,199,254,740,992"

TIME_EXAMPLE = "a date or time such as 2024-03-31 or 2024-03-31 14:05:00"


def show_value(value: Any) -> str:
    text = str(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def _fail(src: SourceFrame, position: int, column: str, value: Any, expected: str) -> InputError:
    return InputError(
        f"{src.label}, {src.where(position)}, column {src.column(column)}: {show_value(value)} is "
        f"not valid; "
        f"expected {expected}."
    )


def _missing_mask(series: pd.Series) -> pd.Series:
    if series.dtype == object or pd.api.types.is_string_dtype(series):
        stripped = series.astype("string").str.strip()
        return series.isna() | stripped.isin(NA_STRINGS).fillna(True)
    return series.isna()


def _first(mask: pd.Series | np.ndarray) -> int | None:
    arr = np.asarray(mask, dtype=bool)
    hits = np.flatnonzero(arr)
    return int(hits[0]) if hits.size else None


def apply_mapping(
    src: SourceFrame, contract: TableContract, options: IngestOptions, settings: Settings
) -> pd.DataFrame:
    """Rename user columns to canonical ones (config mapping, then ``--map``) and add
    ``--set`` constants."""
    frame = src.frame
    mapping = dict(settings.mapping.get(contract.name, {}))
    mapping.update(options.mapping)
    present = set(frame.columns)
    for source in options.mapping:
        if source not in present:
            raise InputError(
                f"{src.label}: column {source!r} named in --map is not in the file "
                f"(columns: {', '.join(map(str, frame.columns))})."
            )
    mapping = {s: t for s, t in mapping.items() if s in present}
    for source, target in mapping.items():
        if not str(target).strip():
            raise InputError(f"{src.label}: --map {source}= needs a target column name.")
    renamed = frame.rename(columns=mapping)
    # case-insensitive match of canonical names (CustomerId → customer_id is left to --map)
    lower = {str(c).lower(): c for c in renamed.columns}
    auto = {lower[n]: n for n in contract.names if n not in renamed.columns and n in lower}
    renamed = renamed.rename(columns=auto)
    src.renamed = {t: str(s) for s, t in {**mapping, **auto}.items()}
    dupes = renamed.columns[renamed.columns.duplicated()].tolist()
    if dupes:
        raise InputError(f"{src.label}: more than one column maps to {dupes[0]!r}; check --map.")
    for name, value in options.constants.items():
        renamed[name] = value
    return renamed


def check_required(src: SourceFrame, frame: pd.DataFrame, required: list[str], table: str) -> None:
    for name in required:
        if name not in frame.columns:
            found = ", ".join(map(str, frame.columns)) or "none"
            raise InputError(
                f"{src.label}: required column {name!r} is missing for table {table} "
                f"(columns found: {found}); map yours with --map SOURCE={name}."
            )


def parse_column(
    src: SourceFrame,
    series: pd.Series,
    column: Column,
    options: IngestOptions,
    settings: Settings,
    table: str,
) -> pd.Series:
    """Parse one column by its kind; the first bad value raises an InputError."""
    missing = _missing_mask(series)
    if column.required:
        pos = _first(missing)
        if pos is not None:
            raise InputError(
                f"{src.label}, {src.where(pos)}, column {src.column(column.name)}: is empty; "
                f"every row of {table} needs a {column.name}."
            )
    parser = _PARSERS[column.kind]
    return parser(src, series, missing, column, options, settings)


def _parse_text(
    src: SourceFrame,
    series: pd.Series,
    missing: pd.Series,
    column: Column,
    options: IngestOptions,
    settings: Settings,
) -> pd.Series:
    out = series.astype("string").str.strip()
    if pd.api.types.is_float_dtype(series):
        # numbers given as ids in a typed frame: 12.0 → "12"
        as_int = series.dropna()
        if (as_int == np.floor(as_int)).all():
            out = series.astype("Int64").astype("string")
    out = out.mask(missing)
    return out.astype(object).where(out.notna(), None)


def _parse_number(
    src: SourceFrame,
    series: pd.Series,
    missing: pd.Series,
    column: Column,
    options: IngestOptions,
    settings: Settings,
    *,
    integer: bool = False,
) -> pd.Series:
    """Integers (``int64``, below 2**53 so every later float step stays exact) and plain
    numbers (``float64``). Money has its own exact parser, :func:`_parse_money`."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.astype("float64")
    else:
        text = series.astype("string").str.strip().mask(missing)
        values = pd.to_numeric(text, errors="coerce").astype("float64")
        bad = values.isna() & ~missing
        pos = _first(bad)
        if pos is not None:
            kind = "a whole number" if integer else "a number (digits with a '.' decimal point)"
            raise _fail(src, pos, column.name, series.iloc[pos], kind)
    bad_inf = ~np.isfinite(values.fillna(0.0))
    pos = _first(bad_inf)
    if pos is not None:
        raise _fail(src, pos, column.name, series.iloc[pos], "a finite number")
    if integer:
        pos = _first(values.abs() >= INTEGER_LIMIT)
        if pos is not None:
            raise _fail(src, pos, column.name, series.iloc[pos], INTEGER_LIMIT_TEXT)
        frac = values.notna() & (values != np.floor(values.fillna(0)))
        pos = _first(frac)
        if pos is not None:
            raise _fail(src, pos, column.name, series.iloc[pos], "a whole number")
        return values.astype("Int64")
    return values


def _parse_money(
    src: SourceFrame,
    series: pd.Series,
    missing: pd.Series,
    column: Column,
    options: IngestOptions,
    settings: Settings,
) -> pd.Series:
    """Money as exact scaled integers (units of 0.0001, :mod:`retentionkit.schema.money`):
    text digit by digit, never through a float; the documented maximum fits, beyond it is
    refused."""
    if pd.api.types.is_bool_dtype(series):
        raise _fail(src, 0, column.name, series.iloc[0], "an amount, not true/false")
    if pd.api.types.is_numeric_dtype(series):
        values = series.astype("float64")
        pos = _first(~np.isfinite(values.fillna(0.0)))
        if pos is not None:
            raise _fail(src, pos, column.name, series.iloc[pos], "a finite number")
        units, big = money.float_units(values)
        bad = pd.Series(False, index=series.index)
    elif series.dtype == object and series.map(lambda v: isinstance(v, Decimal)).any():
        text = series.map(lambda v: None if v is None or pd.isna(v) else str(v)).astype("string")
        units, bad, big = money.parse_units(text.str.strip().mask(missing))
    else:
        text = series.astype("string").str.strip().mask(missing)
        units, bad, big = money.parse_units(text)
    pos = _first(bad)
    if pos is not None:
        raise _fail(
            src, pos, column.name, series.iloc[pos], "a number (digits with a '.' decimal point)"
        )
    pos = _first(big)
    if pos is not None:
        raise _fail(src, pos, column.name, series.iloc[pos], money.LIMIT_TEXT)
    return units


def _parse_integer(*args: Any) -> pd.Series:
    return _parse_number(*args, integer=True)


def _parse_timestamp(
    src: SourceFrame,
    series: pd.Series,
    missing: pd.Series,
    column: Column,
    options: IngestOptions,
    settings: Settings,
) -> pd.Series:
    zone = options.timezone or settings.timezone
    if pd.api.types.is_datetime64_any_dtype(series):
        parsed = series
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
        else:
            parsed = _localize(parsed, zone)
        return _check_plausible(src, series, parsed.astype("datetime64[us]"), column, settings)
    if options.date_format:
        check_date_format(options.date_format)
    text = series.astype("string").str.strip().mask(missing)
    fmt = options.date_format
    if fmt:
        aware_format = "%z" in fmt or "%Z" in fmt
        has_offset = pd.Series(aware_format, index=series.index) & ~missing
    else:
        has_offset = text.str.contains(_OFFSET_RE, regex=True, na=False)
    result = pd.Series(pd.NaT, index=series.index, dtype="datetime64[us]")
    for aware, part in ((False, text[~has_offset & ~missing]), (True, text[has_offset])):
        if part.empty:
            continue
        parsed = _to_datetime(part, fmt, aware)
        bad = parsed.isna()
        pos = _first(bad)
        if pos is not None:
            index = part.index[pos]
            where = series.index.get_loc(index)
            expected = (
                f"a date/time in the format {fmt}"
                if fmt
                else (f"{TIME_EXAMPLE} (or give --date-format)")
            )
            raise _fail(src, where, column.name, series.loc[index], expected)
        if aware:
            parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
        else:
            parsed = _localize(parsed, zone)
        result.loc[part.index] = parsed.astype("datetime64[us]")
    return _check_plausible(src, series, result, column, settings)


def _check_plausible(
    src: SourceFrame, series: pd.Series, parsed: pd.Series, column: Column, settings: Settings
) -> pd.Series:
    """Timestamps lie in [earliest_timestamp, latest_timestamp) of the settings (default
    1900-01-01 to 2200-01-01, UTC): no BC dates, no year 9999 that breaks every later date
    computation (docs/data.md)."""
    lo = np.datetime64(settings.earliest_timestamp, "us")
    hi = np.datetime64(settings.latest_timestamp, "us")
    values = parsed.to_numpy(dtype="datetime64[us]")
    present = ~np.isnat(values)
    outside = present & ((values < lo) | (values >= hi))
    pos = _first(outside)
    if pos is not None:
        raise _fail(
            src,
            pos,
            column.name,
            series.iloc[pos],
            f"a time from {settings.earliest_timestamp:%Y-%m-%d} up to "
            f"{settings.latest_timestamp:%Y-%m-%d} (widen earliest_timestamp / "
            "latest_timestamp in retentionkit.toml for other dates)",
        )
    return parsed


def check_date_format(fmt: str) -> str:
    """A ``--date-format`` must be a strftime pattern pandas can use: at least one directive,
    none unknown or repeated; otherwise one :class:`ConfigError` sentence."""
    hint = "e.g. %Y%m%d or %d/%m/%Y %H:%M"
    if "%" not in fmt or len(fmt) > 100:
        raise ConfigError(f"--date-format {fmt!r} is not a strftime format; {hint}.")
    try:
        pd.to_datetime(pd.Series(["2000-01-01"]), format=fmt, errors="coerce")
    except Exception as exc:  # pandas raises ValueError, re.error … for a broken pattern
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(
            f"--date-format {fmt!r} is not a valid strftime format ({reason}); {hint}."
        ) from None
    return fmt


def _to_datetime(text: pd.Series, fmt: str | None, aware: bool) -> pd.Series:
    if fmt:
        try:
            return pd.to_datetime(text, format=fmt, errors="coerce", utc=aware)
        except (ValueError, OverflowError):  # e.g. a value beyond the datetime range
            return pd.Series(pd.NaT, index=text.index, dtype="datetime64[us]").dt.tz_localize(
                "UTC" if aware else None
            )
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=aware)
    if parsed.isna().any():
        # YYYYMMDD (as in CDNOW) and other unambiguous forms pandas can infer
        rest = text[parsed.isna()]
        if rest.str.fullmatch(r"\d{8}").all():
            parsed.loc[rest.index] = pd.to_datetime(rest, format="%Y%m%d", errors="coerce")
    return parsed


def _localize(parsed: pd.Series, zone: str) -> pd.Series:
    if zone == "UTC":
        return parsed
    return (
        parsed.dt.tz_localize(zone, ambiguous=False, nonexistent="shift_forward")
        .dt.tz_convert("UTC")
        .dt.tz_localize(None)
    )


_PARSERS: dict[ColumnKind, Any] = {
    "id": _parse_text,
    "text": _parse_text,
    "timestamp": _parse_timestamp,
    "money": _parse_money,
    "integer": _parse_integer,
    "number": _parse_number,
}


def parse_extra(series: pd.Series) -> tuple[pd.Series, str]:
    """An extra attribute column: a number when every present value parses as one, else text."""
    if pd.api.types.is_bool_dtype(series):
        return series.astype("string").astype(object), "string"
    if pd.api.types.is_numeric_dtype(series):
        return series.astype("float64"), "float64"
    if pd.api.types.is_datetime64_any_dtype(series):
        return series.astype("string").astype(object), "string"
    missing = _missing_mask(series)
    text = series.astype("string").str.strip().mask(missing)
    numbers = pd.to_numeric(text, errors="coerce")
    # codes such as zip "00950" or "007" stay text: a number would lose the zeros
    leading_zero = text.str.match(r"^[+-]?0\d", na=False).any()
    if (numbers.notna() | missing).all() and (~missing).any() and not leading_zero:
        return numbers.astype("float64"), "float64"
    return text.astype(object).where(text.notna(), None), "string"
