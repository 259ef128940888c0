"""Every component family, declared once: what it produces, what it requires, how it is made.

The engine asks ``FAMILIES[name].plan(q)`` for the queries and finishing step of a family and
runs each family at most once per request; families that reuse another family's frame say so
in their plan (``uses``), which is how one pass feeds several families:

* a monthly report takes its customer counts from the lifespan's monthly counts (one query);
* activity customers with the reporting period as window carry the order components (one
  pass over the orders grouped per customer and period);
* the order components feed revenue and return_rate (whose sold quantity is a plain group-by
  of its own, so the per-customer passes carry no quantity); one window over consecutive orders
  feeds second_purchase and gaps; the lifespan and order (or MRR) components feed clv, and
  clv feeds cac.
"""

from __future__ import annotations

import pandas as pd

from retentionkit.metrics import (
    acquisition,
    customers,
    feedback,
    model_clv,
    orders,
    subscriptions,
    support,
)
from retentionkit.metrics.family import CUSTOMER_SOURCE, KEYS, Family, Frames, Plan, merge
from retentionkit.metrics.query import MetricQuery

ORDER_COLUMNS = tuple(c for c in customers.ORDER_COLUMNS if c not in KEYS)
LIFESPAN_COLUMNS = ("mean_monthly_churn_rate", "months")
#: Components of the clv family that depend on the definition or the ``clv_model`` option.
CLV_OPTIONAL = (
    "monthly_revenue_per_buyer",
    "order_amount",
    "orders",
    "buyers",
    "mrr",
    "paying_customers",
    "model_clv",
    "model_customers",
)


def _orders_plan(q: MetricQuery) -> Plan:
    if customers.shares_order_pass(q):
        return customers.orders_from_customers_plan(q)
    return orders.orders_plan(q)


def _monthly_orders_plan(q: MetricQuery) -> Plan:
    """The order components per month over the lifespan's months (out of the monthly
    customer pass when it carries them)."""
    if customers.shares_order_pass(q):
        return Plan(
            uses=("monthly_customers",),
            finish=lambda got: customers.order_columns(got["monthly_customers"]),
        )
    return orders.orders_plan(q.with_grid(customers.lifespan_grid(q)))


def monthly_revenue_per_buyer(q: MetricQuery, monthly: pd.DataFrame) -> pd.DataFrame:
    """Revenue per buyer per month (order amounts_m / buyers_m), averaged over the same 6
    complete months as the lifespan (:func:`customers.trailing_months`): the simple CLV is
    computed per month whatever the reporting period, so a month, a quarter and a year that
    end on the same day give the same CLV."""
    rpb = monthly["order_amount"].astype("float64") / monthly["buyers"].astype("float64")
    priced = monthly["orders_without_amount"].fillna(0).to_numpy() == 0
    monthly = monthly.assign(rpb=rpb.where(priced))  # a month with unpriced orders: unknown
    return customers.trailing_means(q, monthly, {"monthly_revenue_per_buyer": "rpb"}, None)


def _clv_plan(q: MetricQuery) -> Plan:
    """Lifespan, plus the order components (activity) or MRR (contractual), plus the model
    components with the ``clv_model`` option."""
    modelled = bool(q.options.get("clv_model"))
    contractual = q.customer_definition == "contractual"
    value_family = "mrr" if contractual else "orders"
    value_cols = (
        ["mrr", "paying_customers"] if contractual else ["orders", "buyers", "order_amount"]
    )

    def finish(got: Frames) -> pd.DataFrame:
        parts = [got["lifespan"]]
        if modelled:
            parts.append(got["model_clv"])
        parts.append(got[value_family][[*KEYS, *value_cols]])
        if not contractual:
            parts.append(monthly_revenue_per_buyer(q, got["monthly_orders"]))
        return merge(*parts)

    monthly = () if contractual else ("monthly_orders",)
    uses = ("lifespan", *(("model_clv",) if modelled else ()), value_family, *monthly)
    return Plan(uses=uses, finish=finish)


def _cac_plan(q: MetricQuery) -> Plan:
    """Acquired customers and costs, with the clv components (for ltv_cac and payback)."""
    return Plan(
        uses=("customers", "costs", "clv"),
        finish=lambda got: merge(got["customers"][[*KEYS, "acquired"]], got["costs"], got["clv"]),
    )


_FAMILIES = [
    Family(
        name="monthly_customers",
        description="Customer counts per month over the report and the 6 months before it",
        produces=customers.CUSTOMER_COLUMNS,
        requires=(CUSTOMER_SOURCE,),
        plan=customers.monthly_customers_plan,
    ),
    Family(
        name="customers",
        description="Customers at the start and end of each period and their movements",
        produces=customers.CUSTOMER_COLUMNS,
        requires=(CUSTOMER_SOURCE,),
        plan=customers.report_customers_plan,
    ),
    Family(
        name="lifespan",
        description="Mean monthly churn rate over the 6 whole months before each period end",
        produces=LIFESPAN_COLUMNS,
        requires=(CUSTOMER_SOURCE,),
        plan=customers.lifespan_plan,
        nullable=("mean_monthly_churn_rate",),
    ),
    Family(
        name="monthly_orders",
        description="Orders, buyers and amounts per month over the lifespan's months",
        produces=ORDER_COLUMNS,
        requires=("orders",),
        plan=_monthly_orders_plan,
    ),
    Family(
        name="orders",
        description="Orders, buyers, amounts and repeat buyers per period",
        produces=ORDER_COLUMNS,
        requires=("orders",),
        plan=_orders_plan,
    ),
    Family(
        name="sold",
        description="Sold quantity and orders with a quantity per period (for the return rate)",
        produces=("sold_quantity", "orders_with_quantity"),
        requires=("orders",),
        plan=orders.sold_plan,
    ),
    Family(
        name="returns",
        description="Returns per period of the return date (none without a returns table)",
        produces=tuple(orders.RETURN_COLUMNS),
        requires=("orders",),
        plan=orders.returns_plan,
    ),
    Family(
        name="revenue",
        description="Order amounts and returned amounts, each on its own date",
        produces=("orders", "order_amount", "orders_without_amount", "returned_amount"),
        requires=("orders",),
        plan=orders.revenue_plan,
    ),
    Family(
        name="return_rate",
        description="Returned and sold quantity (or amount when quantities are missing)",
        produces=("returned", "sold", "basis"),
        requires=("orders", "returns"),
        plan=orders.return_rate_plan,
        nullable=("basis",),
    ),
    Family(
        name="pairs",
        description="Consecutive orders of each customer (one window)",
        produces=(
            "pairs",
            "median_days",
            "mean_days",
            "customers",
            "second_median_days",
            "second_mean_days",
        ),
        requires=("orders",),
        plan=orders.pairs_plan,
        nullable=("median_days", "mean_days", "second_median_days", "second_mean_days"),
    ),
    Family(
        name="second_purchase",
        description="Days from first to second order",
        produces=("customers", "median_days", "mean_days"),
        requires=("orders",),
        plan=orders.second_purchase_plan,
        nullable=("median_days", "mean_days"),
    ),
    Family(
        name="gaps",
        description="Days between consecutive orders",
        produces=("pairs", "median_days", "mean_days"),
        requires=("orders",),
        plan=orders.gaps_plan,
        nullable=("median_days", "mean_days"),
    ),
    Family(
        name="processing",
        description="Days from ordered_at to delivered_at",
        produces=("delivered", "median_days", "mean_days"),
        requires=("orders",),
        plan=orders.processing_plan,
        nullable=("median_days", "mean_days"),
    ),
    Family(
        name="nps",
        description="NPS answers by bucket",
        produces=("promoters", "passives", "detractors", "responses"),
        requires=("survey_responses",),
        plan=feedback.nps_plan,
    ),
    Family(
        name="csat",
        description="CSAT answers and satisfied answers",
        produces=("satisfied", "responses"),
        requires=("survey_responses",),
        plan=feedback.csat_plan,
    ),
    Family(
        name="survey_rate",
        description="Answers of a custom survey at or above a threshold",
        produces=("at_or_above", "responses", "survey", "threshold"),
        requires=("survey_responses",),
        plan=feedback.survey_rate_plan,
        nullable=("survey", "threshold"),
        constants=("survey", "threshold"),
    ),
    Family(
        name="mrr",
        description="MRR at both ends of each period and its movements",
        produces=(
            "start_mrr",
            "mrr",
            "paying_start",
            "paying_customers",
            "new_mrr",
            "reactivation_mrr",
            "expansion_mrr",
            "contraction_mrr",
            "churned_mrr",
            "new_subscribers",
            "churned_subscribers",
        ),
        requires=("subscriptions",),
        plan=subscriptions.mrr_plan,
    ),
    Family(
        name="renewal",
        description="Terms due and renewed within the grace period",
        produces=("due", "renewed"),
        requires=("subscriptions",),
        plan=subscriptions.renewal_plan,
    ),
    Family(
        name="costs",
        description="Acquisition costs with the breakdown by category",
        produces=("costs", "costs_by_category"),
        requires=("acquisition_costs",),
        plan=acquisition.costs_plan,
        nullable=("costs", "costs_by_category"),
    ),
    Family(
        name="model_clv",
        description="Mean model-predicted CLV of the customers at each period end",
        produces=("model_clv", "model_customers"),
        requires=(CUSTOMER_SOURCE,),
        plan=model_clv.model_clv_plan,
        nullable=("model_clv",),
    ),
    Family(
        name="clv",
        description="Lifespan with the order (or MRR) and model components",
        produces=LIFESPAN_COLUMNS,
        optional=CLV_OPTIONAL,
        requires=(CUSTOMER_SOURCE,),
        plan=_clv_plan,
        nullable=("mean_monthly_churn_rate", "model_clv", "monthly_revenue_per_buyer"),
    ),
    Family(
        name="cac",
        description="Acquired customers and acquisition costs, with the clv components",
        produces=("acquired", "costs", "costs_by_category", *LIFESPAN_COLUMNS),
        optional=CLV_OPTIONAL,
        requires=("acquisition_costs", CUSTOMER_SOURCE),
        plan=_cac_plan,
        nullable=(
            "costs",
            "costs_by_category",
            "mean_monthly_churn_rate",
            "model_clv",
            "monthly_revenue_per_buyer",
        ),
    ),
    Family(
        name="resolution",
        description="Hours from opened_at to resolved_at",
        produces=("resolved", "median_hours", "mean_hours"),
        requires=("tickets",),
        plan=support.resolution_plan,
        nullable=("median_hours", "mean_hours"),
    ),
    Family(
        name="open_tickets",
        description="Tickets open at each period end",
        produces=("open_tickets", "open_over_48h"),
        requires=("tickets",),
        plan=support.open_tickets_plan,
    ),
]

FAMILIES: dict[str, Family] = {family.name: family for family in _FAMILIES}


def get_family(name: str) -> Family:
    """The declaration of family ``name`` (a programming error if unknown)."""
    return FAMILIES[name]
