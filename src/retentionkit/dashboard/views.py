"""Dashboard view models: each page is a function (service, filters) → a plain dict that the
Jinja templates render, for the live dashboard and for the self-contained HTML report alike.

Views only call library functions (``Workspace.metrics`` …) through the
:class:`~retentionkit.api.service.WorkspaceService` (cached per arguments) and shape the result:
numbers formatted, health classes, Plotly figure specs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from retentionkit.dashboard import charts
from retentionkit.metrics.periods import period_label

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from retentionkit.api.service import WorkspaceService

__all__ = [
    "OVERVIEW_KPIS",
    "PAGES",
    "Filters",
    "Page",
    "available_features",
    "fmt_value",
    "pages_for",
    "warm",
]

#: KPI cards of the overview, in order (only those whose tables are loaded are shown).
OVERVIEW_KPIS = [
    "active_customers",
    "new_customers",
    "crr",
    "churn_rate",
    "revenue",
    "average_order_value",
    "repeat_purchase_rate",
    "clv",
    "mrr",
    "nrr",
    "nps",
    "csat",
]
MRR_METRICS = [
    "mrr",
    "new_mrr",
    "expansion_mrr",
    "reactivation_mrr",
    "contraction_mrr",
    "churned_mrr",
    "nrr",
    "grr",
    "arpc",
]
FEEDBACK_METRICS = ["nps", "csat"]
LABELS = {
    "active_customers": "Active customers",
    "new_customers": "New customers",
    "reactivated_customers": "Reactivated customers",
    "lost_customers": "Lost customers",
    "crr": "Retention rate",
    "churn_rate": "Churn rate",
    "revenue": "Revenue",
    "average_order_value": "Average order value",
    "repeat_purchase_rate": "Repeat purchase rate",
    "purchase_frequency": "Purchase frequency",
    "average_customer_lifespan": "Customer lifespan",
    "clv": "CLV (simple)",
    "mrr": "MRR",
    "arpc": "ARPC",
    "new_mrr": "New MRR",
    "expansion_mrr": "Expansion MRR",
    "contraction_mrr": "Contraction MRR",
    "churned_mrr": "Churned MRR",
    "reactivation_mrr": "Reactivation MRR",
    "nrr": "Net revenue retention",
    "grr": "Gross revenue retention",
    "nps": "NPS",
    "csat": "CSAT",
    "cac": "CAC",
    "ltv_cac": "LTV : CAC",
    "renewal_rate": "Renewal rate",
    "return_rate": "Return rate",
}
PERIOD_CHOICES = ("month", "quarter", "year")
SPARK_POINTS = 12
MAX_SEGMENTS = 8


# --------------------------------------------------------------------------- helpers
@dataclass(frozen=True)
class Filters:
    """What a page shows: the reporting period, an optional range and segment scheme."""

    period: str = "month"
    start: str | None = None
    end: str | None = None
    segment: str | None = None
    metrics: tuple[str, ...] = ()
    kind: str | None = None

    def query(self, **change: Any) -> str:
        """The query string of these filters with ``change`` applied (for links)."""
        from urllib.parse import urlencode

        values = {
            "period": self.period,
            "from": self.start,
            "to": self.end,
            "segment": self.segment,
            "kind": self.kind,
        }
        values.update(change)
        pairs = [(k, v) for k, v in values.items() if v]
        pairs += [("metric", m) for m in (change.get("metrics", self.metrics) or ())]
        return urlencode([(k, v) for k, v in pairs if k != "metrics"])


def metric_call(f: Filters, metric: list[str] | None, **extra: Any) -> dict[str, Any]:
    """Keyword arguments of ``Workspace.metrics`` with every key present (so the dashboard
    and GET /api/metrics share cache entries)."""
    kwargs: dict[str, Any] = {
        "metric": list(metric) if metric else None,
        "period": f.period,
        "start": f.start,
        "end": f.end,
        "last": None,
        "segment": None,
        "customer_definition": None,
        "active_window": None,
        "churn_basis": None,
        "compare": None,
    }
    kwargs.update(extra)
    return kwargs


#: Workspace method → the module that implements it (both must exist for a page or route).
FEATURE_MODULES = {
    "cohorts": "retentionkit.cohorts.table",
    "rfm": "retentionkit.clv.rfm",
    "clv": "retentionkit.clv.workflow",
    "churn": "retentionkit.churn.pipeline",
    "segments": "retentionkit.segments.summary",
}


def available_features() -> set[str]:
    """Library functions present in this installation (pages and routes are wired to them)."""
    import importlib.util

    from retentionkit.workspace import Workspace

    have = set()
    for name, module in FEATURE_MODULES.items():
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:  # pragma: no cover - parent package missing
            found = False
        if found and callable(getattr(Workspace, name, None)):
            have.add(name)
    return have


def usable_metrics(svc: WorkspaceService, names: list[str]) -> list[str]:
    """``names`` whose source tables are loaded."""
    from retentionkit.metrics.registry import get_metric

    tables = set(svc.tables())
    definition = svc.ws.settings.customer_definition
    return [n for n in names if set(get_metric(n).source_tables(definition)) <= tables]


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) or math.isinf(out) else out


def fmt_value(value: Any, unit: str, currency: str = "") -> str:
    v = _num(value)
    if v is None:
        return "–"
    if unit == "count":
        return f"{v:,.0f}"
    if unit == "%":
        return f"{v:.1f}%"
    if unit == "money":
        return (f"{v:,.0f}" if abs(v) >= 10000 else f"{v:,.2f}") + (
            f" {currency}" if currency else ""
        )
    if unit == "score":
        return f"{v:.1f}"
    if unit in ("days", "hours", "months"):
        return f"{v:,.1f} {unit}"
    return f"{v:,.2f}"


def _health(value: Any) -> str:
    return value if isinstance(value, str) and value else "none"


def fmt_delta(delta: Any, base: Any, unit: str) -> str:
    d = _num(delta)
    if d is None:
        return "–"
    if unit in ("%", "score"):
        return f"{d:+.1f} {'pp' if unit == '%' else 'pts'}"
    b = _num(base)
    rel = f" ({d / abs(b) * 100:+.1f}%)" if b not in (None, 0.0) else ""
    return (f"{d:+,.0f}" if unit == "count" else f"{d:+,.2f}") + rel


def delta_class(delta: Any, higher_is_better: bool | None) -> str:
    d = _num(delta)
    if d is None or d == 0 or higher_is_better is None:
        return "neutral"
    return "better" if (d > 0) == higher_is_better else "worse"


def _x(frame: pd.DataFrame) -> list[str]:
    return [ts.strftime("%Y-%m-%d") for ts in frame["period_start"]]


def _series(frame: pd.DataFrame, metric: str, segment: str = "all") -> pd.DataFrame:
    part = frame[(frame["metric"] == metric) & (frame["segment"] == segment)]
    return part.sort_values("period_start")


def _spec(name: str) -> Any:
    from retentionkit.metrics.registry import get_metric

    return get_metric(name)


def _currency(svc: WorkspaceService) -> str:
    return svc.ws.settings.currency


def _segment_options(svc: WorkspaceService) -> list[str]:
    def build(ws: Any) -> list[str]:
        from retentionkit.segments.resolve import available_attributes

        return ["cohort", *[a for a in available_attributes(ws) if a != "cohort"]]

    try:
        return svc.cached(("segment_options",), build)
    except Exception:  # pragma: no cover - no data yet
        return []


# --------------------------------------------------------------------------- pages
def overview(svc: WorkspaceService, f: Filters) -> dict[str, Any]:
    kpis = usable_metrics(svc, OVERVIEW_KPIS)
    frame = svc.metrics(**metric_call(f, kpis, compare="previous"))
    year = svc.metrics(**metric_call(f, kpis, compare="year", last=1))
    currency = _currency(svc)
    cards = []
    latest = None
    for name in kpis:
        part = _series(frame, name)
        if part.empty:
            continue
        spec = _spec(name)
        row = part.iloc[-1]
        latest = row["period_start"]
        yrow = _series(year, name)
        yrow = yrow.iloc[-1] if not yrow.empty else None
        spark = part["value"].tolist()[-SPARK_POINTS:]
        cards.append(
            {
                "name": name,
                "label": LABELS.get(name, name),
                "description": spec.description,
                "value": fmt_value(row["value"], spec.unit, currency),
                "health": _health(row["health"]),
                "prev": fmt_delta(row.get("delta"), row.get("compare_value"), spec.unit),
                "prev_class": delta_class(row.get("delta"), spec.higher_is_better),
                "year": fmt_delta(
                    None if yrow is None else yrow.get("delta"),
                    None if yrow is None else yrow.get("compare_value"),
                    spec.unit,
                ),
                "year_class": delta_class(
                    None if yrow is None else yrow.get("delta"), spec.higher_is_better
                ),
                "spark": charts.sparkline_points(spark),
            }
        )
    figures = []
    customers = [m for m in ("active_customers", "new_customers") if m in kpis]
    if customers:
        x = _x(_series(frame, customers[0]))
        figures.append(
            charts.line(
                "Customers",
                x,
                {LABELS[m]: _series(frame, m)["value"].tolist() for m in customers},
                "count",
            )
        )
    money = [m for m in ("revenue", "mrr") if m in kpis]
    if money:
        x = _x(_series(frame, money[0]))
        figures.append(
            charts.bars(
                f"Revenue ({currency})",
                x,
                {LABELS[m]: _series(frame, m)["value"].tolist() for m in money},
                stacked=False,
            )
        )
    rates = [m for m in ("crr", "churn_rate") if m in kpis]
    if rates:
        x = _x(_series(frame, rates[0]))
        figures.append(
            charts.line(
                "Retention and churn (%)",
                x,
                {LABELS[m]: _series(frame, m)["value"].tolist() for m in rates},
                "%",
            )
        )
    from retentionkit.dashboard.goals_views import goal_cards

    return {
        "cards": cards,
        "figures": figures,
        "latest": period_label(latest, f.period) if latest is not None else "",
        "goals": goal_cards(svc),
    }


def trends(svc: WorkspaceService, f: Filters) -> dict[str, Any]:
    from retentionkit.metrics.registry import METRIC_NAMES

    chosen = list(f.metrics) or usable_metrics(svc, OVERVIEW_KPIS)
    if f.segment:
        frame = svc.metrics(**metric_call(f, chosen, compare="previous", segment=f.segment))
    else:
        frame = svc.metrics(**metric_call(f, chosen, compare="previous"))
    currency = _currency(svc)
    segments = sorted(frame["segment"].dropna().unique().tolist())
    shown = segments[:MAX_SEGMENTS]
    groups = {key: g.sort_values("period_start") for key, g in frame.groupby(["metric", "segment"])}
    figures, rows = [], []
    for name in chosen:
        spec = _spec(name)
        parts = {seg: groups[(name, seg)] for seg in segments if (name, seg) in groups}
        if not parts:
            continue
        x = sorted({d for s in parts.values() for d in _x(s)})
        series = {}
        for seg in shown:
            s = parts.get(seg)
            by = {} if s is None else dict(zip(_x(s), s["value"].tolist(), strict=True))
            series[str(seg)] = [by.get(d) for d in x]
        title = LABELS.get(name, name) + (f" ({currency})" if spec.unit == "money" else "")
        figures.append(charts.line(title, x, series, spec.unit, height=260))
        for seg, s in parts.items():
            last = s.iloc[-1]
            rows.append(
                {
                    "metric": LABELS.get(name, name),
                    "segment": seg,
                    "period": period_label(last["period_start"], f.period),
                    "value": fmt_value(last["value"], spec.unit, currency),
                    "health": _health(last["health"]),
                    "delta": fmt_delta(last.get("delta"), last.get("compare_value"), spec.unit),
                    "delta_class": delta_class(last.get("delta"), spec.higher_is_better),
                }
            )
    return {
        "figures": figures,
        "rows": rows,
        "segments_hidden": max(len(segments) - len(shown), 0),
        "segments_shown": len(shown),
        "segment_options": _segment_options(svc),
        "metric_options": [m for m in METRIC_NAMES],
        "chosen": chosen,
    }


def mrr(svc: WorkspaceService, f: Filters) -> dict[str, Any]:
    names = usable_metrics(svc, MRR_METRICS)
    if "mrr" not in names:
        from retentionkit.errors import MissingTableError

        raise MissingTableError(
            "MRR needs the subscriptions table, which is not loaded; ingest it first with "
            "'retentionkit ingest subscriptions FILE'."
        )
    frame = svc.metrics(**metric_call(f, names))
    currency = _currency(svc)
    x = _x(_series(frame, "mrr"))

    def vals(name: str, sign: float = 1.0) -> list[Any]:
        return [
            None if v is None else sign * v
            for v in (_num(v) for v in _series(frame, name)["value"].tolist())
        ]

    moves = {
        "New": vals("new_mrr"),
        "Expansion": vals("expansion_mrr"),
        "Reactivation": vals("reactivation_mrr"),
        "Contraction": vals("contraction_mrr", -1),
        "Churned": vals("churned_mrr", -1),
    }
    net = [sum(v or 0.0 for v in col) for col in zip(*moves.values(), strict=True)]
    colors = {
        "New": "#16a34a",
        "Expansion": "#4ade80",
        "Reactivation": "#0891b2",
        "Contraction": "#f97316",
        "Churned": "#dc2626",
    }
    figures = [
        charts.line(f"MRR ({currency})", x, {"MRR": vals("mrr")}, "money"),
        charts.bars(
            f"MRR movements ({currency})", x, moves, colors=colors, overlay_line=("Net change", net)
        ),
    ]
    rr = [m for m in ("nrr", "grr") if m in names]
    if rr:
        figures.append(
            charts.line(
                "Net and gross revenue retention (%)", x, {LABELS[m]: vals(m) for m in rr}, "%"
            )
        )
    mrr_values = vals("mrr")
    nrr_values = vals("nrr") if "nrr" in names else [None] * len(x)
    rows = []
    for i, start in enumerate(x):
        rows.append(
            {
                "period": period_label(start, f.period),
                "mrr": fmt_value(mrr_values[i], "money"),
                **{k.lower(): fmt_value(v[i], "money") for k, v in moves.items()},
                "net": fmt_value(net[i], "money"),
                "nrr": fmt_value(nrr_values[i], "%"),
            }
        )
    return {"figures": figures, "rows": rows[::-1], "currency": currency}


def feedback(svc: WorkspaceService, f: Filters) -> dict[str, Any]:
    names = usable_metrics(svc, FEEDBACK_METRICS)
    if not names:
        from retentionkit.errors import MissingTableError

        raise MissingTableError(
            "NPS and CSAT need the survey_responses table, which is not loaded; ingest it "
            "first with 'retentionkit ingest survey_responses FILE'."
        )
    frame = svc.metrics(**metric_call(f, names))
    figures = []
    if "nps" in names:
        s = _series(frame, "nps")
        comps = s["components"].tolist()

        def share(key: str, comps: list[Any] = comps) -> list[Any]:
            return [
                (c.get(key, 0) / c["responses"] * 100) if c and c.get("responses") else None
                for c in comps
            ]

        figures.append(
            charts.bars(
                "NPS: promoters, passives, detractors (% of answers)",
                _x(s),
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
        s = _series(frame, "csat")
        comps = s["components"].tolist()
        figures.append(
            charts.bars(
                "CSAT: satisfied vs other answers",
                _x(s),
                {
                    "Satisfied": [c.get("satisfied") if c else None for c in comps],
                    "Other": [(c["responses"] - c["satisfied"]) if c else None for c in comps],
                },
                colors={"Satisfied": "#16a34a", "Other": "#f97316"},
            )
        )
        figures.append(charts.line("CSAT (%)", _x(s), {"CSAT": s["value"].tolist()}, "%"))
    segment = f.segment or next(
        (s for s in ("channel", "country", "plan") if s in _segment_options(svc)), None
    )
    breakdown: list[dict[str, Any]] = []
    if segment:
        seg_frame = svc.metrics(**metric_call(f, names, segment=segment, last=1))
        for name in names:
            part = seg_frame[seg_frame["metric"] == name].sort_values("segment")
            if part.empty:
                continue
            when = period_label(part["period_start"].iloc[0], f.period)
            figures.append(
                charts.bars(
                    f"{LABELS[name]} by {segment} ({when})",
                    part["segment"].astype(str).tolist(),
                    {LABELS[name]: part["value"].tolist()},
                    horizontal=True,
                    height=max(220, 28 * len(part) + 80),
                )
            )
            for rec in part.to_dict("records"):
                breakdown.append(
                    {
                        "metric": LABELS[name],
                        "segment": rec["segment"],
                        "value": fmt_value(rec["value"], "score" if name == "nps" else "%"),
                        "responses": (rec["components"] or {}).get("responses", 0),
                        "health": _health(rec["health"]),
                    }
                )
    return {
        "figures": figures,
        "breakdown": breakdown,
        "segment": segment,
        "segment_options": _segment_options(svc),
    }


COHORT_KINDS = ("customers", "unbounded", "revenue", "cumulative_revenue")
COHORT_TITLES = {
    "customers": "Customer retention: % of the cohort active k periods after acquisition",
    "unbounded": "Unbounded retention: % of the cohort active in period k or later",
    "revenue": "Revenue retention: revenue in period k / revenue in period 0 (%)",
    "cumulative_revenue": "Cumulative revenue per customer",
}
MAX_HEATMAPS = 6


def cohorts(svc: WorkspaceService, f: Filters) -> dict[str, Any]:
    kind = f.kind or "customers"
    kwargs = {
        "period": f.period,
        "kind": kind,
        "start": f.start,
        "end": f.end,
        "segment": f.segment,
        "customer_definition": None,
    }
    frame = svc.cached(("cohorts", kwargs), lambda ws: ws.cohorts(**kwargs))
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
        "segment_options": _segment_options(svc),
        "cohorts": int(frame["cohort"].nunique()) if len(frame) else 0,
        "customers": int(frame.groupby("cohort")["size"].first().sum()) if len(frame) else 0,
    }


#: The CLV page uses the defaults of GET /api/clv (one year ahead in weeks, BG/NBD + Gamma-Gamma).
CLV_DEFAULTS: dict[str, Any] = {
    "horizon": 52.0,
    "model": "bgnbd",
    "spend_model": "gamma-gamma",
    "time_unit": "week",
    "observation_end": None,
    "margin": 1.0,
    "discount_rate": 0.01,
    "penalizer": 0.0,
}
TOP_CUSTOMERS = 25


def clv(svc: WorkspaceService, f: Filters) -> dict[str, Any]:
    import numpy as np

    kwargs = dict(CLV_DEFAULTS)
    frame = svc.cached(("clv", kwargs), lambda ws: ws.clv(**kwargs), lane="slow")
    currency = _currency(svc)
    values = frame["clv"].astype("float64").dropna()
    figures = []
    stats: list[tuple[str, str]] = []
    if len(values):
        cap = float(np.quantile(values, 0.99))
        shown = values.clip(upper=cap)
        figures.append(
            charts.histogram(
                f"CLV over the next 52 weeks ({currency}); values above the 99th percentile "
                f"({cap:,.0f}) in the last bin",
                shown.tolist(),
                nbins=40,
            )
        )
        ordered = np.sort(values.to_numpy())[::-1]
        top10 = ordered[: max(1, len(ordered) // 10)].sum() / ordered.sum() * 100
        stats = [
            ("Customers", f"{len(values):,}"),
            ("Total CLV", fmt_value(values.sum(), "money", currency)),
            ("Mean", fmt_value(values.mean(), "money", currency)),
            ("Median", fmt_value(values.median(), "money", currency)),
            ("90th percentile", fmt_value(np.quantile(values, 0.9), "money", currency)),
            ("Share of the top 10 %", f"{top10:.1f}%"),
        ]
        if "p_alive" in frame.columns:
            figures.append(
                charts.histogram(
                    "Probability alive", frame["p_alive"].astype("float64").tolist(), nbins=20
                )
            )
    tiers = _clv_tiers(svc, currency)
    if tiers:
        figures.append(
            charts.bars(
                "Customers and revenue by CLV tier (% of total)",
                [t["tier"] for t in tiers],
                {
                    "Customers": [t["share_n"] for t in tiers],
                    "Revenue": [t["revenue_share_n"] for t in tiers],
                },
                stacked=False,
            )
        )
    top = frame.sort_values("clv", ascending=False).head(TOP_CUSTOMERS)
    rows = [
        {
            "customer_id": r["customer_id"],
            "clv": fmt_value(r["clv"], "money"),
            "expected_purchases": fmt_value(r.get("expected_purchases"), "ratio"),
            "p_alive": fmt_value(_pct(r.get("p_alive")), "%"),
            "frequency": r.get("frequency"),
        }
        for r in top.to_dict("records")
    ]
    return {"figures": figures, "stats": stats, "tiers": tiers, "rows": rows, "currency": currency}


def _pct(value: Any) -> float | None:
    v = _num(value)
    return None if v is None else v * 100


def _clv_tiers(svc: WorkspaceService, currency: str) -> list[dict[str, Any]]:
    """CLV tiers from the segments library (scheme ``clv_tier``) when it provides them."""
    from retentionkit.errors import RetentionkitError

    if "segments" not in available_features():
        return []
    try:
        frame = svc.cached(("segments", {"scheme": "clv_tier"}), lambda ws: ws.segments("clv_tier"))
    except RetentionkitError:
        return []
    out = []
    for rec in frame.to_dict("records"):
        out.append(
            {
                "tier": str(rec.get("segment", "")),
                "customers": fmt_value(rec.get("customers"), "count"),
                "share_n": _num(rec.get("share")),
                "revenue_share_n": _num(rec.get("revenue_share")),
                "share": fmt_value(rec.get("share"), "%"),
                "revenue": fmt_value(rec.get("revenue"), "money", currency),
            }
        )
    return out


#: The at-risk page uses the defaults of GET /api/churn/at-risk (the 100 customers with the most
#: value at risk over a 90-day horizon).
AT_RISK_DEFAULTS: dict[str, Any] = {
    "as_of": None,
    "horizon": "90d",
    "top": 100,
    "method": "auto",
    "sort": "value_at_risk",
}


def at_risk(svc: WorkspaceService, f: Filters) -> dict[str, Any]:
    kwargs = dict(AT_RISK_DEFAULTS)
    frame = svc.cached(("churn", kwargs), lambda ws: ws.churn(**kwargs), lane="slow")
    currency = _currency(svc)
    rows = []
    for rec in frame.to_dict("records"):
        reasons = rec.get("reasons")
        if isinstance(reasons, str):
            reasons = [reasons]
        risk = _num(rec.get("risk"))
        var = _num(rec.get("value_at_risk"))
        rows.append(
            {
                "customer_id": rec["customer_id"],
                "risk": fmt_value(_pct(risk), "%"),
                "risk_raw": "" if risk is None else f"{risk:.6f}",
                "value_at_risk": fmt_value(var, "money"),
                "var_raw": "" if var is None else f"{var:.4f}",
                "reasons": [str(r) for r in (reasons or [])],
                "segment": rec.get("segment") or "",
            }
        )
    figures = []
    if len(frame):
        by = (
            frame.groupby("segment", dropna=False)["value_at_risk"]
            .agg(["sum", "count"])
            .sort_values("sum", ascending=False)
        )
        figures.append(
            charts.bars(
                f"Value at risk by segment, top {len(frame)} customers ({currency})",
                [str(i) for i in by.index],
                {"Value at risk": by["sum"].tolist()},
                horizontal=True,
                height=max(240, 30 * len(by) + 90),
            )
        )
        figures.append(
            charts.histogram(
                "Risk of these customers (%)",
                [None if v is None else v * 100 for v in map(_num, frame["risk"])],
                nbins=20,
            )
        )
    total = _num(frame["value_at_risk"].sum()) if len(frame) else 0.0
    return {
        "rows": rows,
        "figures": figures,
        "total": fmt_value(total, "money", currency),
        "count": len(rows),
        "currency": currency,
        "horizon": kwargs["horizon"],
    }


SEGMENT_SCHEMES = ("rfm", "rfm_score", "clv_tier")


def segments(svc: WorkspaceService, f: Filters) -> dict[str, Any]:
    scheme = f.segment or "rfm"
    key = {"scheme": scheme, "as_of": None, "per_customer": False}
    lane = "slow" if scheme == "clv_tier" else "main"
    frame = svc.cached(("segments", key), lambda ws: ws.segments(scheme), lane=lane)
    currency = _currency(svc)
    labels = frame["segment"].astype(str).tolist()
    figures = [
        charts.bars(
            f"Customers and revenue by {scheme} segment (% of total)",
            labels,
            {
                "Customers": frame["share"].tolist(),
                "Revenue": frame["revenue_share"].tolist(),
            },
            stacked=False,
            horizontal=True,
            height=max(260, 40 * len(labels) + 90),
        )
    ]
    rows = []
    for rec in frame.to_dict("records"):
        rows.append(
            {
                "segment": rec["segment"],
                "customers": fmt_value(rec.get("customers"), "count"),
                "share": fmt_value(rec.get("share"), "%"),
                "revenue": fmt_value(rec.get("revenue"), "money"),
                "revenue_share": fmt_value(rec.get("revenue_share"), "%"),
                "orders": fmt_value(rec.get("orders_per_customer"), "ratio"),
                "aov": fmt_value(rec.get("average_order_value"), "money"),
                "recency": fmt_value(rec.get("days_since_last_order"), "ratio"),
            }
        )
    options = list(SEGMENT_SCHEMES) + [o for o in _segment_options(svc) if o not in SEGMENT_SCHEMES]
    return {
        "figures": figures,
        "rows": rows,
        "scheme": scheme,
        "segment": scheme,
        "segment_options": options,
        "currency": currency,
    }


# --------------------------------------------------------------------------- registry
@dataclass(frozen=True)
class Page:
    slug: str
    path: str
    title: str
    build: Callable[[WorkspaceService, Filters], dict[str, Any]]
    feature: str | None = None  # the Workspace method the page needs
    default_period: str = "month"
    periods: tuple[str, ...] = PERIOD_CHOICES
    lane: str = "main"  # where its slowest call runs (warm-up order)
    options: dict[str, Any] = field(default_factory=dict)


PAGES: list[Page] = [
    Page("overview", "/", "Overview", overview),
    Page("trends", "/trends", "Trends", trends),
    Page(
        "cohorts", "/cohorts", "Cohorts", cohorts, "cohorts", periods=("week", "month", "quarter")
    ),
    Page("mrr", "/mrr", "MRR movements", mrr),
    Page("feedback", "/feedback", "NPS & CSAT", feedback, default_period="quarter"),
    Page("clv", "/clv", "CLV", clv, "clv", periods=(), lane="slow"),
    Page("at-risk", "/at-risk", "At risk", at_risk, "churn", periods=(), lane="slow"),
    Page("segments", "/segments", "Segments", segments, "segments", periods=()),
]


def pages_for(features: set[str] | None = None) -> list[Page]:
    """The pages whose library function exists."""
    have = available_features() if features is None else features
    return [p for p in PAGES if p.feature is None or p.feature in have]


def warm(svc: WorkspaceService, lane: str | None = None) -> None:
    """Fill the cache with the default view of every page (and the period switch); with
    ``lane``, only the pages whose slow call runs there."""
    for page in pages_for():
        if lane is not None and page.lane != lane:
            continue
        periods = PERIOD_CHOICES if page.slug in ("overview", "trends") else (page.default_period,)
        for period in periods:
            try:
                page.build(svc, Filters(period=period))
            except Exception:  # a page without its tables: it will explain itself
                continue
