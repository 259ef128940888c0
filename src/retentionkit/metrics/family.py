"""What a component family is: the components it produces, the tables it requires, and how
its frame is made — Ibis queries the engine runs, then a pandas finishing step.

A family never executes a query: :func:`Family.plan` returns a :class:`Plan` (named Ibis
expressions, the other families whose frames it reuses, and a ``finish`` function), and the
engine runs every query in one place (:mod:`retentionkit.metrics.engine`), which is also where
``explain`` records the SQL instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    import ibis.expr.types as ir

    from retentionkit.metrics.query import MetricQuery

#: Placeholder table: orders for the activity definition, subscriptions for contractual.
CUSTOMER_SOURCE = "@customers"

#: Components whose name ends so are money: reported as floats even when whole.
MONEY_SUFFIXES = ("amount", "mrr", "costs")

#: The frames a finishing step reads: query results and reused families, by name.
Frames = Mapping[str, pd.DataFrame]


@dataclass(frozen=True)
class Plan:
    """How one family's frame is made for one request.

    ``queries``: name → Ibis expression; the engine executes each (or records its SQL).
    ``uses``: other families whose frames ``finish`` reads (computed once per request and
    shared, e.g. the order components come out of the customer pass).
    ``finish``: (query results and used families by name) → the component frame, one row per
    ``period_start`` and ``segment``."""

    finish: Callable[[Frames], pd.DataFrame]
    queries: Mapping[str, ir.Table] = field(default_factory=dict)
    uses: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Family:
    """A component family: one declaration per family (see ``FAMILIES`` in
    :mod:`retentionkit.metrics.families`).

    ``produces``: the components every frame of the family holds. ``optional``: components
    only some requests produce (the definition's or an option's); a metric input that is
    optional and not produced is left out of that record's components. ``requires``: the
    tables it reads (:data:`CUSTOMER_SOURCE` = the customer definition's table).
    ``nullable``: components that stay missing (not 0) in a period without data.
    ``constants``: request-wide components repeated on every period (e.g. the survey)."""

    name: str
    description: str
    produces: tuple[str, ...]
    requires: tuple[str, ...]
    plan: Callable[[MetricQuery], Plan]
    optional: tuple[str, ...] = ()
    nullable: tuple[str, ...] = ()
    constants: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """Every component the family can produce."""
        return self.produces + self.optional

    def source_tables(self, definition: str) -> tuple[str, ...]:
        """``requires`` with the customer placeholder resolved for ``definition``."""
        return resolve_tables(self.requires, definition)


def resolve_tables(tables: tuple[str, ...], definition: str) -> tuple[str, ...]:
    """Replace :data:`CUSTOMER_SOURCE` by subscriptions (contractual) or orders (activity)."""
    sub = "subscriptions" if definition == "contractual" else "orders"
    return tuple(sub if t == CUSTOMER_SOURCE else t for t in tables)


def only(query: ir.Table, finish: Callable[[pd.DataFrame], pd.DataFrame] | None = None) -> Plan:
    """The plan of a family made by one query (and an optional finishing step on its
    result)."""
    if finish is None:
        return Plan(finish=lambda got: got["main"], queries={"main": query})
    step = finish
    return Plan(finish=lambda got: step(got["main"]), queries={"main": query})


def keyed(frame: pd.DataFrame) -> pd.DataFrame:
    """Same key dtypes on every component frame (an empty frame has object columns)."""
    frame = frame.copy()
    frame["period_start"] = pd.to_datetime(frame["period_start"]).astype("datetime64[us]")
    frame["segment"] = frame["segment"].astype(object)
    return frame


KEYS = ["period_start", "segment"]


def merge(*frames: pd.DataFrame | None) -> pd.DataFrame:
    """Outer join of component frames on period and segment (a column already present is
    kept from the first frame that has it)."""
    present = [keyed(frame) for frame in frames if frame is not None]
    if not present:
        return pd.DataFrame(columns=KEYS)
    out = present[0]
    for frame in present[1:]:
        dup = [c for c in frame.columns if c in out.columns and c not in KEYS]
        out = out.merge(frame.drop(columns=dup), on=KEYS, how="outer")
    return out
