"""The overview page: one card per KPI of the workspace (value, health, change on the previous
period and on a year before, sparkline) and the customers / revenue / retention charts.

The cards show the last *complete* period (docs/metrics.md, Complete periods): a partial last
period (Online Retail's 9 days of December 2011) is named above the cards and marked in the
charts, never the headline. A rate whose ``n`` is below ``health_min_n`` shows "n = k" instead
of a health colour."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from retentionkit.metrics.periods import period_label
from retentionkit.pages import charts, goals
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
    number,
    partial_x,
    series,
    small_n,
    spec_of,
    usable_metrics,
    x_axis,
)

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.web.service import WorkspaceService


#: Points of a KPI card's sparkline.
SPARK_POINTS = 12


def _headline(periods: list[str]) -> str:
    """The period most cards show (the later one on a tie): each card shows its own last
    complete period, and a table that ends earlier than the others (Olist's orders end in
    August 2018, its reviews in October) must not name the page after its few cards."""
    if not periods:
        return ""
    counts = Counter(periods)
    return max(counts, key=lambda p: (counts[p], p))


def year_on_year(svc: WorkspaceService, f: Filters, kpis: list[str], frame: Any) -> Any:
    """The cards' change on a year before: without a start date the page's frame runs from the
    first period of the data, so the period a year before the headline is in it (or before
    the data, where the comparison is null either way) and the comparison is read from it
    (:func:`~retentionkit.metrics.engine.attach_comparison`, the engine's own) instead of a
    second pass over the orders; with a start date, a request extended a year back."""
    if f.start is None and len(frame):
        from retentionkit.metrics.engine import attach_comparison
        from retentionkit.metrics.periods import PERIODS_PER_YEAR

        return attach_comparison(frame, f.period, PERIODS_PER_YEAR[f.period])
    return svc.request(metric_request(f, kpis, compare="year", last=2)).frame


def build(svc: WorkspaceService, f: Filters) -> dict[str, Any]:
    kpis = usable_metrics(svc, OVERVIEW_KPIS)
    result = svc.request(metric_request(f, kpis, compare="previous"))
    frame = result.frame
    year = year_on_year(svc, f, kpis, frame)
    currency = currency_of(svc)
    min_n = svc.ws.settings.health_min_n
    cards = []
    latest = None
    partial: list[str] = []
    for name in kpis:
        part = series(frame, name)
        if part.empty:
            continue
        spec = spec_of(name)
        row = last_complete(part)
        latest = row["period_start"]
        # the periods after the card's that hold a (partial) value: what the card skips
        later = part[part["period_start"] > latest]
        partial.extend(
            period_label(p, f.period)
            for p, value in zip(later["period_start"], later["value"], strict=True)
            if number(value) is not None
        )
        yrow = series(year, name)
        yrow = yrow[yrow["period_start"] == latest]
        yrow = yrow.iloc[-1] if not yrow.empty else None
        n = row.get("n")
        spark = part["value"].tolist()[-SPARK_POINTS:]
        cards.append(
            {
                "name": name,
                "label": label_of(name),
                "description": spec.description,
                "value": fmt_value(row["value"], spec.unit, currency),
                "health": health(row["health"]),
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
                "small_n": small_n(n, min_n),
                "period": period_label(latest, f.period),
                "has_value": number(row["value"]) is not None,
            }
        )
    valued = [card["period"] for card in cards if card["has_value"]]
    headline = _headline(valued or [card["period"] for card in cards])
    for card in cards:  # a card whose data end earlier says which period it shows
        shown = card.pop("has_value") and card["period"] != headline
        card["other_period"] = card["period"] if shown else ""
    figures = []
    customers = [m for m in ("active_customers", "new_customers") if m in kpis]
    if customers:
        x = x_axis(series(frame, customers[0]))
        figures.append(
            charts.line(
                "Customers",
                x,
                {label_of(m): series(frame, m)["value"].tolist() for m in customers},
                "count",
                partial=partial_x(series(frame, customers[0])),
            )
        )
    money = [m for m in ("revenue", "mrr") if m in kpis]
    if money:
        x = x_axis(series(frame, money[0]))
        figures.append(
            charts.bars(
                f"Revenue ({currency})",
                x,
                {label_of(m): series(frame, m)["value"].tolist() for m in money},
                stacked=False,
                partial=partial_x(series(frame, money[0])),
            )
        )
    rates = [m for m in ("crr", "churn_rate") if m in kpis]
    if rates:
        x = x_axis(series(frame, rates[0]))
        figures.append(
            charts.line(
                "Retention and churn (%)",
                x,
                {label_of(m): series(frame, m)["value"].tolist() for m in rates},
                "%",
                partial=partial_x(series(frame, rates[0])),
            )
        )
    return {
        "cards": cards,
        "figures": figures,
        "latest": headline,
        "goals": goals.cards(svc),
        "partial": sorted(set(partial)),
        "notes": result.extra.get("notes", []),
    }
