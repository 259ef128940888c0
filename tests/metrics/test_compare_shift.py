"""A period's value does not depend on the range it was computed in, so a comparison read from
one frame (:func:`retentionkit.metrics.engine.attach_comparison`, what the overview's
year-on-year card uses) equals the engine's ``compare`` request extended back. Checked for
every metric the workspaces allow, both customer definitions, several period lengths and
windows, on three generated businesses, against the request the overview used to make."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from retentionkit.metrics import registry
from retentionkit.metrics.engine import attach_comparison, compute_metrics
from retentionkit.metrics.periods import PERIODS_PER_YEAR, shift


def _same(a: object, b: object) -> bool:
    def missing(v: object) -> bool:
        return v is None or (isinstance(v, float) and math.isnan(v))

    if missing(a) or missing(b):
        return missing(a) and missing(b)
    assert isinstance(a, (int, float)) and isinstance(b, (int, float))
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _key(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index(["metric", "segment", "period_start"])


def _cases() -> list[object]:
    """(workspace, period, customer definition): contractual only where there are
    subscriptions (the e-commerce shop has none); the longer periods are marked slow."""
    cases = []
    for fixture, definitions in (
        ("business_ws", ("activity", "contractual")),
        ("saas_ws", ("activity", "contractual")),
        ("shop_ws", ("activity",)),
    ):
        for period in ("month", "quarter", "week"):
            for definition in definitions:
                marks = () if period == "month" else (pytest.mark.slow,)
                cases.append(pytest.param(fixture, period, definition, marks=marks))
    return cases


@pytest.mark.parametrize(("fixture", "period", "definition"), _cases())
def test_year_from_one_frame_equals_the_year_request(request, fixture, period, definition):
    ws, _ = request.getfixturevalue(fixture)
    names = registry.applicable_metrics(set(ws.tables()), definition)
    back = PERIODS_PER_YEAR[period]
    whole = compute_metrics(
        ws, names, period=period, compare="previous", customer_definition=definition
    )
    derived = _key(attach_comparison(whole, period, back))
    for last in (2, 3):
        year = compute_metrics(
            ws, names, period=period, compare="year", last=last, customer_definition=definition
        )
        assert len(year)
        compared = 0
        for key, row in _key(year).iterrows():
            got = derived.loc[key]
            assert _same(got["compare_value"], row["compare_value"]), (key, got, row)
            assert _same(got["delta"], row["delta"]), key
            compared += not pd.isna(row["compare_value"])
        assert compared, "no period had a value a year before: the check would be empty"


def test_previous_is_the_frames_own_period_before(business_ws):
    """compare="previous" is attach_comparison with back = 1 on the very same frame."""
    ws, _ = business_ws
    frame = compute_metrics(ws, ["revenue", "crr", "nps"], compare="previous")
    again = attach_comparison(frame.drop(columns=["compare_value", "delta"]), "month", 1)
    for (key, a), (_, b) in zip(_key(frame).iterrows(), _key(again).iterrows(), strict=True):
        assert _same(a["compare_value"], b["compare_value"]), key
        assert _same(a["delta"], b["delta"]), key


def test_a_period_before_the_frame_compares_to_nothing():
    frame = pd.DataFrame(
        {
            "metric": ["revenue"] * 3,
            "segment": ["all"] * 3,
            "period_start": pd.to_datetime(["2024-01-01", "2024-02-01", "2025-01-01"]),
            "value": [10.0, None, 25.0],
        }
    )
    frame["value"] = frame["value"].astype(object).where(frame["value"].notna(), None)

    def column(out: pd.DataFrame, name: str, want: list[float | None]) -> bool:
        return all(_same(a, b) for a, b in zip(out[name].tolist(), want, strict=True))

    out = attach_comparison(frame, "month", 12)
    assert column(out, "compare_value", [None, None, 10.0])
    assert column(out, "delta", [None, None, 15.0])
    prev = attach_comparison(frame, "month", 1)
    assert column(prev, "compare_value", [None, 10.0, None])
    assert column(prev, "delta", [None, None, None])
    assert shift(pd.Timestamp("2025-01-01"), "month", -12) == pd.Timestamp("2024-01-01")
