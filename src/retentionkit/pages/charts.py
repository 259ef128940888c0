"""Plotly figure specifications as plain dicts (no plotly Python import: the browser draws
them with the plotly.js that ships inside the plotly package).

Every text that can come from user data (segment names, attribute values) goes through
:func:`label`, which HTML-escapes it: plotly.js interprets a few tags in labels, and the escaped
form is displayed literally.
"""

from __future__ import annotations

import html
import itertools
import math
from collections.abc import Collection, Sequence
from typing import Any

__all__ = ["bars", "heatmap", "histogram", "label", "line", "sparkline_points"]

PALETTE = [
    "#2563eb",
    "#16a34a",
    "#dc2626",
    "#9333ea",
    "#ea580c",
    "#0891b2",
    "#ca8a04",
    "#db2777",
    "#4b5563",
    "#65a30d",
]
#: Light (low) to dark (high) colour scales for heatmaps.
SCALES: dict[str, list[list[Any]]] = {
    "blue": [[0, "#f7fbff"], [0.5, "#6baed6"], [1, "#08306b"]],
    "green": [[0, "#f7fcf5"], [0.5, "#74c476"], [1, "#00441b"]],
}
UNIT_FORMAT = {"%": ".1f", "count": ",.0f", "money": ",.2f", "ratio": ".2f"}


#: Hover suffix of a point or bar of a partial period.
PARTIAL_NOTE = " (partial period)"


def label(text: Any) -> str:
    """A user-provided string made safe for a plotly.js label."""
    return html.escape(str(text), quote=True)


def _clean(values: Sequence[Any]) -> list[Any]:
    out = []
    for v in values:
        if v is None or (isinstance(v, float) and (math.isnan(v) or math.isinf(v))):
            out.append(None)
        elif hasattr(v, "item"):
            out.append(v.item())
        else:
            out.append(v)
    return out


def _layout(title: str, height: int = 300, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "title": {"text": label(title), "font": {"size": 14}, "x": 0.01},
        "height": height,
        "margin": {"l": 56, "r": 16, "t": 40, "b": 40},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": "system-ui, sans-serif", "size": 12, "color": "#1f2937"},
        "hovermode": "x unified",
        "legend": {"orientation": "h", "y": -0.2},
        "colorway": PALETTE,
        "xaxis": {"gridcolor": "#e5e7eb"},
        "yaxis": {"gridcolor": "#e5e7eb", "zerolinecolor": "#9ca3af"},
    }
    layout.update(extra)
    return layout


#: Said in place of a chart whose series have no value at all (e.g. revenue of orders without
#: amounts): plotly.js would draw empty axes from −1 to 4.
NO_VALUES_NOTE = "No values to draw in these periods."


def _empty_note(data: list[dict[str, Any]], layout: dict[str, Any], axis: str = "y") -> None:
    """When no trace has a value on ``axis``, hide the value axis and say so in the plot."""
    if any(v is not None for trace in data for v in trace.get(axis, [])):
        return
    layout[f"{axis}axis"] = {**layout.get(f"{axis}axis", {}), "visible": False}
    layout["annotations"] = [
        {
            "text": NO_VALUES_NOTE,
            "showarrow": False,
            "xref": "paper",
            "yref": "paper",
            "x": 0.5,
            "y": 0.5,
            "font": {"size": 13, "color": "#6b7280"},
        }
    ]


def line(
    title: str,
    x: Sequence[Any],
    series: dict[str, Sequence[Any]],
    unit: str = "",
    height: int = 300,
    *,
    partial: Collection[Any] = (),
) -> dict[str, Any]:
    """One line per entry of ``series`` (name → values over ``x``). Points whose x is in
    ``partial`` (periods the data do not fully cover) are drawn as open circles and say
    "partial period" on hover."""
    fmt = UNIT_FORMAT.get(unit, ",.2f")
    marked = [v in partial for v in x]
    dense = len(x) > 40
    data = []
    for name, values in series.items():
        trace: dict[str, Any] = {
            "type": "scatter",
            "mode": "lines" if dense and not any(marked) else "lines+markers",
            "name": label(name),
            "x": list(x),
            "y": _clean(values),
            "hovertemplate": f"%{{y:{fmt}}}",
        }
        if any(marked):
            trace["marker"] = {
                "symbol": ["circle-open" if m else "circle" for m in marked],
                "size": [10 if m else (0 if dense else 6) for m in marked],
            }
            trace["customdata"] = [PARTIAL_NOTE if m else "" for m in marked]
            trace["hovertemplate"] = f"%{{y:{fmt}}}%{{customdata}}"
        data.append(trace)
    layout = _layout(title, height, showlegend=len(series) > 1)
    _empty_note(data, layout)
    return {"data": data, "layout": layout}


def bars(
    title: str,
    x: Sequence[Any],
    series: dict[str, Sequence[Any]],
    *,
    stacked: bool = True,
    colors: dict[str, str] | None = None,
    overlay_line: tuple[str, Sequence[Any]] | None = None,
    height: int = 320,
    horizontal: bool = False,
    partial: Collection[Any] = (),
) -> dict[str, Any]:
    """Bars per entry of ``series``; bars whose x is in ``partial`` (periods the data do not
    fully cover) are hatched and say "partial period" on hover."""
    data: list[dict[str, Any]] = []
    marked = [v in partial for v in x]
    for name, values in series.items():
        trace: dict[str, Any] = {"type": "bar", "name": label(name)}
        if horizontal:
            trace.update(orientation="h", y=[label(v) for v in x], x=_clean(values))
        else:
            trace.update(x=list(x), y=_clean(values))
        if colors and name in colors:
            trace["marker"] = {"color": colors[name]}
        if any(marked) and not horizontal:
            marker = trace.setdefault("marker", {})
            marker["pattern"] = {"shape": ["/" if m else "" for m in marked]}
            trace["customdata"] = [PARTIAL_NOTE if m else "" for m in marked]
            trace["hovertemplate"] = "%{y:,.2f}%{customdata}"
        data.append(trace)
    if overlay_line is not None:
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": label(overlay_line[0]),
                "x": list(x),
                "y": _clean(overlay_line[1]),
                "line": {"color": "#111827"},
            }
        )
    extra: dict[str, Any] = {"barmode": "relative" if stacked else "group"}
    if horizontal:
        extra.update(
            hovermode="closest",
            margin={"l": 140, "r": 16, "t": 40, "b": 40},
            yaxis={"automargin": True, "autorange": "reversed"},
        )
    layout = _layout(title, height, **extra)
    _empty_note(data, layout, "x" if horizontal else "y")
    return {"data": data, "layout": layout}


def heatmap(
    title: str,
    x: Sequence[Any],
    y: Sequence[Any],
    z: Sequence[Sequence[Any]],
    *,
    text_format: str = ".0f",
    colorscale: str | list[list[Any]] = "blue",
    height: int = 480,
    zmin: float | None = None,
    zmax: float | None = None,
) -> dict[str, Any]:
    trace: dict[str, Any] = {
        "type": "heatmap",
        "x": [label(v) for v in x],
        "y": [label(v) for v in y],
        "z": [_clean(row) for row in z],
        "colorscale": SCALES.get(colorscale, colorscale)
        if isinstance(colorscale, str)
        else colorscale,
        "texttemplate": f"%{{z:{text_format}}}",
        "hoverongaps": False,
    }
    if zmin is not None:
        trace["zmin"] = zmin
    if zmax is not None:
        trace["zmax"] = zmax
    layout = _layout(title, height, hovermode="closest")
    layout["yaxis"] = {"autorange": "reversed", "type": "category", "automargin": True}
    layout["xaxis"] = {"type": "category", "side": "top", "automargin": True}
    layout["margin"] = {"l": 16, "r": 16, "t": 70, "b": 20}
    return {"data": [trace], "layout": layout, "wide": True}


def nice_step(raw: float) -> float:
    """The smallest of 1, 2, 2.5 and 5 × 10^k that is at least ``raw`` (> 0): bin widths a
    reader can add up, as plotly.js picks them."""
    power = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if factor * power >= raw * (1 - 1e-12):
            return factor * power
    return 10.0 * power  # pragma: no cover - the loop ends at 10


def histogram_bins(values: Any, nbins: int = 40) -> tuple[list[float], list[int]]:
    """(bin edges, counts) of the finite ``values``: about ``nbins`` bins of a
    :func:`nice_step` width that start on a multiple of it; each bin holds [left, right), the
    last one also its right edge. No finite value: ([], []); one distinct value (up to a
    relative 1e-9): one bin centred on the smallest, 1 wide near 0, else a nice tenth of the
    largest magnitude wide."""
    import numpy as np

    arr = np.asarray(values, dtype="float64").ravel()
    arr = arr[np.isfinite(arr)]
    if not len(arr):
        return [], []
    lo, hi = float(arr.min()), float(arr.max())
    scale = max(abs(lo), abs(hi))
    if scale > 1e300:  # near the largest double, nice edges would overflow: one bin
        return [lo, hi], [len(arr)]
    if hi - lo <= max(scale, 1e-200) * 1e-9:  # one value, up to rounding
        half = 0.5 if scale < 1e-200 else nice_step(scale / 10) / 2  # covers hi too
        return [lo - half, lo + half], [len(arr)]
    step = nice_step((hi - lo) / max(nbins, 1))
    start = math.floor(lo / step) * step
    if start > lo:  # lo / step underflowed to -0.0 (a subnormal lo)
        start -= step
    count = max(1, math.ceil((hi - start) / step))
    if start + count * step < hi:  # rounding: the last edge must reach hi (closed on the right)
        count += 1
    edges = start + step * np.arange(count + 1)
    counts, _ = np.histogram(arr, bins=edges)
    return [float(e) for e in edges], [int(c) for c in counts]


def histogram(title: str, values: Any, *, nbins: int = 40, unit: str = "") -> dict:
    """A histogram counted here (NumPy) and drawn as touching bars: the page carries about
    ``nbins`` counts, not the values (a million customers' CLVs were 20 MB of page and seconds
    of plotly.js binning). Hover shows the bin's range and its count. ``values`` is any
    sequence of numbers; None, NaN and infinities are left out."""
    edges, counts = histogram_bins(values, nbins)
    fmt = UNIT_FORMAT.get(unit, ",.6g")
    bins = list(itertools.pairwise(edges))
    centres = [(a + b) / 2 for a, b in bins]
    ranges = [f"{a:{fmt}} to {b:{fmt}}" for a, b in bins]
    data: list[dict[str, Any]] = [
        {
            "type": "bar",
            "x": centres,
            "y": counts,
            "width": [b - a for a, b in bins],
            "customdata": ranges,
            "hovertemplate": "%{customdata}: %{y:,}<extra></extra>",
            "marker": {"color": PALETTE[0], "line": {"color": "#ffffff", "width": 1}},
        }
    ]
    layout = _layout(title, 300, hovermode="closest", bargap=0)
    if not counts:
        data[0]["y"] = []
        _empty_note(data, layout)
    return {"data": data, "layout": layout}


def sparkline_points(values: Sequence[Any], width: int = 120, height: int = 32) -> str:
    """SVG polyline points for a small inline trend line ('' when fewer than two values)."""
    ys = [v for v in _clean(values)]
    pts = [(i, v) for i, v in enumerate(ys) if v is not None]
    if len(pts) < 2:
        return ""
    lo = min(v for _, v in pts)
    hi = max(v for _, v in pts)
    span = (hi - lo) or 1.0
    n = max(len(ys) - 1, 1)
    return " ".join(
        f"{i / n * (width - 4) + 2:.1f},{height - 2 - (v - lo) / span * (height - 4):.1f}"
        for i, v in pts
    )
