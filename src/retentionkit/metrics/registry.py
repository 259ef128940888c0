"""The metric registry: every KPI declared once, as one keyword-only :class:`MetricSpec` —
name, label, description, unit, the components its formula reads (``inputs``), the formula,
derived components, direction, default health band, ``retentionkit calc`` inputs, the
component family that feeds it and the formula's source.

The families (:mod:`retentionkit.metrics.families`) declare the components they produce and
the tables they require; a metric's tables are its family's. Adding a KPI whose data exist =
one :class:`MetricSpec` here plus its test (see docs/metrics.md, "Adding a KPI"). The engine,
the CLI, the API, the dashboard and the report ask the registry by name.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from retentionkit.config import HealthBand
from retentionkit.errors import ConfigError, UnknownNameError
from retentionkit.metrics import formulas as f
from retentionkit.metrics.families import FAMILIES
from retentionkit.metrics.family import resolve_tables
from retentionkit.metrics.intervals import Interval
from retentionkit.metrics.periods import MONTHS_PER_PERIOD

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.workspace import Workspace

Unit = Literal["%", "count", "money", "days", "hours", "months", "ratio", "score"]


@dataclass(frozen=True)
class FormulaContext:
    """What a formula may read besides its components: the request's period, customer
    definition, churn basis, gross margin and CLV model (None = the simple CLV)."""

    period: str = "month"
    definition: str = "activity"
    churn_basis: str = "start"
    margin: float = 1.0
    clv_model: str | None = None


#: A formula over the component frame of one family: (frame, context) → values.
Formula = Callable[[pd.DataFrame, FormulaContext], Any]
#: A calculator formula over the numbers given to ``retentionkit calc``.
CalcFormula = Callable[[Mapping[str, Any]], float]


@dataclass(frozen=True, kw_only=True)
class Derived:
    """A component computed from the family's components (shown with the value so a user can
    redo the formula); derived components are computed in order, so one may read another."""

    name: str
    formula: Formula


@dataclass(frozen=True, kw_only=True)
class CalcInput:
    """One input of ``retentionkit calc METRIC``: ``name`` (the keyword; the flag is
    ``--name`` with dashes), its meaning, whether it is required or repeatable, and the
    input it cannot exceed (a part of a whole)."""

    name: str
    help: str
    required: bool = True
    repeatable: bool = False
    at_most: str | None = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


@dataclass(frozen=True, kw_only=True)
class MetricSpec:
    """One KPI. ``inputs``: the family components the formula reads, reported as the
    record's components (a test checks the formula reads nothing else and that the family
    declares them). ``derived``: components computed from the family's (also reported).
    ``health_band``: the default band (``[health]`` in retentionkit.toml overrides it).
    ``calc_inputs``/``calc``: the ``retentionkit calc`` inputs and formula (none = not
    offered by calc)."""

    name: str
    label: str
    description: str
    unit: Unit
    family: str
    inputs: tuple[str, ...]
    formula: Formula
    derived: tuple[Derived, ...] = ()
    higher_is_better: bool | None = True
    health_band: HealthBand | None = None
    calc_inputs: tuple[CalcInput, ...] = ()
    calc: CalcFormula | None = None
    denominator: str | Formula | None = None
    interval: Interval | None = None
    source: str = "SPEC §4"

    def n(self, frame: pd.DataFrame, ctx: FormulaContext) -> Any:
        """The denominator per record (None when the metric declares none)."""
        if self.denominator is None:
            return None
        if isinstance(self.denominator, str):
            return frame[self.denominator].astype("float64").to_numpy()
        return np.asarray(self.denominator(frame, ctx), dtype="float64")

    @property
    def tables(self) -> tuple[str, ...]:
        """The tables the metric needs: its family's (``@customers`` = the definition's)."""
        return FAMILIES[self.family].requires

    @property
    def components(self) -> tuple[str, ...]:
        """The component names of a record: inputs, then derived components."""
        return self.inputs + tuple(d.name for d in self.derived)

    def source_tables(self, definition: str) -> tuple[str, ...]:
        return resolve_tables(self.tables, definition)


def _col(name: str) -> Formula:
    return lambda frame, ctx: frame[name].astype("float64").to_numpy()


def _per_month(frame: pd.DataFrame, ctx: FormulaContext) -> Any:
    """Orders per buyer per month (APF normalised by the period's length in months)."""
    return f.purchase_frequency(frame["orders"], frame["buyers"]) / MONTHS_PER_PERIOD[ctx.period]


def _arpc_monthly(frame: pd.DataFrame, ctx: FormulaContext) -> Any:
    """ARPC per month: MRR / paying customers for subscriptions; for order data the revenue
    per buyer per month."""
    if ctx.definition == "contractual":
        return f.arpc(frame["mrr"], frame["paying_customers"])
    return f.safe_div(frame["order_amount"], frame["buyers"]) / MONTHS_PER_PERIOD[ctx.period]


def _clv(frame: pd.DataFrame, ctx: FormulaContext) -> Any:
    """The model's mean predicted CLV with a CLV model, else the simple CLV: revenue per buyer
    per month × lifespan in months × margin, both averaged over the 6 complete months before
    the period end (= APV × orders per buyer per month × lifespan; subscriptions: ARPC ×
    lifespan × margin). Monthly quantities whatever the period, so the CLV does not depend
    on the reporting period."""
    if ctx.clv_model:
        return frame["model_clv"].astype("float64").to_numpy()
    lifespan = f.average_customer_lifespan(frame["mean_monthly_churn_rate"])
    if ctx.definition == "contractual":
        return f.clv(f.arpc(frame["mrr"], frame["paying_customers"]), 1.0, lifespan, ctx.margin)
    return f.clv(frame["monthly_revenue_per_buyer"], 1.0, lifespan, ctx.margin)


def _priced(formula: Formula) -> Formula:
    """A money formula over order amounts, null (NaN) in a period where some orders have no
    amount (an orders log may omit ``amount``): a partial sum would understate it."""

    def priced(frame: pd.DataFrame, ctx: FormulaContext) -> Any:
        values = np.asarray(formula(frame, ctx), dtype="float64")
        return np.where(frame["orders_without_amount"].to_numpy() > 0, np.nan, values)

    return priced


def _churn_denominator(frame: pd.DataFrame, ctx: FormulaContext) -> Any:
    """S with the start basis, E with the end basis (the churn rate's denominator)."""
    return frame["start" if ctx.churn_basis == "start" else "end"]


def _cac(frame: pd.DataFrame, ctx: FormulaContext) -> Any:
    return f.cac(frame["costs"].astype("float64"), frame["acquired"])


# -- calc formulas (numbers typed by hand) --------------------------------------------------
def _calc_crr(g: Mapping[str, Any]) -> float:
    if g["end"] - g["new"] > g["start"]:  # SPEC §3: 0 ≤ retained = E − N ≤ S
        raise ConfigError(
            f"--end {g['end']:g} minus --new {g['new']:g} is more than --start "
            f"{g['start']:g}: retained customers cannot outnumber those at the start."
        )
    return float(f.crr(g["start"], g["end"], g["new"]))


def _calc_churn(g: Mapping[str, Any]) -> float:
    if "start" not in g and "end" not in g:
        raise ConfigError("calc churn_rate needs --start or --end.")
    basis = "start" if "start" in g else "end"
    return float(f.churn_rate(g["lost"], g.get("start"), g.get("end"), basis))


def _calc_clv(g: Mapping[str, Any]) -> float:
    margin = g.get("margin", 1.0)
    if not 0 < margin <= 1:
        raise ConfigError(f"--margin {margin} must be in (0, 1].")
    rate = g.get("discount_rate", 0.0)
    if rate:
        return f.clv_discounted(g["apv"] * g["apf"] / 12 * margin, g["acl"] * 12, rate)
    return float(f.clv(g["apv"], g["apf"], g["acl"], margin))


S = CalcInput(name="start", help="Customers at the start (S).")
E = CalcInput(name="end", help="Customers at the end (E).")
CUSTOMER_INPUTS = ("start", "end", "new", "reactivated", "retained", "lost")
DURATION_INPUTS = ("median_days", "mean_days")

_SPECS = [
    MetricSpec(
        name="crr",
        label="Customer retention rate",
        description="Customer retention rate: customers at the start still customers at the end",
        unit="%",
        family="customers",
        inputs=CUSTOMER_INPUTS,
        formula=lambda d, c: f.crr(d["start"], d["end"], d["new"] + d["reactivated"]),
        health_band=HealthBand(good=90, poor=60),
        calc_inputs=(S, E, CalcInput(name="new", help="New customers (N).", at_most="end")),
        calc=_calc_crr,
        denominator="start",
        interval="wilson",
    ),
    MetricSpec(
        name="churn_rate",
        label="Customer churn rate",
        description="Customer churn rate: lost customers / customers at the start "
        "(or the end with --churn-basis end)",
        unit="%",
        family="customers",
        inputs=CUSTOMER_INPUTS,
        formula=lambda d, c: f.churn_rate(d["lost"], d["start"], d["end"], c.churn_basis),
        higher_is_better=False,
        health_band=HealthBand(good=10, poor=25),
        calc_inputs=(
            CalcInput(name="lost", help="Lost customers (L).", at_most="start"),
            CalcInput(name="start", help=S.help, required=False),
            CalcInput(name="end", help=E.help, required=False),
        ),
        calc=_calc_churn,
        denominator=_churn_denominator,
        interval="wilson",
    ),
    MetricSpec(
        name="active_customers",
        label="Active customers",
        description="Customers at the period end (E)",
        unit="count",
        family="customers",
        inputs=("start", "end"),
        formula=_col("end"),
    ),
    MetricSpec(
        name="new_customers",
        label="New customers",
        description="Customers whose first order (or first term) falls in the period",
        unit="count",
        family="customers",
        inputs=("acquired",),
        formula=_col("acquired"),
    ),
    MetricSpec(
        name="reactivated_customers",
        label="Reactivated customers",
        description="Customers at the end who were not at the start and had been customers before",
        unit="count",
        family="customers",
        inputs=("reactivated", "new"),
        formula=_col("reactivated"),
    ),
    MetricSpec(
        name="lost_customers",
        label="Lost customers",
        description="Customers at the start who are not at the end (L)",
        unit="count",
        family="customers",
        inputs=("start", "lost"),
        formula=_col("lost"),
        higher_is_better=False,
    ),
    MetricSpec(
        name="repeat_purchase_rate",
        label="Repeat purchase rate",
        description="Buyers in the period with ≥ 2 orders placed before the period end / "
        "buyers × 100",
        unit="%",
        family="orders",
        inputs=("repeat_buyers", "buyers"),
        formula=lambda d, c: f.repeat_purchase_rate(d["repeat_buyers"], d["buyers"]),
        calc_inputs=(
            CalcInput(name="returning", help="Customers with ≥ 2 orders.", at_most="customers"),
            CalcInput(name="customers", help="Customers with ≥ 1 order."),
        ),
        calc=lambda g: float(f.repeat_purchase_rate(g["returning"], g["customers"])),
        denominator="buyers",
        interval="wilson",
    ),
    MetricSpec(
        name="purchase_frequency",
        label="Purchase frequency",
        description="Orders per buyer in the period (APF); per month and per year in the "
        "components",
        unit="ratio",
        family="orders",
        inputs=("orders", "buyers"),
        formula=lambda d, c: f.purchase_frequency(d["orders"], d["buyers"]),
        derived=(
            Derived(name="per_month", formula=_per_month),
            Derived(name="per_year", formula=lambda d, c: d["per_month"] * 12),
        ),
        denominator="buyers",
    ),
    MetricSpec(
        name="average_order_value",
        label="Average order value",
        description="Order amounts / orders in the period (APV)",
        unit="money",
        family="orders",
        inputs=("order_amount", "orders", "orders_without_amount"),
        formula=_priced(lambda d, c: f.average_order_value(d["order_amount"], d["orders"])),
        denominator="orders",
    ),
    MetricSpec(
        name="revenue",
        label="Revenue",
        description="Order amounts minus returned amounts, each on its own date",
        unit="money",
        family="revenue",
        inputs=("order_amount", "returned_amount", "orders", "orders_without_amount"),
        formula=_priced(lambda d, c: f.revenue(d["order_amount"], d["returned_amount"])),
    ),
    MetricSpec(
        name="average_customer_lifespan",
        label="Customer lifespan",
        description="1 / mean monthly churn rate over the trailing 6 months, in months "
        "(ChartMogul)",
        unit="months",
        family="lifespan",
        inputs=("mean_monthly_churn_rate", "months"),
        formula=lambda d, c: f.average_customer_lifespan(d["mean_monthly_churn_rate"]),
        source="ChartMogul LTV convention",
    ),
    MetricSpec(
        name="clv",
        label="Customer lifetime value",
        description="Simple CLV: revenue per buyer per month × lifespan × margin, both over "
        "the 6 complete months before the period end (subscriptions: ARPC × lifespan × "
        "margin); with a CLV model, the mean predicted CLV",
        unit="money",
        family="clv",
        inputs=(
            "monthly_revenue_per_buyer",
            "order_amount",
            "orders",
            "buyers",
            "mrr",
            "paying_customers",
            "mean_monthly_churn_rate",
            "model_clv",
            "model_customers",
        ),
        formula=_clv,
        calc_inputs=(
            CalcInput(name="apv", help="Average purchase value."),
            CalcInput(name="apf", help="Purchases per year."),
            CalcInput(name="acl", help="Customer lifespan in years."),
            CalcInput(name="margin", help="Gross margin (0–1].", required=False),
            CalcInput(name="discount_rate", help="Annual discount rate.", required=False),
        ),
        calc=_calc_clv,
    ),
    MetricSpec(
        name="nps",
        label="Net Promoter Score",
        description="Net Promoter Score: % promoters (9–10) − % detractors (0–6) over the "
        "answers in the period",
        unit="score",
        family="nps",
        inputs=("promoters", "passives", "detractors", "responses"),
        formula=lambda d, c: f.nps(d["promoters"], d["passives"], d["detractors"]),
        health_band=HealthBand(excellent=50, good=0, poor=0),
        calc_inputs=(
            CalcInput(name="promoters", help="Answers of 9–10."),
            CalcInput(name="passives", help="Answers of 7–8."),
            CalcInput(name="detractors", help="Answers of 0–6."),
        ),
        calc=lambda g: float(f.nps(g["promoters"], g["passives"], g["detractors"])),
        denominator="responses",
        interval="nps",
    ),
    MetricSpec(
        name="csat",
        label="Customer satisfaction (CSAT)",
        description="Satisfied answers (top two points of the scale) / answers × 100",
        unit="%",
        family="csat",
        inputs=("satisfied", "responses"),
        formula=lambda d, c: f.csat(d["satisfied"], d["responses"]),
        health_band=HealthBand(good=80, poor=60),
        calc_inputs=(
            CalcInput(name="satisfied", help="Satisfied answers.", at_most="responses"),
            CalcInput(name="responses", help="All answers."),
        ),
        calc=lambda g: float(f.csat(g["satisfied"], g["responses"])),
        denominator="responses",
        interval="wilson",
    ),
    MetricSpec(
        name="survey_rate",
        label="Survey rate",
        description="Share of a custom survey's answers at or above a threshold",
        unit="%",
        family="survey_rate",
        inputs=("at_or_above", "responses", "survey", "threshold"),
        formula=lambda d, c: f.rate(d["at_or_above"], d["responses"]),
        denominator="responses",
        interval="wilson",
    ),
    MetricSpec(
        name="mrr",
        label="MRR",
        description="Monthly recurring revenue of the terms running at the period end",
        unit="money",
        family="mrr",
        inputs=("mrr", "paying_customers"),
        formula=_col("mrr"),
        calc_inputs=(
            CalcInput(name="customers", help="Paying customers."),
            CalcInput(name="arpc", help="Average revenue per customer."),
        ),
        calc=lambda g: float(f.mrr(g["customers"], g["arpc"])),
    ),
    MetricSpec(
        name="arpc",
        label="ARPC",
        description="Average revenue per paying customer = MRR / paying customers",
        unit="money",
        family="mrr",
        inputs=("mrr", "paying_customers"),
        formula=lambda d, c: f.arpc(d["mrr"], d["paying_customers"]),
    ),
    MetricSpec(
        name="new_mrr",
        label="New MRR",
        description="MRR of customers paying for the first time",
        unit="money",
        family="mrr",
        inputs=("new_mrr", "new_subscribers"),
        formula=_col("new_mrr"),
    ),
    MetricSpec(
        name="expansion_mrr",
        label="Expansion MRR",
        description="MRR increase of customers paying at both ends",
        unit="money",
        family="mrr",
        inputs=("expansion_mrr",),
        formula=_col("expansion_mrr"),
    ),
    MetricSpec(
        name="contraction_mrr",
        label="Contraction MRR",
        description="MRR decrease of customers still paying at the end",
        unit="money",
        family="mrr",
        inputs=("contraction_mrr",),
        formula=_col("contraction_mrr"),
        higher_is_better=False,
    ),
    MetricSpec(
        name="churned_mrr",
        label="Churned MRR",
        description="MRR at the start of customers paying nothing at the end",
        unit="money",
        family="mrr",
        inputs=("churned_mrr", "churned_subscribers"),
        formula=_col("churned_mrr"),
        higher_is_better=False,
    ),
    MetricSpec(
        name="reactivation_mrr",
        label="Reactivation MRR",
        description="MRR of returning customers who had paid before",
        unit="money",
        family="mrr",
        inputs=("reactivation_mrr",),
        formula=_col("reactivation_mrr"),
    ),
    MetricSpec(
        name="nrr",
        label="Net revenue retention",
        description="Net revenue retention: (MRR₀ + expansion − contraction − churn) / MRR₀",
        unit="%",
        family="mrr",
        inputs=("start_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr"),
        formula=lambda d, c: f.nrr(
            d["start_mrr"], d["expansion_mrr"], d["contraction_mrr"], d["churned_mrr"]
        ),
        health_band=HealthBand(good=100, poor=90),
    ),
    MetricSpec(
        name="grr",
        label="Gross revenue retention",
        description="Gross revenue retention: (MRR₀ − contraction − churn) / MRR₀",
        unit="%",
        family="mrr",
        inputs=("start_mrr", "contraction_mrr", "churned_mrr"),
        formula=lambda d, c: f.grr(d["start_mrr"], d["contraction_mrr"], d["churned_mrr"]),
        health_band=HealthBand(good=90, poor=80),
    ),
    MetricSpec(
        name="cac",
        label="Customer acquisition cost",
        description="Acquisition costs in the period / new customers in the period",
        unit="money",
        family="cac",
        inputs=("costs", "acquired", "costs_by_category"),
        formula=_cac,
        higher_is_better=False,
        calc_inputs=(
            CalcInput(name="cost", help="An acquisition cost (repeatable).", repeatable=True),
            CalcInput(name="new", help="New customers (N)."),
        ),
        calc=lambda g: float(f.cac(list(g["cost"]), g["new"])),
    ),
    MetricSpec(
        name="ltv_cac",
        label="LTV : CAC",
        description="CLV / CAC",
        unit="ratio",
        family="cac",
        inputs=("costs", "acquired"),
        formula=lambda d, c: f.ltv_cac(d["clv"], d["cac"]),
        derived=(Derived(name="clv", formula=_clv), Derived(name="cac", formula=_cac)),
        health_band=HealthBand(good=3, poor=1),
    ),
    MetricSpec(
        name="cac_payback_months",
        label="CAC payback",
        description="CAC / (ARPC × gross margin), in months",
        unit="months",
        family="cac",
        inputs=("costs", "acquired"),
        formula=lambda d, c: f.cac_payback_months(d["cac"], d["arpc"], d["margin"]),
        higher_is_better=False,
        derived=(
            Derived(name="cac", formula=_cac),
            Derived(name="arpc", formula=_arpc_monthly),
            Derived(name="margin", formula=lambda d, c: c.margin),
        ),
    ),
    MetricSpec(
        name="renewal_rate",
        label="Renewal rate",
        description="Terms due in the period that were renewed (next term within the grace "
        "period) / terms due × 100",
        unit="%",
        family="renewal",
        inputs=("renewed", "due"),
        formula=lambda d, c: f.renewal_rate(d["renewed"], d["due"]),
        health_band=HealthBand(good=85, poor=70),
        calc_inputs=(
            CalcInput(name="renewed", help="Terms renewed.", at_most="due"),
            CalcInput(name="due", help="Terms due."),
        ),
        calc=lambda g: float(f.renewal_rate(g["renewed"], g["due"])),
        denominator="due",
        interval="wilson",
    ),
    MetricSpec(
        name="time_to_second_purchase",
        label="Time to second purchase",
        description="Median days from first to second order, over customers whose second "
        "order is in the period",
        unit="days",
        family="second_purchase",
        inputs=("customers", *DURATION_INPUTS),
        formula=_col("median_days"),
        higher_is_better=False,
        denominator="customers",
    ),
    MetricSpec(
        name="time_between_purchases",
        label="Time between purchases",
        description="Median days between consecutive orders, over pairs whose later order is "
        "in the period",
        unit="days",
        family="gaps",
        inputs=("pairs", *DURATION_INPUTS),
        formula=_col("median_days"),
        higher_is_better=False,
        denominator="pairs",
    ),
    MetricSpec(
        name="return_rate",
        label="Return rate",
        description="Returned quantity / sold quantity × 100 (by amount when quantities are "
        "missing)",
        unit="%",
        family="return_rate",
        inputs=("returned", "sold", "basis"),
        formula=lambda d, c: f.return_rate(d["returned"], d["sold"]),
        higher_is_better=False,
        health_band=HealthBand(good=5, poor=15),
        denominator="sold",
        interval="wilson",
    ),
    MetricSpec(
        name="order_processing_time",
        label="Order processing time",
        description="Median days from ordered_at to delivered_at over orders delivered in the "
        "period",
        unit="days",
        family="processing",
        inputs=("delivered", *DURATION_INPUTS),
        formula=_col("median_days"),
        higher_is_better=False,
        denominator="delivered",
    ),
    MetricSpec(
        name="ticket_resolution_time",
        label="Ticket resolution time",
        description="Median hours from opened_at to resolved_at over tickets resolved in the "
        "period",
        unit="hours",
        family="resolution",
        inputs=("resolved", "median_hours", "mean_hours"),
        formula=_col("median_hours"),
        higher_is_better=False,
        denominator="resolved",
    ),
    MetricSpec(
        name="open_tickets_over_48h",
        label="Tickets open over 48 hours",
        description="Tickets open at the period end that were opened more than 48 hours before it",
        unit="count",
        family="open_tickets",
        inputs=("open_over_48h", "open_tickets"),
        formula=_col("open_over_48h"),
        higher_is_better=False,
    ),
]

REGISTRY: dict[str, MetricSpec] = {spec.name: spec for spec in _SPECS}
METRIC_NAMES: tuple[str, ...] = tuple(REGISTRY)
#: The metrics ``retentionkit calc`` offers (those with calc inputs).
CALC_METRIC_NAMES: tuple[str, ...] = tuple(s.name for s in _SPECS if s.calc is not None)


def get_metric(name: str) -> MetricSpec:
    """The spec of ``name``; an unknown name lists the valid ones."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownNameError(
            f"Unknown metric {name!r}; valid metrics: {', '.join(METRIC_NAMES)}."
        ) from None


def default_health_bands() -> dict[str, HealthBand]:
    """The default health band of every metric that has one (config.py's defaults)."""
    return {s.name: s.health_band.model_copy() for s in _SPECS if s.health_band is not None}


def applicable_metrics(tables: Iterable[str], definition: str) -> tuple[str, ...]:
    """The metrics the loaded ``tables`` allow when customers are counted by ``definition``
    (pass :func:`default_definition`'s, or the user's choice), in registry order."""
    present = set(tables)
    return tuple(s.name for s in _SPECS if set(s.source_tables(definition)) <= present)


def resolve_definition(configured: str, tables: Iterable[str]) -> str:
    """The customer definition to use: the configured one — except that a workspace with
    subscriptions but no orders counts customers contractually (activity needs orders)."""
    present = set(tables)
    if configured == "activity" and "orders" not in present and "subscriptions" in present:
        return "contractual"
    return configured


def default_definition(ws: Workspace) -> str:
    """:func:`resolve_definition` for a workspace's configured definition and tables."""
    return resolve_definition(ws.settings.customer_definition, ws.tables())


def health(spec: MetricSpec, value: float | None, bands: Mapping[str, HealthBand]) -> str | None:
    """Health label of a value: excellent / good / fair / poor, or None without a band.

    Up-is-good: value > excellent → excellent, ≥ good → good, < poor → poor, else fair.
    Down-is-good (churn, returns): value ≤ good → good, > poor → poor, else fair."""
    band = bands.get(spec.name)
    if band is None or value is None or not math.isfinite(value):
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
