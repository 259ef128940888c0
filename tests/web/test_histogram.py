"""Histograms are counted on the server (docs/dashboard.md, "Histograms"): the page carries the
counts of about ``nbins`` bins, never the values — a million customers' CLVs were a 41 MB page.
Checked against an independent count (``bisect`` over the edges) with Hypothesis."""

from __future__ import annotations

import bisect
import json
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from retentionkit.pages import charts

finite = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)
anything = st.one_of(finite, st.none(), st.just(math.nan), st.just(math.inf), st.just(-math.inf))


def count_by_bisect(values: list[float], edges: list[float]) -> list[int]:
    """Independent count: bin i holds [edges[i], edges[i+1]), the last also its right edge."""
    counts = [0] * (len(edges) - 1)
    for v in values:
        i = bisect.bisect_right(edges, v) - 1
        if i == len(counts) and v == edges[-1]:
            i -= 1
        assert 0 <= i < len(counts), (v, edges[0], edges[-1])
        counts[i] += 1
    return counts


@settings(max_examples=300, deadline=None)
@given(st.lists(anything, max_size=200), st.integers(min_value=1, max_value=60))
def test_every_finite_value_is_counted_once_in_its_bin(values: list, nbins: int) -> None:
    kept = [float(v) for v in values if v is not None and math.isfinite(v)]
    edges, counts = charts.histogram_bins(values, nbins)
    if not kept:
        assert (edges, counts) == ([], [])
        return
    assert sum(counts) == len(kept)
    assert len(edges) == len(counts) + 1
    assert edges[0] <= min(kept) and edges[-1] >= max(kept)
    assert counts == count_by_bisect(kept, edges)
    if len(set(kept)) > 1:
        widths = np.diff(edges)
        assert np.allclose(widths, widths[0], rtol=1e-9)
        # a nice width (1, 2, 2.5 or 5 × 10^k) and about nbins bins, never more than twice
        mantissa = widths[0] / 10 ** math.floor(math.log10(widths[0]))
        assert min(abs(mantissa - m) for m in (1, 2, 2.5, 5, 10)) < 1e-6
        assert len(counts) <= 2 * nbins + 2


def test_constant_values_make_one_bin_around_them() -> None:
    assert charts.histogram_bins([7.0, 7.0, 7.0]) == ([6.5, 7.5], [3])
    assert charts.histogram_bins([0, 0]) == ([-0.5, 0.5], [2])
    # values apart only by rounding (or a subnormal) are one value, not 40 empty bins
    assert charts.histogram_bins([0.0, 5e-324]) == ([-0.5, 0.5], [2])
    assert charts.histogram_bins([1.0, 1.0 + 2e-16])[1] == [2]
    # found by Hypothesis in the full run: a tiny negative next to 0
    edges, counts = charts.histogram_bins([0.0, -1.1371227343997542e-213])
    assert counts == [2] and edges[0] <= -1.1371227343997542e-213 and edges[1] >= 0.0


def test_edges_fall_on_multiples_of_the_width() -> None:
    edges, counts = charts.histogram_bins([0.01, 0.5, 0.99, 1.0], nbins=20)
    assert edges[0] == 0.0 and edges[-1] == 1.0 and len(counts) == 20
    assert counts[0] == 1 and counts[10] == 1 and counts[-1] == 2  # 1.0 closes the last bin


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=50))
def test_any_floats_at_all_are_binned_without_an_error(values: list[float]) -> None:
    kept = [v for v in values if math.isfinite(v)]
    edges, counts = charts.histogram_bins(values)
    assert sum(counts) == len(kept)
    assert all(math.isfinite(e) for e in edges)
    if kept:
        assert edges[0] <= min(kept) and edges[-1] >= max(kept)


def test_a_million_values_make_a_small_figure() -> None:
    values = np.random.default_rng(3).lognormal(3, 1.2, 1_000_000)
    fig = charts.histogram("CLV", values, nbins=40, unit="money")
    trace = fig["data"][0]
    assert trace["type"] == "bar" and sum(trace["y"]) == 1_000_000
    assert len(json.dumps(fig)) < 12_000
    assert trace["customdata"][0].startswith("0.00 to ")
    assert "%{customdata}" in trace["hovertemplate"]


def test_no_finite_value_says_so_instead_of_empty_axes() -> None:
    fig = charts.histogram("Risk", [None, math.nan])
    assert fig["data"][0]["y"] == []
    assert fig["layout"]["annotations"][0]["text"] == charts.NO_VALUES_NOTE
