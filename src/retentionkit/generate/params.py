"""The knobs of the synthetic business, with their defaults.

Every number the generator uses lives here, so a test, a benchmark or a curious user can change
one assumption without touching the simulation code. ``docs/generator.md`` explains each one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Acquisition channels (customers.channel, acquisition_costs.channel, orders.channel).
CHANNELS: tuple[str, ...] = ("organic", "paid_search", "social", "referral", "email", "affiliate")

#: Countries of customers (ISO 3166 alpha-2).
COUNTRIES: tuple[str, ...] = ("US", "GB", "DE", "FR", "PL", "NL", "ES", "IT", "CA", "AU", "SE")

#: Product categories of orders (orders.category).
CATEGORIES: tuple[str, ...] = ("apparel", "electronics", "home", "beauty", "sports", "books")

#: Subscription plans and their monthly list price.
PLANS: tuple[str, ...] = ("basic", "pro", "business")

#: Cost categories of acquisition_costs (SPEC §2).
COST_CATEGORIES: tuple[str, ...] = (
    "marketing",
    "salaries",
    "software",
    "professional_services",
    "overhead",
)

KINDS: tuple[str, ...] = ("ecommerce", "saas", "both")


def _months(values: tuple[float, ...]) -> tuple[float, ...]:
    if len(values) != 12:
        raise ValueError("a seasonal profile needs 12 monthly values (January first)")
    return values


@dataclass(frozen=True)
class BusinessParams:
    """Assumptions of the synthetic business (defaults give a plausible mid-size shop/SaaS).

    Rates are per customer; "per month" means per 30.4375 days. Probabilities are in [0, 1].
    """

    # --- acquisition ----------------------------------------------------------------------
    #: Month-over-month growth of new customers (0.02 = +2 % a month).
    acquisition_growth: float = 0.02
    #: Seasonal multiplier of sign-ups by calendar month (January first).
    acquisition_seasonality: tuple[float, ...] = field(
        default=_months((1.15, 0.95, 0.95, 0.95, 0.95, 0.9, 0.85, 0.9, 1.0, 1.05, 1.2, 1.25))
    )
    channel_weights: tuple[float, ...] = (0.30, 0.25, 0.15, 0.10, 0.08, 0.12)
    country_weights: tuple[float, ...] = (
        0.35,
        0.12,
        0.11,
        0.09,
        0.07,
        0.05,
        0.05,
        0.05,
        0.05,
        0.04,
        0.02,
    )
    #: Multiplier of the dropout probability by acquisition channel (referrals stay longer).
    channel_loyalty: tuple[float, ...] = (0.9, 1.2, 1.15, 0.7, 0.85, 1.25)

    # --- orders (BG/NBD) --------------------------------------------------------------------
    #: Shape r of the gamma distribution of purchase rates (smaller = more heterogeneous).
    purchase_rate_shape: float = 0.6
    #: Mean repeat-purchase rate of an alive customer, orders per month.
    purchase_rate_per_month: float = 2.0
    #: Beta(a, b) of the per-customer dropout probability after each repeat purchase.
    dropout_a: float = 0.9
    dropout_b: float = 7.0
    #: Seasonal multiplier of the purchase rate by calendar month (the December peak).
    order_seasonality: tuple[float, ...] = field(
        default=_months((0.85, 0.85, 0.95, 0.95, 1.0, 0.95, 0.9, 0.95, 1.0, 1.05, 1.4, 1.8))
    )
    #: Channel mix of repeat orders that do not come through the customer's own channel.
    repeat_channel_weights: tuple[float, ...] = (0.40, 0.10, 0.10, 0.05, 0.30, 0.05)
    #: Share of repeat orders placed through the customer's acquisition channel.
    own_channel_share: float = 0.5
    #: Share of dropped-out customers who come back after a long pause.
    reactivation_share: float = 0.06
    #: Pause before a reactivation, in days (uniform between the two).
    reactivation_pause_days: tuple[float, float] = (150.0, 360.0)

    # --- spend --------------------------------------------------------------------------
    #: Median of the per-customer mean order value (lognormal across customers).
    spend_median: float = 55.0
    #: Sigma of log(mean order value) across customers (heavy right tail).
    spend_sigma: float = 0.65
    #: Shape of the gamma noise of one order around the customer's mean (larger = tighter).
    order_value_shape: float = 5.0
    category_weights: tuple[float, ...] = (0.30, 0.15, 0.18, 0.15, 0.12, 0.10)
    category_price: tuple[float, ...] = (0.9, 1.7, 1.1, 0.6, 1.0, 0.4)
    #: Relative return propensity by category (apparel is returned most).
    category_returns: tuple[float, ...] = (2.4, 0.9, 0.8, 0.4, 0.8, 0.2)
    #: Share of orders returned (by count).
    return_rate: float = 0.05
    #: Delivery time in days: 1 + gamma(shape, scale), capped at 7.
    delivery_shape: float = 2.0
    delivery_scale: float = 1.0

    # --- subscriptions ------------------------------------------------------------------
    plan_prices: tuple[float, ...] = (29.0, 79.0, 199.0)
    plan_weights: tuple[float, ...] = (0.5, 0.35, 0.15)
    #: Share of subscriptions billed annually (annual price = 10 monthly prices).
    annual_share: float = 0.25
    annual_months_paid: float = 10.0
    #: Share of customers who subscribe when kind="both" (all do when kind="saas").
    subscriber_share: float = 0.30
    #: Cancellation probability at each monthly renewal, by plan.
    monthly_churn: tuple[float, ...] = (0.045, 0.03, 0.02)
    #: Cancellation probability at each annual renewal, by plan.
    annual_churn: tuple[float, ...] = (0.2, 0.15, 0.1)
    #: Churn multiplier during the first three monthly terms (early churn).
    early_churn_factor: float = 1.6
    #: Probability of moving one plan up / down at a monthly renewal (x4 at an annual one).
    upgrade_probability: float = 0.02
    downgrade_probability: float = 0.01
    #: Probability that a cancelling customer comes back with a new subscription later.
    winback_probability: float = 0.1
    winback_months: tuple[int, int] = (2, 9)
    #: Share of subscribers who add a second, concurrent subscription.
    second_subscription_share: float = 0.08

    # --- customer risk (shared by churn, tickets and survey scores) -------------------------
    #: Sigma of the lognormal churn-risk multiplier of a customer (mean 1).
    risk_sigma: float = 0.6

    # --- feedback -----------------------------------------------------------------------
    #: NPS answers per alive customer-month (quarterly survey x response rate).
    nps_rate_per_month: float = 0.05
    #: Share of delivered orders followed by a CSAT answer / a "would_buy_again" answer.
    csat_order_share: float = 0.04
    would_buy_again_share: float = 0.02
    #: Share of resolved tickets followed by a CSAT answer.
    csat_ticket_share: float = 0.35
    #: Mean NPS score of a loyal customer, the drop for an eventual churner and the extra drop
    #: in the last ``churn_warning_days`` before churning.
    nps_mean: float = 8.9
    nps_churner_drop: float = 1.2
    nps_near_churn_drop: float = 1.5
    churn_warning_days: float = 120.0
    comment_share: float = 0.15

    # --- tickets --------------------------------------------------------------------------
    #: Tickets per alive customer-month (ecommerce, saas); churners open ``x churner factor``.
    ticket_rate_ecommerce: float = 0.04
    ticket_rate_saas: float = 0.15
    ticket_churner_factor: float = 2.5
    #: Resolution time: lognormal with this median (hours) and sigma.
    resolution_median_hours: float = 8.0
    resolution_sigma: float = 1.1
    #: Share of tickets forgotten (never resolved).
    stale_ticket_share: float = 0.01

    # --- acquisition costs -----------------------------------------------------------------
    #: Marketing cost per new customer by channel (organic = content and SEO).
    channel_cpa: tuple[float, ...] = (10.0, 55.0, 45.0, 20.0, 8.0, 35.0)
    #: Other cost categories per average new customer of the month (salaries, software,
    #: professional services, overhead).
    fixed_cost_per_customer: tuple[float, ...] = (18.0, 4.0, 2.5, 4.0)
