"""What every dashboard page shares: the filters, KPI labels, the metric request of a page and
small helpers over the metric frame. Numbers are formatted by
:mod:`retentionkit.service.serialize` (the same functions as the CLI's tables).

Pages only build requests (:mod:`retentionkit.service.requests`), run them through the web
:class:`~retentionkit.web.service.WorkspaceService` (cached per request) and shape the result
into a plain dict for the Jinja templates — for the live dashboard and the HTML report alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from retentionkit.service.requests import MetricRequest
from retentionkit.service.serialize import fmt_delta, fmt_value, money_column, number

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from retentionkit.web.service import WorkspaceService

__all__ = [
    "OVERVIEW_KPIS",
    "PERIOD_CHOICES",
    "Filters",
    "currency_of",
    "delta_class",
    "fmt_delta",
    "fmt_value",
    "health",
    "label_of",
    "metric_request",
    "money_column",
    "number",
    "pct",
    "segment_options",
    "series",
    "spec_of",
    "usable_metrics",
    "x_axis",
]

#: KPI cards of the overview, in order (only those that apply to the workspace are shown).
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
#: The period switch of the KPI pages.
PERIOD_CHOICES = ("month", "quarter", "year")


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


def metric_request(f: Filters, metrics: list[str] | None, **extra: Any) -> MetricRequest:
    """The :class:`MetricRequest` of a page: the filters' period and range plus ``extra``
    (equal to the request GET /api/metrics builds for the same options, so both share cache
    entries)."""
    return MetricRequest(
        metrics=tuple(metrics) if metrics else None,
        period=f.period,
        start=f.start,
        end=f.end,
        **extra,
    )


def usable_metrics(svc: WorkspaceService, names: list[str]) -> list[str]:
    """``names`` that apply to the workspace: the registry's answer for its tables and customer
    definition (the engine's own choice, so a subscriptions-only workspace keeps crr, churn
    and the customer counts)."""
    from retentionkit.metrics import registry

    tables = svc.tables()
    names_ok = set(registry.applicable_metrics(tables, svc.customer_definition()))
    return [n for n in names if n in names_ok]


def spec_of(name: str) -> Any:
    from retentionkit.metrics.registry import get_metric

    return get_metric(name)


def label_of(name: str) -> str:
    """A KPI's display name: the registry's ``label``."""
    return str(spec_of(name).label)


def health(value: Any) -> str:
    return value if isinstance(value, str) and value else "none"


def delta_class(delta: Any, higher_is_better: bool | None) -> str:
    d = number(delta)
    if d is None or d == 0 or higher_is_better is None:
        return "neutral"
    return "better" if (d > 0) == higher_is_better else "worse"


def pct(value: Any) -> float | None:
    v = number(value)
    return None if v is None else v * 100


def x_axis(frame: pd.DataFrame) -> list[str]:
    return [ts.strftime("%Y-%m-%d") for ts in frame["period_start"]]


def partial_x(frame: pd.DataFrame) -> set[str]:
    """The x labels (:func:`x_axis`) of the periods the data do not fully cover, which the
    charts mark (docs/metrics.md, Complete periods)."""
    if "complete" not in frame or frame.empty:
        return set()
    part = frame[~frame["complete"].astype(bool)]
    return set(x_axis(part))


def last_complete(part: pd.DataFrame) -> pd.Series:
    """The last complete period's record of one metric's series (the last record when none is
    complete): what a KPI card, its health and its comparisons show."""
    whole = part[part["complete"].astype(bool)] if "complete" in part else part
    return (whole if not whole.empty else part).iloc[-1]


def small_n(n: Any, min_n: int) -> str:
    """ "n = k" when a rate's denominator is below the minimum for a health colour, else ""."""
    value = number(n)
    return f"n = {int(value)}" if value is not None and value < min_n else ""


def series(frame: pd.DataFrame, metric: str, segment: str = "all") -> pd.DataFrame:
    part = frame[(frame["metric"] == metric) & (frame["segment"] == segment)]
    return part.sort_values("period_start")


def currency_of(svc: WorkspaceService) -> str:
    return svc.ws.settings.currency


def segment_options(svc: WorkspaceService) -> list[str]:
    def build(ws: Any) -> list[str]:
        from retentionkit.segments.resolve import available_attributes

        return ["cohort", *[a for a in available_attributes(ws) if a != "cohort"]]

    try:
        return svc.cached(("segment_options",), build)
    except Exception:  # pragma: no cover - no data yet
        return []
