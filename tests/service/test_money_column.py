"""``serialize.money_column``: one table column of money amounts in one format — whole units
only when every known amount is 10,000 or more in size (as ``fmt_value`` shows one alone),
otherwise cents on every row."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from retentionkit.service.serialize import fmt_value, money_column

amounts = st.one_of(
    st.none(),
    st.just(math.nan),
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False),
)


def test_a_mixed_column_shows_cents_on_every_row() -> None:
    assert money_column([13867.4, 9047.46, None, 250]) == ["13,867.40", "9,047.46", "–", "250.00"]
    assert money_column([13867.4, 20000], "EUR") == ["13,867 EUR", "20,000 EUR"]
    assert money_column([]) == []


@given(st.lists(amounts, max_size=30), st.sampled_from(["", "EUR"]))
def test_one_format_per_column(values: list[float | None], currency: str) -> None:
    shown = money_column(values, currency)
    assert len(shown) == len(values)
    known = [v for v in values if v is not None and not math.isnan(v)]
    whole = all(abs(v) >= 10000 for v in known)
    for value, text in zip(values, shown, strict=True):
        if value is None or math.isnan(value):
            assert text == "–"
            continue
        number = text.removesuffix(f" {currency}") if currency else text
        assert ("." in number) is not whole  # every row alike: all cents, or none
        assert math.isclose(float(number.replace(",", "")), value, abs_tol=0.5 if whole else 0.005)
        if whole:  # a column of large amounts reads as each amount would alone
            assert text == fmt_value(value, "money", currency)


@given(
    st.floats(min_value=-0.01, max_value=0.01, allow_nan=False),
    st.sampled_from(["money", "count", "%", "score", "days", "ratio"]),
)
def test_no_negative_zero(value: float, unit: str) -> None:
    """A negative amount that rounds to zero (and IEEE's −0.0) shows as zero, unsigned."""
    for text in (fmt_value(value, unit, "EUR"), *money_column([value, -0.0])):
        assert not (text.startswith("-") and not any(c in "123456789" for c in text)), text
    assert fmt_value(-0.0, "money") == "0.00"
    assert fmt_value(-0.004, "%") == "0.0%"
    assert fmt_value(-0.05, "money") == "-0.05"


def test_a_table_cell_has_no_negative_zero() -> None:
    from retentionkit.service.serialize import fmt_cell

    assert [fmt_cell(v) for v in (-0.0, -0.004, -0.0004, -0.5)] == [
        "0.00",
        "0.00",
        "-0.0004",
        "-0.50",
    ]
