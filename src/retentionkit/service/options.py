"""Every option vocabulary of the faces, declared once.

Each tuple below is the single list of accepted values of one option; the matching ``Literal``
types are built from the tuples, so the FastAPI query enums, the CLI help texts (:func:`one_of`)
and the request types (:mod:`retentionkit.service.requests`) cannot drift apart. This module
imports nothing heavy: the CLI builds its help texts from it at start-up.

A few core modules still hold their own copy of a vocabulary they validate (``PERIODS`` in
:mod:`retentionkit.metrics.periods`, ``METHODS`` in :mod:`retentionkit.churn.pipeline`,
``TIME_UNITS`` in :mod:`retentionkit.clv.rfm`); tests/service/test_options.py pins them equal
to these until their owners import them from here. CLV model names come from the model
registry itself (:func:`clv_model_names`).
"""

from __future__ import annotations

from typing import Literal

from retentionkit.errors import ConfigError

__all__ = [
    "CHURN_BASES",
    "CHURN_METHODS",
    "CHURN_SORTS",
    "COHORT_FORMATS",
    "COHORT_KINDS",
    "COHORT_PERIODS",
    "COMPARE_MODES",
    "CUSTOMER_DEFINITIONS",
    "FORMATS",
    "GOAL_CUSTOM_KINDS",
    "GOAL_DIRECTIONS",
    "GOAL_KINDS",
    "GOAL_PERIODS",
    "GOAL_STATUSES",
    "PERIODS",
    "TIME_UNITS",
    "ChurnBasis",
    "ChurnMethod",
    "ChurnSort",
    "CohortKind",
    "CohortPeriod",
    "Compare",
    "CustomerDefinition",
    "GoalDirection",
    "GoalKind",
    "GoalPeriod",
    "OutputFormat",
    "Period",
    "TimeUnit",
    "check_choice",
    "clv_model_names",
    "literal",
    "one_of",
]

#: ``--period``: the reporting period of KPIs.
PERIODS: tuple[str, ...] = ("day", "week", "month", "quarter", "year")
#: ``cohorts --period``.
COHORT_PERIODS: tuple[str, ...] = ("week", "month", "quarter")
#: ``cohorts --kind``.
COHORT_KINDS: tuple[str, ...] = ("customers", "unbounded", "revenue", "cumulative_revenue")
#: ``--customer-definition``: who counts as a customer (SPEC §3).
CUSTOMER_DEFINITIONS: tuple[str, ...] = ("activity", "contractual")
#: ``--time-unit`` of RFM summaries and CLV models.
TIME_UNITS: tuple[str, ...] = ("day", "week", "month")
#: ``churn at-risk --method``: a supervised model (subscriptions), 1 − P(alive) or automatic.
CHURN_METHODS: tuple[str, ...] = ("auto", "model", "palive")
#: ``--churn-basis``: churn rate as lost / customers at the start or at the end.
CHURN_BASES: tuple[str, ...] = ("start", "end")
#: ``--compare``: the period each value is compared with.
COMPARE_MODES: tuple[str, ...] = ("previous", "year")
#: ``churn at-risk --sort``.
CHURN_SORTS: tuple[str, ...] = ("value_at_risk", "risk")
#: ``--format`` of every command.
FORMATS: tuple[str, ...] = ("table", "csv", "json")
#: ``cohorts --format`` adds a self-contained heatmap page.
COHORT_FORMATS: tuple[str, ...] = (*FORMATS, "html")
#: ``goals add --kind``: ``metric`` tracks a registry KPI; the others are custom goals set by hand.
GOAL_KINDS: tuple[str, ...] = ("metric", "number", "money", "yes_no")
GOAL_CUSTOM_KINDS: tuple[str, ...] = GOAL_KINDS[1:]
#: ``goals add --direction``: whether higher (up) or lower (down) is better.
GOAL_DIRECTIONS: tuple[str, ...] = ("up", "down")
#: ``goals add --period``: the periods a goal's metric is measured over.
GOAL_PERIODS: tuple[str, ...] = ("month", "quarter", "year")
#: A goal's evaluated status (docs/goals.md).
GOAL_STATUSES: tuple[str, ...] = ("achieved", "missed", "on_track", "at_risk", "off_track")


def literal(values: tuple[str, ...]) -> object:
    """``Literal[values]`` (FastAPI turns it into a query enum)."""
    return Literal.__getitem__(values)


Period = literal(PERIODS)
CohortPeriod = literal(COHORT_PERIODS)
CohortKind = literal(COHORT_KINDS)
CustomerDefinition = literal(CUSTOMER_DEFINITIONS)
ChurnBasis = literal(CHURN_BASES)
Compare = literal(COMPARE_MODES)
TimeUnit = literal(TIME_UNITS)
ChurnMethod = literal(CHURN_METHODS)
ChurnSort = literal(CHURN_SORTS)
OutputFormat = literal(FORMATS)
GoalKind = literal(GOAL_KINDS)
GoalDirection = literal(GOAL_DIRECTIONS)
GoalPeriod = literal(GOAL_PERIODS)


def clv_model_names(kind: str | None = None) -> tuple[str, ...]:
    """CLV model names from the model registry; ``kind`` is ``"purchase"``, ``"spend"`` or
    ``"contractual"`` (None: all). The one place the faces read the CLV capabilities."""
    from retentionkit.clv import models

    names = getattr(models, "model_names", None)
    if names is not None:  # the registry's capability list (issue 10 item 6)
        return tuple(names(kind))
    from retentionkit.clv import workflow  # until then: today's lists in the workflow

    today = {
        "purchase": workflow.PURCHASE_MODELS,
        "spend": workflow.SPEND_MODELS,
        "contractual": ("sbg", "bgbb"),
    }
    return tuple(models.MODELS) if kind is None else tuple(today[kind])


def one_of(values: tuple[str, ...], *, last: str = "or") -> str:
    """``"day, week, month, quarter or year"`` for help texts."""
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} {last} {values[-1]}"


def check_choice(value: object, values: tuple[str, ...], flag: str) -> str:
    """``value`` when it is one of ``values``; otherwise :class:`ConfigError` naming ``flag``."""
    if value not in values:
        raise ConfigError(f"{flag} {value!r} is not one of: {', '.join(values)}.")
    return str(value)
