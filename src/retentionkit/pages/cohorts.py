"""The cohorts page: one retention or revenue heatmap per segment."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from retentionkit.metrics.periods import period_label
from retentionkit.pages import charts
from retentionkit.pages.common import Filters, segment_options
from retentionkit.service.options import COHORT_KINDS
from retentionkit.service.requests import CohortRequest

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from retentionkit.web.service import WorkspaceService


COHORT_TITLES = {
    "customers": "Customer retention: % of the cohort active k periods after acquisition",
    "unbounded": "Unbounded retention: % of the cohort active in period k or later",
    "revenue": "Revenue retention: revenue in period k / revenue in period 0 (%)",
    "cumulative_revenue": "Cumulative revenue per customer",
}
MAX_HEATMAPS = 6


def build(svc: WorkspaceService, f: Filters) -> dict[str, Any]:
    request = CohortRequest(
        period=f.period, kind=f.kind or "customers", start=f.start, end=f.end, segment=f.segment
    )
    kind = request.kind
    frame = svc.request(request).frame
    groups: list[tuple[str | None, pd.DataFrame]]
    if "segment" in frame.columns:
        groups = [(str(k), g) for k, g in frame.groupby("segment", sort=True)]
    else:
        groups = [(None, frame)]
    figures = []
    money = kind == "cumulative_revenue"
    for name, part in groups[:MAX_HEATMAPS]:
        wide = part.pivot(index="cohort", columns="offset", values="value").sort_index()
        sizes = part.groupby("cohort")["size"].first()
        y = [f"{period_label(c, f.period)} (n={int(sizes[c]):,})" for c in wide.index]
        x = [str(int(c)) for c in wide.columns]
        title = COHORT_TITLES[kind] + (f" — {f.segment} = {name}" if name is not None else "")
        figures.append(
            charts.heatmap(
                title,
                x,
                y,
                wide.to_numpy().tolist(),
                text_format=",.0f" if money else ".0f",
                colorscale="green" if money else "blue",
                zmin=0,
                zmax=100 if kind in ("customers", "unbounded") else None,
                height=max(360, 22 * len(y) + 120),
            )
        )
    return {
        "figures": figures,
        "kind": kind,
        "kinds": COHORT_KINDS,
        "segments_hidden": max(len(groups) - MAX_HEATMAPS, 0),
        "segment_options": segment_options(svc),
        "cohorts": int(frame["cohort"].nunique()) if len(frame) else 0,
        "customers": int(frame.groupby("cohort")["size"].first().sum()) if len(frame) else 0,
    }


#: The CLV page uses the defaults of GET /api/clv (one year ahead in weeks, BG/NBD + Gamma-Gamma).
