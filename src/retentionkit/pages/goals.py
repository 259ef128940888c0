"""The goals' pages: the Goals page (``build``: one row per goal with its progress bar,
status, due date and p_hit, also the report's Goals section), one page per goal
(``build_item``: history line, target line, forecast fan) and the overview's goal cards
(``cards``). Thin: each runs one goal request (:mod:`retentionkit.goals.model`) through the
service (cached per data version) and formats the answer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from retentionkit.pages import charts
from retentionkit.pages.common import Filters, currency_of
from retentionkit.service.serialize import fmt_value

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.web.service import WorkspaceService

__all__ = ["build", "build_item", "cards"]

STATUS_LABEL = {
    "achieved": "achieved",
    "on_track": "on track",
    "at_risk": "at risk",
    "off_track": "off track",
    "missed": "missed",
}
#: Goals shown as cards on the overview.
MAX_CARDS = 6
FAN_COLOR = "37, 99, 235"  # the palette's blue, as "r, g, b" for the translucent bands


def _unit(rec: dict[str, Any]) -> str:
    if rec["metric"]:
        from retentionkit.metrics.registry import get_metric

        return get_metric(rec["metric"]).unit
    return {"money": "money", "yes_no": "yes_no"}.get(rec["kind"], "number")


def _fmt(value: Any, rec: dict[str, Any], currency: str) -> str:
    unit = _unit(rec)
    if unit == "yes_no":
        return "–" if value is None else ("yes" if value >= 0.5 else "no")
    return fmt_value(value, unit, currency)


def _row(rec: dict[str, Any], currency: str) -> dict[str, Any]:
    """A goal record shaped for the templates."""
    from retentionkit.goals.rules import bar_percent

    what = rec["metric"] or f"custom ({rec['kind']})"
    return {
        "name": rec["name"],
        "what": what,
        "period": rec["period"] if rec["metric"] else "",
        "segment": rec["segment"] or "",
        "current": _fmt(rec["current"], rec, currency),
        "target": ("≥ " if rec["direction"] == "up" else "≤ ") + _fmt(rec["target"], rec, currency),
        "start_value": _fmt(rec["start_value"], rec, currency),
        "bar": round(bar_percent(rec["progress"]), 1),
        "elapsed": round(100 * min(max(rec["elapsed"] or 0.0, 0.0), 1.0), 1),
        "due": rec["due"],
        "start": rec["start"],
        "as_of": rec["as_of"] or "–",
        "p_hit": "–" if rec["p_hit"] is None else f"{100 * rec['p_hit']:.0f}%",
        "method": rec["method"] or "",
        "status": rec["status"] or "none",
        "status_label": STATUS_LABEL.get(rec["status"] or "", "not evaluated"),
        "owner": rec["owner"] or "",
        "note": rec["note"] or "",
    }


def _records(svc: WorkspaceService) -> list[dict[str, Any]]:
    from retentionkit.goals import GoalListRequest

    records: list[dict[str, Any]] = svc.request(GoalListRequest()).report
    return records


def build(svc: WorkspaceService, f: Filters | None = None) -> dict[str, Any]:
    """The Goals page: one row per goal with its progress bar, status, due date and p_hit."""
    currency = currency_of(svc)
    return {"rows": [_row(rec, currency) for rec in _records(svc)]}


def cards(svc: WorkspaceService) -> list[dict[str, Any]]:
    """The overview's goal cards (the first :data:`MAX_CARDS` goals); [] without goals."""
    from retentionkit.errors import RetentionkitError

    try:
        return build(svc)["rows"][:MAX_CARDS]
    except RetentionkitError:  # a goal that cannot be read must not break the overview
        return []


def _fan_chart(detail: dict[str, Any], unit: str) -> dict[str, Any]:
    """History line, target line and the forecast fan (5–95 % and 25–75 % bands, median)."""
    rec = detail["goal"]
    x = [s["period_start"] for s in detail["series"]]
    title = f"{rec['metric']} per {rec['period']}" if rec["metric"] else rec["kind"]
    if detail["forecast"]:
        title += f" · forecast as of {detail['forecast']['as_of']}"
    fig = charts.line(
        title,
        x,
        {"actual": [s["value"] for s in detail["series"]]},
        unit if unit in charts.UNIT_FORMAT else "",
        height=360,
    )
    data = fig["data"]
    fan = detail["forecast"]
    fx: list[str] = []
    if fan:
        fx = fan["period_start"]
        cols = list(zip(*fan["values"], strict=True))  # one tuple per quantile
        lo, q25, mid, q75, hi = (list(c) for c in cols)
        anchor_x, anchor_y = (x[-1:], [detail["series"][-1]["value"]]) if x else ([], [])
        for name, low, high, alpha in (("5–95%", lo, hi, 0.15), ("25–75%", q25, q75, 0.3)):
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": anchor_x + fx,
                    "y": anchor_y + low,
                    "line": {"width": 0},
                    "showlegend": False,
                    "hoverinfo": "skip",
                }
            )
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": f"forecast {name}",
                    "x": anchor_x + fx,
                    "y": anchor_y + high,
                    "fill": "tonexty",
                    "fillcolor": f"rgba({FAN_COLOR}, {alpha})",
                    "line": {"width": 0},
                }
            )
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": "forecast median",
                "x": anchor_x + fx,
                "y": anchor_y + mid,
                "line": {"dash": "dot", "color": f"rgb({FAN_COLOR})"},
            }
        )
    span = x + fx
    if span:
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": "target",
                "x": [span[0], max(span[-1], rec["due"])],
                "y": [rec["target"], rec["target"]],
                "line": {"dash": "dash", "color": "#dc2626"},
            }
        )
    fig["layout"]["showlegend"] = True
    fig["wide"] = True
    return fig


def build_item(svc: WorkspaceService, name: str) -> dict[str, Any]:
    """One goal's page: its summary, the chart and the history of evaluations."""
    from retentionkit.goals import GoalShowRequest, build_request

    detail = svc.request(build_request(GoalShowRequest, name=name)).report
    currency = currency_of(svc)
    rec = detail["goal"]
    history = [
        {
            "as_of": h["as_of"],
            "current": _fmt(h["current"], rec, currency),
            "progress": "–" if h["progress"] is None else f"{100 * h['progress']:.0f}%",
            "p_hit": "–" if h["p_hit"] is None else f"{100 * h['p_hit']:.0f}%",
            "status": h["status"],
            "status_label": STATUS_LABEL.get(h["status"], h["status"]),
        }
        for h in reversed(detail["history"])
    ]
    return {
        "goal": _row(rec, currency),
        "history": history,
        "figures": [_fan_chart(detail, _unit(rec))],
    }
