"""The NPS & CSAT page: answer mixes per period, a breakdown by segment and, for the surveys
asked through retentionkit (``surveys create``), each survey's result with its 95 % interval,
response rate and latest comments (:func:`retentionkit.surveys.summary.summarize`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from retentionkit.metrics.periods import period_label
from retentionkit.pages import charts
from retentionkit.pages.common import (
    Filters,
    fmt_value,
    health,
    label_of,
    metric_request,
    partial_x,
    segment_options,
    series,
    usable_metrics,
    x_axis,
)

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.web.service import WorkspaceService


FEEDBACK_METRICS = ["nps", "csat"]


def build(svc: WorkspaceService, f: Filters) -> dict[str, Any]:
    names = usable_metrics(svc, FEEDBACK_METRICS)
    if not names:
        from retentionkit.errors import MissingTableError

        raise MissingTableError(
            "NPS and CSAT need the survey_responses table, which is not loaded; ingest it "
            "first with 'retentionkit ingest survey_responses FILE'."
        )
    frame = svc.request(metric_request(f, names)).frame
    figures = []
    if "nps" in names:
        s = series(frame, "nps")
        comps = s["components"].tolist()

        def share(key: str, comps: list[Any] = comps) -> list[Any]:
            return [
                (c.get(key, 0) / c["responses"] * 100) if c and c.get("responses") else None
                for c in comps
            ]

        figures.append(
            charts.bars(
                "NPS: promoters, passives, detractors (% of answers)",
                x_axis(s),
                {
                    "Promoters": share("promoters"),
                    "Passives": share("passives"),
                    "Detractors": [None if v is None else -v for v in share("detractors")],
                },
                colors={"Promoters": "#16a34a", "Passives": "#9ca3af", "Detractors": "#dc2626"},
                overlay_line=("NPS", s["value"].tolist()),
            )
        )
    if "csat" in names:
        s = series(frame, "csat")
        comps = s["components"].tolist()
        figures.append(
            charts.bars(
                "CSAT: satisfied vs other answers",
                x_axis(s),
                {
                    "Satisfied": [c.get("satisfied") if c else None for c in comps],
                    "Other": [(c["responses"] - c["satisfied"]) if c else None for c in comps],
                },
                colors={"Satisfied": "#16a34a", "Other": "#f97316"},
            )
        )
        figures.append(
            charts.line(
                "CSAT (%)", x_axis(s), {"CSAT": s["value"].tolist()}, "%", partial=partial_x(s)
            )
        )
    segment = f.segment or next(
        (s for s in ("channel", "country", "plan") if s in segment_options(svc)), None
    )
    breakdown: list[dict[str, Any]] = []
    if segment:
        seg_frame = svc.request(metric_request(f, names, segment=segment, last=1)).frame
        for name in names:
            part = seg_frame[seg_frame["metric"] == name].sort_values("segment")
            if part.empty:
                continue
            when = period_label(part["period_start"].iloc[0], f.period)
            figures.append(
                charts.bars(
                    f"{label_of(name)} by {segment} ({when})",
                    part["segment"].astype(str).tolist(),
                    {label_of(name): part["value"].tolist()},
                    horizontal=True,
                    height=max(220, 28 * len(part) + 80),
                )
            )
            for rec in part.to_dict("records"):
                breakdown.append(
                    {
                        "metric": label_of(name),
                        "segment": rec["segment"],
                        "value": fmt_value(rec["value"], "score" if name == "nps" else "%"),
                        "responses": (rec["components"] or {}).get("responses", 0),
                        "health": health(rec["health"]),
                    }
                )
    return {
        "figures": figures,
        "breakdown": breakdown,
        "surveys": survey_results(svc),
        "segment": segment,
        "segment_options": segment_options(svc),
    }


def survey_results(svc: WorkspaceService) -> list[dict[str, Any]]:
    """One row per stored survey: answers, response rate, score and interval, comments
    (cached per data version, so an answer shows on the next request)."""
    from retentionkit.surveys.service import ListSurveys, ShowSurvey, run

    def compute(ws: Any) -> list[dict[str, Any]]:
        return [run(ws, ShowSurvey(s.name)) for s in run(ws, ListSurveys())]

    rows = [dict(r) for r in svc.cached(("survey-results",), compute)]
    for row in rows:
        unit = "%" if row["metric"] == "csat" else ""
        row["shown"] = "–" if row["value"] is None else f"{row['value']:g}{unit}"
        row["interval"] = (
            "" if row["low"] is None else f"{row['low']:.1f} to {row['high']:.1f}{unit}"
        )
        rate = row["response_rate"]
        row["rate"] = "–" if rate is None else f"{rate * 100:.1f}%"
    return rows  # type: ignore[no-any-return]
