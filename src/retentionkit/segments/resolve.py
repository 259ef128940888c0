"""Resolve a segment scheme to an Ibis table (customer_id, segment).

Built-in schemes: any column of the customers table; otherwise a column of orders (the value
on the customer's first order, e.g. its acquisition channel) or of subscriptions (the plan of
the first term); ``cohort`` (month of the first order or term). Other modules register more
schemes (RFM segments, CLV tiers) with :func:`register_scheme`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from retentionkit.errors import UnknownNameError

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.workspace import Workspace

SchemeBuilder = Callable[["Workspace"], Any]
_SCHEMES: dict[str, SchemeBuilder] = {}


def register_scheme(name: str, builder: SchemeBuilder) -> None:
    """Make ``name`` usable as ``--segment name`` everywhere."""
    _SCHEMES[name] = builder


def _first_value(table: Any, time_col: str, column: str) -> Any:
    import ibis

    ranked = table.mutate(
        _rn=ibis.row_number().over(group_by="customer_id", order_by=table[time_col])
    )
    first = ranked.filter(ranked._rn == 0)
    return first.select("customer_id", segment=first[column].cast("string"))


def _cohort(ws: Workspace) -> Any:
    source = "orders" if ws.has_table("orders") else "subscriptions"
    t = ws.table(source)
    col = "ordered_at" if source == "orders" else "started_at"
    first = t.group_by("customer_id").agg(first_at=t[col].min())
    return first.select(
        "customer_id", segment=first.first_at.truncate("M").cast("date").cast("string")
    )


def available_attributes(ws: Workspace) -> list[str]:
    names: list[str] = []
    for table in ("customers", "orders", "subscriptions"):
        if ws.has_table(table):
            names += [
                c
                for c in ws.table(table).columns
                if c not in names
                and not c.endswith(("_id", "_at"))
                and c not in ("amount", "mrr", "quantity")
            ]
    return names


def segment_table(ws: Workspace, name: str) -> Any:
    """(customer_id, segment) for the scheme ``name``."""
    if name in _SCHEMES:
        return _SCHEMES[name](ws)
    if name == "cohort":
        return _cohort(ws)
    if (
        ws.has_table("customers")
        and name in ws.table("customers").columns
        and (name != "customer_id")
    ):
        c = ws.table("customers")
        return c.select("customer_id", segment=c[name].cast("string"))
    if (
        ws.has_table("orders")
        and name in ws.table("orders").columns
        and name not in ("customer_id", "order_id")
    ):
        return _first_value(ws.table("orders"), "ordered_at", name)
    if (
        ws.has_table("subscriptions")
        and name in ws.table("subscriptions").columns
        and (name not in ("customer_id", "term_id", "subscription_id"))
    ):
        return _first_value(ws.table("subscriptions"), "started_at", name)
    valid = sorted(set(available_attributes(ws)) | set(_SCHEMES) | {"cohort"})
    raise UnknownNameError(f"Unknown segment {name!r}; valid segments: {', '.join(valid)}.")
