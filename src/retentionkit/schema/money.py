"""Exact money: amounts travel as scaled integers (units of 0.0001) from the file to the store.

``decimal(18, 4)`` (docs/data.md) holds up to 99,999,999,999,999.9999, i.e.
999,999,999,999,999,999 units of 0.0001 — inside int64 (9.2e18). Text is parsed digit by digit
(never through a float), extra decimals are rounded half-to-even (like SQL ``ROUND`` on a
decimal and NumPy), and the scaled integers become Arrow ``decimal128(18, 4)`` without any
arithmetic, so 12345678901234.5678 is stored as written.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation

import numpy as np
import pandas as pd

from retentionkit.schema.contracts import MONEY_DIGITS

#: Units per currency unit (4 decimals).
SCALE = 10**MONEY_DIGITS
#: Largest storable amount in units: 99,999,999,999,999.9999.
MAX_UNITS = 10**18 - 1
#: How the limit reads in messages.
LIMIT_TEXT = "an amount between -99,999,999,999,999.9999 and 99,999,999,999,999.9999"

# Plain decimals with at most 4 decimals and at most 14 integer digits are parsed vectorised;
# everything else (exponents, more decimals, larger values) goes through Decimal row by row.
_SIMPLE = r"^([+-]?)(\d{1,14})(?:\.(\d{0,4}))?$|^([+-]?)\.(\d{1,4})$"
_QUANTUM = Decimal("0.0001")
#: Room for every value that reaches the quantize (≤ 21 integer digits + 4 decimals).
_WIDE = Context(prec=60)


def parse_units(text: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parse stripped text (missing values as ``<NA>``) to scaled integers.

    Returns ``(units, not_a_number, out_of_range)``: ``units`` is ``Int64`` (``<NA>`` where
    missing or bad); the masks flag values that are not decimal numbers and values beyond
    :data:`MAX_UNITS`."""
    present = text.notna()
    units = np.zeros(len(text), dtype=np.int64)
    bad = np.zeros(len(text), dtype=bool)
    big = np.zeros(len(text), dtype=bool)
    parts = text.str.extract(_SIMPLE)
    simple = parts[1].notna() | parts[4].notna()
    if simple.any():
        sign = parts[0].fillna(parts[3]).fillna("")
        whole = parts[1].fillna("0").where(simple, "0").astype("int64")
        frac = parts[2].fillna(parts[4]).fillna("").where(simple, "")
        frac_units = frac.str.ljust(4, "0").replace("", "0000").astype("int64")
        value = whole.to_numpy() * SCALE + frac_units.to_numpy()
        value = np.where(sign.to_numpy() == "-", -value, value)
        units = np.where(simple.to_numpy(), value, units)
    rest = np.flatnonzero((present & ~simple).to_numpy())
    for pos in rest:
        parsed = decimal_units(str(text.iloc[pos]))
        if parsed is None:
            bad[pos] = True
        elif abs(parsed) > MAX_UNITS:
            big[pos] = True
        else:
            units[pos] = parsed
    result = pd.Series(units, index=text.index, dtype="Int64")
    result = result.mask(~present | pd.Series(bad | big, index=text.index))
    return result, pd.Series(bad, index=text.index), pd.Series(big, index=text.index)


def decimal_units(text: str) -> int | None:
    """One amount as scaled integer (rounded half-to-even to 4 decimals); None when ``text``
    is not a finite decimal number."""
    try:
        value = Decimal(text.replace("_", "x"))  # Decimal accepts "1_000"; we do not
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite():
        return None
    if value.adjusted() > 20:  # far beyond any limit; do not build a huge integer (and a
        # quantize to 4 decimals of a 25+ digit number exceeds Decimal's 28-digit precision)
        return (MAX_UNITS + 1) * (1 if value > 0 else -1)
    return int(value.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN, context=_WIDE).scaleb(4))


def float_units(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Scaled integers from a numeric column of a typed frame, through each value's shortest
    round-trip text (``0.1`` → 1,000 units, not 999.99…). Returns ``(units, out_of_range)``."""
    floats = values.astype("float64").to_numpy()
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = np.rint(floats * SCALE)
        # fast path: a float that is the nearest double to a 4-decimal amount of moderate size
        fast = (np.abs(floats) < 9e11) & (scaled / SCALE == floats)
    raw = np.where(fast, scaled, 0).astype(np.int64)
    missing = np.isnan(floats)
    big = np.zeros(len(floats), dtype=bool)
    slow = np.flatnonzero(~fast & ~missing)
    if slow.size:
        text = pd.Series([repr(float(floats[i])) for i in slow], dtype="string")
        slow_units, _, slow_big = parse_units(text)
        raw[slow] = slow_units.fillna(0).to_numpy(dtype=np.int64)
        big[slow] = slow_big.to_numpy()
    units = pd.Series(raw, index=values.index).astype("Int64")
    units = units.mask(pd.Series(missing | big, index=values.index))
    big = pd.Series(big, index=values.index)
    return units, big


def to_arrow(units: pd.Series) -> object:
    """Scaled integers → an Arrow ``decimal128(18, 4)`` array, bit for bit (no arithmetic)."""
    import pyarrow as pa

    values = units.astype("Int64")
    valid = values.notna().to_numpy()
    low = values.fillna(0).to_numpy(dtype=np.int64)
    words = np.empty((len(low), 2), dtype=np.int64)
    words[:, 0] = low
    words[:, 1] = np.where(low < 0, -1, 0)  # two's-complement sign extension to 128 bits
    mask = pa.array(valid, type=pa.bool_()).buffers()[1] if not valid.all() else None
    return pa.Array.from_buffers(
        pa.decimal128(18, 4),
        len(low),
        [mask, pa.py_buffer(words.tobytes())],
        null_count=int((~valid).sum()),
    )


def units_to_decimal(units: int) -> Decimal:
    """A scaled integer as the Decimal it stands for (for messages and tests)."""
    return Decimal(units).scaleb(-4)
