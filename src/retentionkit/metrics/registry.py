"""The metric registry: every KPI declared once — name, description, unit, formula, the
component family that feeds it, source tables, direction and health band.

Adding a metric = one :class:`MetricSpec` here (plus its family if the components are new) and
its tests. Everything else (CLI, API, dashboard, report) asks the registry by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from retentionkit.errors import UnknownNameError
from retentionkit.metrics import formulas as f
from retentionkit.metrics.periods import MONTHS_PER_PERIOD

#: A formula over the component frame of one family: (frame, context) → values.
Formula = Callable[[pd.DataFrame, dict[str, Any]], Any]

#: Placeholder table: orders for the activity definition, subscriptions for contractual.
CUSTOMER_SOURCE = "@customers"


@dataclass(frozen=True)
class MetricSpec:
    name: str
    description: str
    unit: str  # "%", "count", "money", "days", "hours", "months", "ratio", "score"
    family: str
    components: tuple[str, ...]
    formula: Formula
    tables: tuple[str, ...]
    higher_is_better: bool | None = True
    source: str = "SPEC §4"
    #: Components computed from other components (shown so a user can redo the formula).
    derived: tuple[tuple[str, Formula], ...] = ()

    def source_tables(self, definition: str) -> tuple[str, ...]:
        sub = "subscriptions" if definition == "contractual" else "orders"
        return tuple(sub if t == CUSTOMER_SOURCE else t for t in self.tables)


def _col(name: str) -> Formula:
    return lambda frame, ctx: frame[name].astype("float64").to_numpy()


def _per_month(frame: pd.DataFrame, ctx: dict[str, Any]) -> Any:
    return f.purchase_frequency(frame["orders"], frame["buyers"]) / MONTHS_PER_PERIOD[ctx["period"]]


def _arpc_monthly(frame: pd.DataFrame, ctx: dict[str, Any]) -> Any:
    """ARPC per month: MRR / paying customers for subscriptions; for order data the revenue
    per buyer per month."""
    if ctx["definition"] == "contractual":
        return f.arpc(frame["mrr"], frame["paying_customers"])
    return f.safe_div(frame["order_amount"], frame["buyers"]) / MONTHS_PER_PERIOD[ctx["period"]]


def _clv(frame: pd.DataFrame, ctx: dict[str, Any]) -> Any:
    if ctx.get("clv_model"):
        return frame["model_clv"].astype("float64").to_numpy()
    lifespan = f.average_customer_lifespan(frame["mean_monthly_churn_rate"])
    margin = ctx["margin"]
    if ctx["definition"] == "contractual":
        return f.clv(f.arpc(frame["mrr"], frame["paying_customers"]), 1.0, lifespan, margin)
    apv = f.average_order_value(frame["order_amount"], frame["orders"])
    return f.clv(apv, _per_month(frame, ctx), lifespan, margin)


def _cac(frame: pd.DataFrame, ctx: dict[str, Any]) -> Any:
    return f.cac(frame["costs"].astype("float64"), frame["acquired"])


def _ltv_cac(frame: pd.DataFrame, ctx: dict[str, Any]) -> Any:
    return f.ltv_cac(_clv(frame, ctx), _cac(frame, ctx))


def _payback(frame: pd.DataFrame, ctx: dict[str, Any]) -> Any:
    return f.cac_payback_months(_cac(frame, ctx), _arpc_monthly(frame, ctx), ctx["margin"])


CUSTOMER_COMPONENTS = ("start", "end", "new", "reactivated", "retained", "lost")
ORDER_COMPONENTS = ("orders", "buyers", "order_amount")

_SPECS = [
    MetricSpec(
        "crr",
        "Customer retention rate: customers at the start still customers at the end",
        "%",
        "customers",
        CUSTOMER_COMPONENTS,
        lambda d, c: f.crr(d["start"], d["end"], d["new_and_reactivated"]),
        (CUSTOMER_SOURCE,),
    ),
    MetricSpec(
        "churn_rate",
        "Customer churn rate: lost customers / customers at the start "
        "(or the end with --churn-basis end)",
        "%",
        "customers",
        CUSTOMER_COMPONENTS,
        lambda d, c: f.churn_rate(d["lost"], d["start"], d["end"], c["churn_basis"]),
        (CUSTOMER_SOURCE,),
        higher_is_better=False,
    ),
    MetricSpec(
        "active_customers",
        "Customers at the period end (E)",
        "count",
        "customers",
        ("start", "end"),
        _col("end"),
        (CUSTOMER_SOURCE,),
    ),
    MetricSpec(
        "new_customers",
        "Customers whose first order (or first term) falls in the period",
        "count",
        "customers",
        ("acquired",),
        _col("acquired"),
        (CUSTOMER_SOURCE,),
    ),
    MetricSpec(
        "reactivated_customers",
        "Customers at the end who were not at the start and had been customers before",
        "count",
        "customers",
        ("reactivated", "new"),
        _col("reactivated"),
        (CUSTOMER_SOURCE,),
    ),
    MetricSpec(
        "lost_customers",
        "Customers at the start who are not at the end (L)",
        "count",
        "customers",
        ("start", "lost"),
        _col("lost"),
        (CUSTOMER_SOURCE,),
        higher_is_better=False,
    ),
    MetricSpec(
        "repeat_purchase_rate",
        "Buyers in the period with ≥ 2 orders placed before the period end / buyers × 100",
        "%",
        "orders",
        ("repeat_buyers", "buyers"),
        lambda d, c: f.repeat_purchase_rate(d["repeat_buyers"], d["buyers"]),
        ("orders",),
    ),
    MetricSpec(
        "purchase_frequency",
        "Orders per buyer in the period (APF); per month and per year in the components",
        "ratio",
        "orders",
        ("orders", "buyers"),
        lambda d, c: f.purchase_frequency(d["orders"], d["buyers"]),
        ("orders",),
    ),
    MetricSpec(
        "average_order_value",
        "Order amounts / orders in the period (APV)",
        "money",
        "orders",
        ("order_amount", "orders"),
        lambda d, c: f.average_order_value(d["order_amount"], d["orders"]),
        ("orders",),
    ),
    MetricSpec(
        "revenue",
        "Order amounts minus returned amounts, each on its own date",
        "money",
        "revenue",
        ("order_amount", "returned_amount", "orders"),
        lambda d, c: f.revenue(d["order_amount"], d["returned_amount"]),
        ("orders",),
    ),
    MetricSpec(
        "average_customer_lifespan",
        "1 / mean monthly churn rate over the trailing 6 months, in months (ChartMogul)",
        "months",
        "lifespan",
        ("mean_monthly_churn_rate", "months"),
        lambda d, c: f.average_customer_lifespan(d["mean_monthly_churn_rate"]),
        (CUSTOMER_SOURCE,),
        source="ChartMogul LTV convention",
    ),
    MetricSpec(
        "clv",
        "Simple CLV: APV × orders per customer per month × lifespan × margin "
        "(subscriptions: ARPC × lifespan × margin)",
        "money",
        "clv",
        ("order_amount", "orders", "buyers", "mean_monthly_churn_rate"),
        _clv,
        (CUSTOMER_SOURCE,),
    ),
    MetricSpec(
        "nps",
        "Net Promoter Score: % promoters (9–10) − % detractors (0–6) over the "
        "answers in the period",
        "score",
        "nps",
        ("promoters", "passives", "detractors", "responses"),
        lambda d, c: f.nps(d["promoters"], d["passives"], d["detractors"]),
        ("survey_responses",),
    ),
    MetricSpec(
        "csat",
        "Satisfied answers (top two points of the scale) / answers × 100",
        "%",
        "csat",
        ("satisfied", "responses"),
        lambda d, c: f.csat(d["satisfied"], d["responses"]),
        ("survey_responses",),
    ),
    MetricSpec(
        "survey_rate",
        "Share of a custom survey's answers at or above a threshold",
        "%",
        "survey_rate",
        ("at_or_above", "responses", "survey", "threshold"),
        lambda d, c: f.rate(d["at_or_above"], d["responses"]),
        ("survey_responses",),
    ),
    MetricSpec(
        "mrr",
        "Monthly recurring revenue of the terms running at the period end",
        "money",
        "mrr",
        ("mrr", "paying_customers"),
        _col("mrr"),
        ("subscriptions",),
    ),
    MetricSpec(
        "arpc",
        "Average revenue per paying customer = MRR / paying customers",
        "money",
        "mrr",
        ("mrr", "paying_customers"),
        lambda d, c: f.arpc(d["mrr"], d["paying_customers"]),
        ("subscriptions",),
    ),
    MetricSpec(
        "new_mrr",
        "MRR of customers paying for the first time",
        "money",
        "mrr",
        ("new_mrr", "new_subscribers"),
        _col("new_mrr"),
        ("subscriptions",),
    ),
    MetricSpec(
        "expansion_mrr",
        "MRR increase of customers paying at both ends",
        "money",
        "mrr",
        ("expansion_mrr",),
        _col("expansion_mrr"),
        ("subscriptions",),
    ),
    MetricSpec(
        "contraction_mrr",
        "MRR decrease of customers still paying at the end",
        "money",
        "mrr",
        ("contraction_mrr",),
        _col("contraction_mrr"),
        ("subscriptions",),
        higher_is_better=False,
    ),
    MetricSpec(
        "churned_mrr",
        "MRR at the start of customers paying nothing at the end",
        "money",
        "mrr",
        ("churned_mrr", "churned_subscribers"),
        _col("churned_mrr"),
        ("subscriptions",),
        higher_is_better=False,
    ),
    MetricSpec(
        "reactivation_mrr",
        "MRR of returning customers who had paid before",
        "money",
        "mrr",
        ("reactivation_mrr",),
        _col("reactivation_mrr"),
        ("subscriptions",),
    ),
    MetricSpec(
        "nrr",
        "Net revenue retention: (MRR₀ + expansion − contraction − churn) / MRR₀",
        "%",
        "mrr",
        ("start_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr"),
        lambda d, c: f.nrr(
            d["start_mrr"], d["expansion_mrr"], d["contraction_mrr"], d["churned_mrr"]
        ),
        ("subscriptions",),
    ),
    MetricSpec(
        "grr",
        "Gross revenue retention: (MRR₀ − contraction − churn) / MRR₀",
        "%",
        "mrr",
        ("start_mrr", "contraction_mrr", "churned_mrr"),
        lambda d, c: f.grr(d["start_mrr"], d["contraction_mrr"], d["churned_mrr"]),
        ("subscriptions",),
    ),
    MetricSpec(
        "cac",
        "Acquisition costs in the period / new customers in the period",
        "money",
        "cac",
        ("costs", "acquired", "costs_by_category"),
        _cac,
        ("acquisition_costs", CUSTOMER_SOURCE),
        higher_is_better=False,
    ),
    MetricSpec(
        "ltv_cac",
        "CLV / CAC",
        "ratio",
        "cac",
        ("costs", "acquired"),
        _ltv_cac,
        ("acquisition_costs", CUSTOMER_SOURCE),
        derived=(("clv", _clv), ("cac", _cac)),
    ),
    MetricSpec(
        "cac_payback_months",
        "CAC / (ARPC × gross margin), in months",
        "months",
        "cac",
        ("costs", "acquired"),
        _payback,
        ("acquisition_costs", CUSTOMER_SOURCE),
        higher_is_better=False,
        derived=(("cac", _cac), ("arpc", _arpc_monthly), ("margin", lambda d, c: c["margin"])),
    ),
    MetricSpec(
        "renewal_rate",
        "Terms due in the period that were renewed (next term within "
        "the grace period) / terms due × 100",
        "%",
        "renewal",
        ("renewed", "due"),
        lambda d, c: f.renewal_rate(d["renewed"], d["due"]),
        ("subscriptions",),
    ),
    MetricSpec(
        "time_to_second_purchase",
        "Median days from first to second order, over "
        "customers whose second order is in the period",
        "days",
        "second_purchase",
        ("customers", "median_days", "mean_days"),
        _col("median_days"),
        ("orders",),
        higher_is_better=False,
    ),
    MetricSpec(
        "time_between_purchases",
        "Median days between consecutive orders, over pairs whose later order is in the period",
        "days",
        "gaps",
        ("pairs", "median_days", "mean_days"),
        _col("median_days"),
        ("orders",),
        higher_is_better=False,
    ),
    MetricSpec(
        "return_rate",
        "Returned quantity / sold quantity × 100 (by amount when quantities are missing)",
        "%",
        "return_rate",
        ("returned", "sold", "basis"),
        lambda d, c: f.return_rate(d["returned"], d["sold"]),
        ("orders", "returns"),
        higher_is_better=False,
    ),
    MetricSpec(
        "order_processing_time",
        "Median days from ordered_at to delivered_at over orders delivered in the period",
        "days",
        "processing",
        ("delivered", "median_days", "mean_days"),
        _col("median_days"),
        ("orders",),
        higher_is_better=False,
    ),
    MetricSpec(
        "ticket_resolution_time",
        "Median hours from opened_at to resolved_at over tickets resolved in the period",
        "hours",
        "resolution",
        ("resolved", "median_hours", "mean_hours"),
        _col("median_hours"),
        ("tickets",),
        higher_is_better=False,
    ),
    MetricSpec(
        "open_tickets_over_48h",
        "Tickets open at the period end that were opened more than 48 hours before it",
        "count",
        "open_tickets",
        ("open_over_48h", "open_tickets"),
        _col("open_over_48h"),
        ("tickets",),
        higher_is_better=False,
    ),
]

REGISTRY: dict[str, MetricSpec] = {spec.name: spec for spec in _SPECS}
METRIC_NAMES: tuple[str, ...] = tuple(REGISTRY)


def get_metric(name: str) -> MetricSpec:
    """The spec of ``name``; an unknown name lists the valid ones."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownNameError(
            f"Unknown metric {name!r}; valid metrics: {', '.join(METRIC_NAMES)}."
        ) from None


def health(spec: MetricSpec, value: float | None, bands: dict[str, Any]) -> str | None:
    """Health label of a value: excellent / good / fair / poor, or None without a band.

    Up-is-good: value > excellent → excellent, ≥ good → good, < poor → poor, else fair.
    Down-is-good (churn, returns): value ≤ good → good, > poor → poor, else fair."""
    band = bands.get(spec.name)
    if band is None or value is None or not np.isfinite(value):
        return None
    if spec.higher_is_better is False:
        if band.good is not None and value <= band.good:
            return "good"
        if band.poor is not None and value > band.poor:
            return "poor"
        return "fair"
    if band.excellent is not None and value > band.excellent:
        return "excellent"
    if (
        band.good is not None
        and value >= band.good
        and not (band.poor is not None and band.good == band.poor and value == band.good)
    ):
        return "good"
    if band.poor is not None and value < band.poor:
        return "poor"
    return "fair"
