"""CSV injection (formula injection) defence, the OWASP rule.

A spreadsheet opening a CSV runs a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return as a formula (OWASP, "CSV Injection"). Text cells starting with one of them get
a leading single quote, which spreadsheets show as text and never evaluate; the CSV writer's own
quoting handles the separators and quotes inside. Numbers (numeric columns, and text that is
just a number such as ``-12.5``) are left alone. ``--raw`` on the CLI writes cells verbatim.
"""

from __future__ import annotations

import re
from typing import IO, Any

import pandas as pd

__all__ = ["FORMULA_STARTS", "neutralise", "neutralise_frame", "write_csv"]

#: First characters that make a spreadsheet evaluate a cell (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralise(value: Any) -> Any:
    """One cell: text starting like a formula gets a leading ``'``; anything else unchanged."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell passed through :func:`neutralise` (and the
    column names too: a header cell is a cell)."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if column.dtype == object or pd.api.types.is_string_dtype(column):
            out[name] = column.map(neutralise)
    out.columns = [neutralise(str(c)) if isinstance(c, str) else c for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, target: IO[str], *, raw: bool = False) -> None:
    """Write ``frame`` as CSV (no index) to ``target``; formulas neutralised unless ``raw``."""
    (frame if raw else neutralise_frame(frame)).to_csv(target, index=False)
