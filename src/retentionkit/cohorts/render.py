"""Shape a cohort table (from :func:`retentionkit.cohorts.table.cohort_table`) for output:
JSON/CSV records, a Rich triangle, or a self-contained Plotly heatmap."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["cohort_heatmap_html", "cohort_records", "render_cohorts", "triangle"]

TITLES = {
    "customers": "customer retention (% of the cohort active in period k)",
    "unbounded": "unbounded retention (% active in period k or later)",
    "revenue": "revenue retention (revenue in k / revenue in period 0, %)",
    "cumulative_revenue": "cumulative revenue per customer",
}


def cohort_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON records ``{[segment,] cohort: "YYYY-MM-DD", offset, size, value}``."""
    from retentionkit.service.serialize import frame_records

    return frame_records(frame)


def triangle(frame: pd.DataFrame, period: str = "month") -> pd.DataFrame:
    """Wide triangle of one segment's rows: index cohort label, columns ``size`` and the
    offsets 0, 1, …"""
    wide = frame.pivot(index="cohort", columns="offset", values="value")
    sizes = frame.groupby("cohort")["size"].first()
    wide.insert(0, "size", sizes)
    from retentionkit.metrics.periods import period_label

    wide.index = [period_label(c, period) for c in wide.index]
    return wide


def _segments(frame: pd.DataFrame) -> list[tuple[str | None, pd.DataFrame]]:
    if "segment" not in frame.columns:
        return [(None, frame)]
    return [(str(name), part) for name, part in frame.groupby("segment", sort=True)]


def _cell(value: Any, kind: str) -> str:
    if value is None or value != value:
        return ""
    if kind == "cumulative_revenue":
        return f"{value:,.2f}"
    return f"{value:.1f}%"


def _print_tables(frame: pd.DataFrame, kind: str, period: str, stream: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=stream, width=max(Console().width, 200))
    for name, part in _segments(frame):
        wide = triangle(part, period)
        title = f"cohorts by {period}: {TITLES[kind]}"
        if name is not None:
            title += f" — segment {name}"
        table = Table(title=title, header_style="bold")
        table.add_column("cohort", no_wrap=True)
        table.add_column("size", justify="right")
        offsets = [c for c in wide.columns if c != "size"]
        for off in offsets:
            table.add_column(str(off), justify="right")
        for label, row in wide.iterrows():
            table.add_row(
                str(label), f"{int(row['size']):,}", *(_cell(row[o], kind) for o in offsets)
            )
        console.print(table)


def cohort_heatmap_html(frame: pd.DataFrame, kind: str, period: str) -> str:
    """A self-contained HTML page (Plotly inlined) with one heatmap per segment."""
    import plotly.graph_objects as go

    parts = []
    for i, (name, part) in enumerate(_segments(frame)):
        wide = triangle(part, period)
        offsets = [c for c in wide.columns if c != "size"]
        z = wide[offsets].to_numpy(dtype=float)
        labels = [f"{c} (n={int(s):,})" for c, s in zip(wide.index, wide["size"], strict=True)]
        text = [[_cell(v, kind) for v in row] for row in z]
        fig = go.Figure(
            go.Heatmap(
                z=z,
                x=[str(o) for o in offsets],
                y=labels,
                text=text,
                texttemplate="%{text}",
                colorscale="Blues",
                hoverongaps=False,
                colorbar={"title": "per customer" if kind == "cumulative_revenue" else "%"},
            )
        )
        title = f"Cohorts by {period}: {TITLES[kind]}"
        if name is not None:
            title += f" — segment {name}"
        fig.update_layout(
            title=title,
            xaxis_title=f"{period}s since acquisition",
            yaxis={"autorange": "reversed", "title": "cohort"},
            height=max(400, 28 * len(labels) + 160),
        )
        parts.append(fig.to_html(full_html=False, include_plotlyjs=(i == 0)))
    body = "\n".join(parts)
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>retentionkit cohorts: {kind}</title></head>\n<body>\n{body}\n</body></html>\n"
    )


def render_cohorts(
    frame: pd.DataFrame,
    fmt: str,
    *,
    kind: str,
    period: str,
    out: Path | None = None,
    raw: bool = False,
) -> None:
    """Write ``frame`` as table, csv (formulas neutralised unless ``raw``), json or html to
    ``out`` or stdout."""
    from retentionkit.service.serialize import dump_json, frame_csv

    if fmt == "json":
        text = dump_json(cohort_records(frame)) + "\n"
    elif fmt == "csv":
        text = frame_csv(frame, raw=raw)
    elif fmt == "html":
        text = cohort_heatmap_html(frame, kind, period)
    else:
        buf = io.StringIO()
        _print_tables(frame, kind, period, buf if out is not None else sys.stdout)
        if out is None:
            return
        text = buf.getvalue()
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
