"""Pure KPI formulas (SPEC §4): numbers in, number out. One source of truth.

The engine computes the components with Ibis and calls these same functions (vectorised over
pandas Series or numpy arrays), and ``retentionkit calc`` calls them on numbers typed by hand.
Every function returns ``nan`` where the KPI is undefined (e.g. no customers at the start);
adapters turn that into ``null``. Rates are percentages (0–100); NPS is on −100…100.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np

Num = TypeVar("Num", float, "np.ndarray", Any)

__all__ = [
    "arpc",
    "average_customer_lifespan",
    "average_order_value",
    "cac",
    "cac_payback_months",
    "churn_rate",
    "clv",
    "clv_discounted",
    "crr",
    "csat",
    "grr",
    "ltv_cac",
    "mrr",
    "nps",
    "nrr",
    "purchase_frequency",
    "rate",
    "renewal_rate",
    "repeat_purchase_rate",
    "return_rate",
    "revenue",
    "safe_div",
]


def safe_div(numerator: Any, denominator: Any) -> Any:
    """numerator / denominator, ``nan`` where the denominator is 0 or missing."""
    num = np.asarray(numerator, dtype="float64")
    den = np.asarray(denominator, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where((den == 0) | np.isnan(den), np.nan, num / np.where(den == 0, 1, den))
    return out.item() if out.ndim == 0 else out


def rate(part: Any, whole: Any) -> Any:
    """part / whole × 100."""
    out = safe_div(part, whole)
    return out * 100


def crr(start: Any, end: Any, new: Any) -> Any:
    """Customer retention rate = (E − N) / S × 100.

    SPEC §4: S=3375, E=3500, N=200 → 97.78."""
    return rate(np.asarray(end, dtype="float64") - np.asarray(new, dtype="float64"), start)


def churn_rate(lost: Any, start: Any = None, end: Any = None, basis: str = "start") -> Any:
    """Customer churn rate = L / S × 100 (default) or L / E × 100 (``basis="end"``).

    SPEC §4: L=50, S=1000 → 5.00; L=50, E=3000 → 1.67."""
    if basis == "end":
        return rate(lost, end)
    return rate(lost, start)


def repeat_purchase_rate(returning: Any, customers: Any) -> Any:
    """Customers with ≥ 2 orders / customers with ≥ 1 order × 100. SPEC: 200 of 1000 → 20."""
    return rate(returning, customers)


def purchase_frequency(orders: Any, buyers: Any) -> Any:
    """Average purchase frequency (APF) = orders / distinct buyers."""
    return safe_div(orders, buyers)


def average_order_value(revenue_amount: Any, orders: Any) -> Any:
    """Average order value (APV) = order amounts / orders."""
    return safe_div(revenue_amount, orders)


def revenue(order_amount: Any, returned_amount: Any) -> Any:
    """Revenue = Σ order amounts − Σ returned amounts (each on its own date)."""
    return np.asarray(order_amount, dtype="float64") - np.nan_to_num(
        np.asarray(returned_amount, dtype="float64")
    )


def average_customer_lifespan(churn_rate_percent: Any) -> Any:
    """Average customer lifespan = 1 / churn rate (in the churn rate's period unit).

    ChartMogul's LTV convention; with a monthly churn rate the result is in months."""
    return safe_div(100.0, churn_rate_percent)


def clv(apv: Any, apf: Any, acl: Any, margin: Any = 1.0) -> Any:
    """Simple CLV = APV × APF × ACL × margin (APF and ACL in the same time unit).

    SPEC §4: 50 × 4/yr × 5 yr = 1000; subscription: 50/month × 24 months = 1200 (APF = 1)."""
    return (
        np.asarray(apv, dtype="float64")
        * np.asarray(apf, dtype="float64")
        * np.asarray(acl, dtype="float64")
        * np.asarray(margin, dtype="float64")
    )


def clv_discounted(monthly_margin: float, months: float, annual_discount_rate: float) -> float:
    """CLV with a discount rate d: Σ_{t=1..T} m / (1 + d_m)^t, monthly cash flows m over T
    months, d_m the monthly rate equivalent to the annual rate d. With d = 0 it is m × T."""
    if months <= 0 or not np.isfinite(months):
        return float("nan") if not np.isfinite(months) else 0.0
    whole = int(np.floor(months))
    monthly = (1.0 + annual_discount_rate) ** (1.0 / 12.0) - 1.0
    t = np.arange(1, whole + 1, dtype="float64")
    total = float(np.sum(monthly_margin / (1.0 + monthly) ** t))
    frac = months - whole
    if frac > 0:
        total += frac * monthly_margin / (1.0 + monthly) ** (whole + 1)
    return total


def nps(promoters: Any, passives: Any, detractors: Any) -> Any:
    """Net Promoter Score = %promoters (9–10) − %detractors (0–6) over all answers.

    SPEC §4: 1700/350/150 of 2200 → 70.45."""
    p = np.asarray(promoters, dtype="float64")
    total = p + np.asarray(passives, dtype="float64") + np.asarray(detractors, dtype="float64")
    return rate(p - np.asarray(detractors, dtype="float64"), total)


def csat(satisfied: Any, responses: Any) -> Any:
    """CSAT = satisfied answers / all answers × 100. SPEC §4: 400 of 500 → 80."""
    return rate(satisfied, responses)


def mrr(customers: Any, arpc_value: Any) -> Any:
    """MRR = paying customers × ARPC (the calculator form; the engine sums term MRR).

    SPEC §4: 100 customers × 50 → 5000."""
    return np.asarray(customers, dtype="float64") * np.asarray(arpc_value, dtype="float64")


def arpc(mrr_value: Any, paying_customers: Any) -> Any:
    """Average revenue per customer = MRR / paying customers."""
    return safe_div(mrr_value, paying_customers)


def nrr(start_mrr: Any, expansion: Any, contraction: Any, churned: Any) -> Any:
    """Net revenue retention = (MRR₀ + expansion − contraction − churn) / MRR₀ × 100, over the
    customers paying at the period start."""
    s = np.asarray(start_mrr, dtype="float64")
    kept = (
        s
        + np.asarray(expansion, dtype="float64")
        - np.asarray(contraction, dtype="float64")
        - np.asarray(churned, dtype="float64")
    )
    return rate(kept, s)


def grr(start_mrr: Any, contraction: Any, churned: Any) -> Any:
    """Gross revenue retention = (MRR₀ − contraction − churn) / MRR₀ × 100 (no expansion)."""
    return nrr(start_mrr, 0.0, contraction, churned)


def cac(costs: float | Sequence[float] | Any, new_customers: Any) -> Any:
    """Customer acquisition cost = Σ acquisition costs / new customers.

    SPEC §4: (1500 + 1000 + 175 + 125 + 50) / 700 → 4.07."""
    if isinstance(costs, (list, tuple)):
        costs = float(np.sum(np.asarray(costs, dtype="float64")))
    return safe_div(costs, new_customers)


def ltv_cac(clv_value: Any, cac_value: Any) -> Any:
    """LTV:CAC = CLV / CAC."""
    return safe_div(clv_value, cac_value)


def cac_payback_months(cac_value: Any, arpc_value: Any, margin: Any = 1.0) -> Any:
    """CAC payback = CAC / (ARPC × gross margin), in months."""
    return safe_div(
        cac_value, np.asarray(arpc_value, dtype="float64") * np.asarray(margin, dtype="float64")
    )


def renewal_rate(renewed: Any, due: Any) -> Any:
    """Renewal rate = terms due that were renewed / terms due × 100. SPEC: 16000/18400 → 86.96."""
    return rate(renewed, due)


def return_rate(returned: Any, sold: Any) -> Any:
    """Return rate = returned quantity (or amount) / sold quantity (or amount) × 100."""
    return rate(returned, sold)
