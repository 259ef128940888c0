"""Serialisation in one place: JSON, records, CSV and the number formatting every face uses.

* :func:`frame_records` / :func:`dump_json` — what ``--format json`` prints and the REST API
  returns: NaN/inf become ``null``, dates ISO 8601 (``YYYY-MM-DD`` for the metric period bounds
  and cohort starts, full ISO timestamps elsewhere), numpy scalars plain numbers.
* :func:`flat_frame` — what ``--format csv`` writes: a nested ``components`` dict (or any dict
  column) becomes one column per key named ``components.<key>`` (e.g. ``components.start``,
  ``components.lost``); lists are joined with ``" | "``.
* :func:`fmt_value` / :func:`fmt_delta` — a KPI value or change as text by its registry unit
  (``%`` one decimal, counts without decimals, money two decimals …). The CLI's metrics table
  and the dashboard cards both call them, so a percentage reads the same on both faces.
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import json
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "FLAT_SEPARATOR",
    "clean_json",
    "dump_json",
    "flat_frame",
    "flatten_record",
    "fmt_delta",
    "fmt_value",
    "frame_csv",
    "frame_records",
    "money_column",
    "number",
    "records_json",
    "to_frame",
]

#: Joins a dict column and its key in CSV headers: ``components.start``.
FLAT_SEPARATOR = "."
#: Joins list cells (e.g. churn reasons) in CSV and tables.
LIST_SEPARATOR = " | "
#: Columns holding period or cohort starts: written as ``YYYY-MM-DD`` (no time of day).
DATE_COLUMNS = ("period_start", "period_end", "cohort")


# --------------------------------------------------------------------------- JSON
def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def clean_json(value: Any) -> Any:
    """Replace NaN/inf by None recursively so JSON output never carries NaN."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dict):
        return {k: clean_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_json(v) for v in value]
    return value


def dump_json(value: Any) -> str:
    """``value`` as indented JSON text (NaN → null, dates ISO, numpy scalars as numbers)."""
    return json.dumps(
        clean_json(value), default=_json_default, indent=2, allow_nan=False, ensure_ascii=False
    )


def _dates_as_days(frame: pd.DataFrame) -> pd.DataFrame:
    present = [c for c in DATE_COLUMNS if c in frame.columns]
    if not present:
        return frame
    out = frame.copy()
    for col in present:
        if hasattr(out[col], "dt"):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
    return out


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame → list of plain dicts: period/cohort starts as ``YYYY-MM-DD``, other
    timestamps ISO, no NaN."""
    rows = _dates_as_days(frame).to_dict(orient="records")
    return clean_json([_json_row(rec, days=False) for rec in rows])


def records_json(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """:func:`frame_records` of plain records (``Result.records()``: a cached answer's rows,
    without pandas): the same output for the same rows — period/cohort starts as
    ``YYYY-MM-DD``, other timestamps ISO, no NaN."""
    return clean_json([_json_row(rec, days=True) for rec in records])


def _json_row(rec: Mapping[str, Any], *, days: bool) -> dict[str, Any]:
    """One record's values for JSON: missing (None, NaN, NaT) → None, pandas timestamps ISO.
    With ``days`` (plain records, whose timestamps are datetimes) every datetime is ISO and the
    period/cohort starts (:data:`DATE_COLUMNS`) are ``YYYY-MM-DD``; a frame's are already text
    (:func:`_dates_as_days`)."""
    row: dict[str, Any] = {}
    for key, val in rec.items():
        if val is None or (isinstance(val, float) and math.isnan(val)) or _is_nat(val):
            row[key] = None
        elif days and key in DATE_COLUMNS and isinstance(val, dt.date):
            row[key] = val.strftime("%Y-%m-%d")
        elif isinstance(val, dt.datetime) and (days or type(val).__name__ == "Timestamp"):
            row[key] = val.isoformat()  # a frame's other datetimes are left to dump_json
        else:
            row[key] = val
    return row


def _is_nat(value: Any) -> bool:
    """pandas' NaT (without importing pandas)."""
    return type(value).__name__ == "NaTType"


# --------------------------------------------------------------------------- CSV
def flatten_record(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A nested dict as one flat row: ``{"components": {"start": 3}}`` →
    ``{"components.start": 3}``; lists of scalars joined with ``" | "``."""
    out: dict[str, Any] = {}
    for key, val in record.items():
        name = f"{prefix}{FLAT_SEPARATOR}{key}" if prefix else str(key)
        if isinstance(val, Mapping):
            out.update(flatten_record(val, name))
        elif isinstance(val, (list, tuple)):
            if any(isinstance(v, (Mapping, list, tuple)) for v in val):  # a nested table
                out[name] = json.dumps(
                    clean_json(list(val)), default=_json_default, separators=(",", ":")
                )
            else:
                out[name] = LIST_SEPARATOR.join(str(v) for v in val)
        else:
            out[name] = val
    return out


def flat_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every dict column spread into ``column.key`` columns and list cells
    joined, dates as in :func:`frame_records` (the ``--format csv`` layout)."""
    import pandas as pd

    nested = [
        c
        for c in frame.columns
        if frame[c].dtype == object and any(isinstance(v, (dict, list, tuple)) for v in frame[c])
    ]
    out = _dates_as_days(frame)
    if not nested:
        return out
    rows = [flatten_record(rec) for rec in out.to_dict(orient="records")]
    columns: list[str] = []
    for row in rows:  # keep the frame's column order, each dict's keys in first-seen order
        for key in row:
            if key not in columns:
                columns.append(key)
    ordered: list[str] = []
    for col in out.columns:
        ordered += [c for c in columns if c == col or c.startswith(f"{col}{FLAT_SEPARATOR}")]
    return pd.DataFrame(rows, columns=ordered or columns)


def frame_csv(frame: pd.DataFrame, *, raw: bool = False) -> str:
    """CSV text of :func:`flat_frame` (no index); text cells a spreadsheet would run as a
    formula are neutralised (:mod:`retentionkit.csv_safety`, the OWASP rule) unless ``raw``."""
    from retentionkit.csv_safety import write_csv

    buf = io.StringIO()
    write_csv(flat_frame(frame), buf, raw=raw)
    return buf.getvalue()


def to_frame(value: Any) -> pd.DataFrame:
    """Records, one record (a dict, flattened to one row) or a DataFrame as a DataFrame."""
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return value
    if isinstance(value, Mapping):
        return pd.DataFrame([flatten_record(value)])
    return pd.DataFrame(list(value))


# --------------------------------------------------------------------------- numbers
def number(value: Any) -> float | None:
    """``value`` as a finite float, else None (None, NaN, inf, text)."""
    if value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) or math.isinf(out) else out


def _no_negative_zero(text: str) -> str:
    """``-0.00`` (a negative amount that rounds to zero, or IEEE's −0.0) → ``0.00``."""
    if text.startswith("-") and not any(c in "123456789" for c in text):
        return text[1:]
    return text


def fmt_value(value: Any, unit: str, currency: str = "") -> str:
    """A KPI value as text by its registry unit: ``%`` → ``12.3%``, ``count`` → ``1,234``,
    ``money`` → ``1,234.50`` (whole units from 10,000 on, then the currency code), ``score``
    one decimal, durations with their unit; missing → ``–``; never a negative zero."""
    v = number(value)
    if v is None:
        return "–"
    return _no_negative_zero(_fmt_number(v, unit, currency))


def _fmt_number(v: float, unit: str, currency: str) -> str:
    if unit == "count":
        return f"{v:,.0f}"
    if unit == "%":
        return f"{v:.1f}%"
    if unit == "money":
        return (f"{v:,.0f}" if abs(v) >= 10000 else f"{v:,.2f}") + (
            f" {currency}" if currency else ""
        )
    if unit == "score":
        return f"{v:.1f}"
    if unit in ("days", "hours", "months"):
        return f"{v:,.1f} {unit}"
    return f"{v:,.2f}"


def money_column(values: Any, currency: str = "") -> list[str]:
    """The money amounts of one table column, all in one format: whole units when every known
    amount is 10,000 or more in size (as :func:`fmt_value` shows such an amount), otherwise
    cents on every row; missing → ``–``; never a negative zero. A column mixing ``13,867``
    and ``9,047.46`` reads as if the first amount had no cents."""
    known = [number(v) for v in values]
    whole = all(v is None or abs(v) >= 10000 for v in known)
    suffix = f" {currency}" if currency else ""
    return [
        "–" if v is None else _no_negative_zero(f"{v:,.0f}" if whole else f"{v:,.2f}") + suffix
        for v in known
    ]


def fmt_delta(delta: Any, base: Any, unit: str) -> str:
    """A change between two periods: percentage points (``pp``) for rates, points for scores,
    otherwise the absolute change and, when ``base`` is known, the relative one."""
    d = number(delta)
    if d is None:
        return "–"
    if unit in ("%", "score"):
        return f"{d:+.1f} {'pp' if unit == '%' else 'pts'}"
    b = number(base)
    rel = f" ({d / abs(b) * 100:+.1f}%)" if b not in (None, 0.0) else ""
    return (f"{d:+,.0f}" if unit == "count" else f"{d:+,.2f}") + rel


def fmt_cell(value: Any) -> str:
    """A table cell of a generic frame (no unit known): blanks for missing, two decimals for
    floats (four significant digits below 0.001; never a negative zero), lists joined."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if abs(value) < 1e-3 and value != 0:
            return f"{value:,.4g}"
        return _no_negative_zero(f"{value:,.2f}")
    if isinstance(value, (list, tuple)):
        return LIST_SEPARATOR.join(str(v) for v in value)
    return str(value)
