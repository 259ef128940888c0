"""Amount text with many digits (found by the CSV fuzz test in CI: 30 nines stopped an ingest
with "internal error: InvalidOperation", because a quantize to 4 decimals of a 25+ digit number
exceeds Decimal's default 28-digit precision). Every such text is a scaled integer or refused."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from retentionkit.schema.money import MAX_UNITS, decimal_units


@given(digits=st.integers(1, 60), decimals=st.integers(0, 40), negative=st.booleans())
def test_any_length_of_digits_is_a_number_or_out_of_range(
    digits: int, decimals: int, negative: bool
) -> None:
    text = ("-" if negative else "") + "9" * digits + ("." + "9" * decimals if decimals else "")
    units = decimal_units(text)
    assert units is not None
    exact = Decimal(text).scaleb(4)
    if abs(exact) <= MAX_UNITS:
        assert abs(units - exact) <= Decimal("0.5")  # rounded half-to-even to 4 decimals
    else:
        assert abs(units) > MAX_UNITS  # refused by the caller as out of range


def test_thirty_nines_is_out_of_range() -> None:
    units = decimal_units("9" * 30)
    assert units is not None and units > MAX_UNITS
