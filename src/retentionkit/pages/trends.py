"""The trends page: chosen KPIs over time, optionally split by segment, with the latest value
of each."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from retentionkit.metrics.periods import period_label
from retentionkit.pages import charts
from retentionkit.pages.common import (
    OVERVIEW_KPIS,
    Filters,
    currency_of,
    delta_class,
    fmt_delta,
    fmt_value,
    health,
    label_of,
    last_complete,
    metric_request,
    partial_x,
    segment_options,
    spec_of,
    usable_metrics,
    x_axis,
)

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.web.service import WorkspaceService


#: Segments drawn per chart (the table lists all).
MAX_SEGMENTS = 8


def build(svc: WorkspaceService, f: Filters) -> dict[str, Any]:
    from retentionkit.metrics.registry import METRIC_NAMES

    chosen = list(f.metrics) or usable_metrics(svc, OVERVIEW_KPIS)
    if f.segment:
        frame = svc.request(metric_request(f, chosen, compare="previous", segment=f.segment)).frame
    else:
        frame = svc.request(metric_request(f, chosen, compare="previous")).frame
    currency = currency_of(svc)
    segments = sorted(frame["segment"].dropna().unique().tolist())
    shown = segments[:MAX_SEGMENTS]
    groups = {key: g.sort_values("period_start") for key, g in frame.groupby(["metric", "segment"])}
    figures, rows = [], []
    for name in chosen:
        spec = spec_of(name)
        parts = {seg: groups[(name, seg)] for seg in segments if (name, seg) in groups}
        if not parts:
            continue
        x = sorted({d for s in parts.values() for d in x_axis(s)})
        series = {}
        for seg in shown:
            s = parts.get(seg)
            by = {} if s is None else dict(zip(x_axis(s), s["value"].tolist(), strict=True))
            series[str(seg)] = [by.get(d) for d in x]
        title = label_of(name) + (f" ({currency})" if spec.unit == "money" else "")
        partial = set().union(*(partial_x(s) for s in parts.values()))
        figures.append(charts.line(title, x, series, spec.unit, height=260, partial=partial))
        for seg, s in parts.items():
            last = last_complete(s)
            rows.append(
                {
                    "metric": label_of(name),
                    "segment": seg,
                    "period": period_label(last["period_start"], f.period),
                    "value": fmt_value(last["value"], spec.unit, currency),
                    "health": health(last["health"]),
                    "delta": fmt_delta(last.get("delta"), last.get("compare_value"), spec.unit),
                    "delta_class": delta_class(last.get("delta"), spec.higher_is_better),
                }
            )
    return {
        "figures": figures,
        "rows": rows,
        "segments_hidden": max(len(segments) - len(shown), 0),
        "segments_shown": len(shown),
        "segment_options": segment_options(svc),
        "metric_options": [m for m in METRIC_NAMES],
        "chosen": chosen,
    }
