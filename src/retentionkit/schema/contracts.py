"""Table contracts: the canonical tables of SPEC §2, their columns, types and keys.

Storage conventions (docs/data.md):

* identifiers are strings;
* timestamps are stored as naive ``timestamp`` values **in UTC** (input without an offset is
  read in the configured time zone; a bare date is midnight there);
* money is ``decimal(18, 4)`` in the one reporting currency;
* quantities are ``int64``; survey scores ``float64`` (custom surveys may use any scale).

Tables other than these carry "extra attributes": any column not named here is kept, as a
number when every value parses as one, otherwise as text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnKind = Literal["id", "text", "timestamp", "money", "integer", "number"]

#: Decimal places of a stored amount (the ``money`` kind below). A sum of stored amounts has
#: no more, so a sum computed in doubles is rounded back to them to be exact and the same on
#: every run (the RFM summary's spend, segment and cohort revenue).
MONEY_DIGITS = 4

#: Ibis type of each column kind.
IBIS_TYPES: dict[ColumnKind, str] = {
    "id": "string",
    "text": "string",
    "timestamp": "timestamp(6)",
    "money": "decimal(18, 4)",
    "integer": "int64",
    "number": "float64",
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: ColumnKind
    required: bool = False
    description: str = ""


@dataclass(frozen=True)
class TableContract:
    name: str
    primary_key: str
    columns: tuple[Column, ...]
    description: str = ""
    unlocks: str = ""
    extra_attributes: bool = True
    column_by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_by_name", {c.name: c for c in self.columns})

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def ibis_schema(self, extras: dict[str, str] | None = None) -> dict[str, str]:
        schema = {c.name: IBIS_TYPES[c.kind] for c in self.columns}
        schema.update(extras or {})
        return schema


def _c(name: str, kind: ColumnKind, required: bool = False, description: str = "") -> Column:
    return Column(name, kind, required, description)


ORDERS = TableContract(
    "orders",
    "order_id",
    (
        _c("order_id", "id", True, "unique order identifier"),
        _c("customer_id", "id", True, "who bought"),
        _c("ordered_at", "timestamp", True, "when the order was placed (UTC)"),
        _c(
            "amount",
            "money",
            False,
            "order value in the reporting currency; may be absent or empty (visit or "
            "loyalty-card logs): money metrics are then null with a note",
        ),
        _c("quantity", "integer", False, "number of items"),
        _c("delivered_at", "timestamp", False, "when it was delivered (UTC)"),
        _c("channel", "text", False, "sales channel"),
    ),
    "One row per order.",
    "activity retention, repeat rate, frequency, AOV, revenue, CLV, RFM, time between "
    "purchases, processing time",
)

RETURNS = TableContract(
    "returns",
    "return_id",
    (
        _c("return_id", "id", True, "unique return identifier"),
        _c("customer_id", "id", True, "who returned"),
        _c("returned_at", "timestamp", True, "when the return was booked (UTC)"),
        _c("order_id", "id", False, "the order returned from"),
        _c("quantity", "integer", False, "items returned"),
        _c("amount", "money", False, "money refunded"),
    ),
    "One row per return.",
    "return rate, revenue net of returns",
)

SUBSCRIPTIONS = TableContract(
    "subscriptions",
    "term_id",
    (
        _c("term_id", "id", True, "one contract term"),
        _c("subscription_id", "id", True, "the subscription the term belongs to"),
        _c("customer_id", "id", True, "who pays"),
        _c("started_at", "timestamp", True, "term start (UTC, inclusive)"),
        _c("ended_at", "timestamp", False, "term end (UTC, exclusive); empty = running"),
        _c("mrr", "money", True, "monthly recurring revenue of the term"),
        _c("plan", "text", False, "plan name"),
    ),
    "One row per contract term; a renewal, upgrade or downgrade starts a new term.",
    "contractual retention, MRR and its movements, renewal rate, NRR/GRR",
)

SURVEY_RESPONSES = TableContract(
    "survey_responses",
    "response_id",
    (
        _c("response_id", "id", True, "unique answer identifier"),
        _c("survey", "text", True, "nps, csat or a custom survey name"),
        _c("score", "number", True, "the answer (NPS 0-10, CSAT 1-5 unless scale_* says)"),
        _c("responded_at", "timestamp", True, "when it was answered (UTC)"),
        _c("customer_id", "id", False, "who answered"),
        _c("comment", "text", False, "free text"),
        _c("touchpoint", "text", False, "where it was asked (after purchase, support …)"),
        _c("scale_min", "number", False, "lowest point of the survey's scale"),
        _c("scale_max", "number", False, "highest point of the survey's scale"),
        _c("survey_name", "text", False, "the retentionkit survey that asked (surveys create)"),
        _c("order_id", "id", False, "the order the answer is about (e.g. an Olist review)"),
    ),
    "One row per survey answer.",
    "NPS, CSAT, custom survey rates",
)

ACQUISITION_COSTS = TableContract(
    "acquisition_costs",
    "cost_id",
    (
        _c("cost_id", "id", True, "unique cost line"),
        _c("incurred_on", "timestamp", True, "when the cost was incurred (UTC)"),
        _c("amount", "money", True, "cost in the reporting currency"),
        _c("category", "text", True, "marketing, salaries, software, professional_services, …"),
        _c("channel", "text", False, "acquisition channel the cost belongs to"),
    ),
    "One row per acquisition cost line.",
    "CAC, LTV:CAC, payback",
)

TICKETS = TableContract(
    "tickets",
    "ticket_id",
    (
        _c("ticket_id", "id", True, "unique ticket identifier"),
        _c("customer_id", "id", True, "who asked"),
        _c("opened_at", "timestamp", True, "when it was opened (UTC)"),
        _c("resolved_at", "timestamp", False, "when it was resolved (UTC); empty = open"),
    ),
    "One row per support ticket.",
    "resolution time, automations",
)

CUSTOMERS = TableContract(
    "customers",
    "customer_id",
    (
        _c("customer_id", "id", True, "unique customer identifier"),
        _c("signed_up_at", "timestamp", False, "when the customer signed up (UTC)"),
        _c("country", "text", False, "country"),
        _c("channel", "text", False, "acquisition channel"),
        _c("email", "text", False, "address for automation emails (empty = never mailed)"),
        _c("language", "text", False, "en, pl, ru or zh: the language of emails and surveys"),
    ),
    "One row per customer with any attributes (country, plan, channel, segment …).",
    "segmentation; otherwise derived from orders/subscriptions",
)

CONTRACTS: dict[str, TableContract] = {
    c.name: c
    for c in (
        ORDERS,
        RETURNS,
        SUBSCRIPTIONS,
        SURVEY_RESPONSES,
        ACQUISITION_COSTS,
        TICKETS,
        CUSTOMERS,
    )
}

TABLE_NAMES: tuple[str, ...] = tuple(CONTRACTS)


def contract(name: str) -> TableContract:
    """The contract of a canonical table; an unknown name lists the valid ones."""
    from retentionkit.errors import UnknownNameError

    try:
        return CONTRACTS[name]
    except KeyError:
        raise UnknownNameError(
            f"Unknown table {name!r}; expected one of: {', '.join(TABLE_NAMES)}."
        ) from None
