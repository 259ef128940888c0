"""Write canonical frames into the workspace: create tables, add new attribute columns, upsert.

Everything goes through Ibis (``create_table``, ``upsert``, ``insert``) so other backends plug in;
the caller wraps a whole ingest in :func:`retentionkit.backends.transaction` (all or nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from retentionkit.schema.contracts import TableContract


@dataclass
class WriteStats:
    table: str
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def rows(self) -> int:
        return self.inserted + self.updated + self.unchanged

    def sentence(self) -> str:
        return (
            f"{self.table}: {self.inserted:,} inserted, {self.updated:,} updated, "
            f"{self.unchanged:,} unchanged"
        )


def ensure_table(con: Any, contract: TableContract, extras: dict[str, str]) -> dict[str, str]:
    """Create the table when missing, add attribute columns it lacks; return its schema
    (column → Ibis type string) after the change."""
    import ibis

    wanted = contract.ibis_schema()
    if contract.name not in con.list_tables():
        schema = dict(wanted)
        schema.update(extras)
        con.create_table(contract.name, schema=ibis.schema(schema))
        return schema
    table = con.table(contract.name)
    current = {name: str(dtype) for name, dtype in table.schema().items()}
    added = {c: t for c, t in {**wanted, **extras}.items() if c not in current}
    retyped = {
        c
        for c, t in extras.items()
        if c in current and c not in wanted and _family(current[c]) != _family(t)
    }
    if added or retyped:
        cols = {}
        for name in current:
            col = table[name]
            cols[name] = col.cast("string") if name in retyped else col
        for name, dtype in added.items():
            cols[name] = ibis.null().cast(dtype)
        con.create_table(contract.name, table.select(**cols), overwrite=True)
        current.update({c: "string" for c in retyped})
        current.update(added)
    return current


def _family(dtype: str) -> str:
    d = dtype.lower().rstrip("!")
    if d.startswith(("float", "double", "int", "decimal")):
        return "number"
    return d


def upsert_frame(
    con: Any, contract: TableContract, frame: pd.DataFrame, schema: dict[str, str]
) -> WriteStats:
    """Upsert ``frame`` on the primary key; count inserted / updated / unchanged rows.

    Columns of the table that the frame does not carry keep their stored values for rows that
    already exist (a file without ``delivered_at`` does not erase it)."""
    import ibis

    pk = contract.primary_key
    stats = WriteStats(contract.name)
    if frame.empty:
        return stats
    present = [c for c in schema if c in frame.columns]
    src = ibis.memtable(frame[present])
    src = src.select(**{c: _cast(src[c], schema[c]) for c in present})
    target = con.table(contract.name)
    old = target.select(**{f"{c}__old": target[c] for c in schema})
    joined = src.left_join(old, src[pk] == old[f"{pk}__old"])
    full = joined.select(
        **{c: (joined[c] if c in present else joined[f"{c}__old"]) for c in schema},
        __matched=joined[f"{pk}__old"].notnull(),
        __same=ibis.and_(
            *[
                (joined[c] if c in present else joined[f"{c}__old"]).identical_to(
                    joined[f"{c}__old"]
                )
                for c in schema
            ]
        ),
    )
    counts = full.aggregate(
        n=full.count(),
        matched=full["__matched"].cast("int64").sum(),
        same=(full["__matched"] & full["__same"]).cast("int64").sum(),
    ).execute()
    total = int(counts["n"].iloc[0])
    matched = int(counts["matched"].iloc[0] or 0)
    same = int(counts["same"].iloc[0] or 0)
    stats.inserted = total - matched
    stats.unchanged = same
    stats.updated = matched - same
    if stats.inserted == 0 and stats.updated == 0:
        return stats
    changed = full.filter(~(full["__matched"] & full["__same"])).select(*schema)
    if matched == 0:
        con.insert(contract.name, changed)
    else:
        con.upsert(contract.name, changed, on=pk)
    return stats


def _cast(col: Any, dtype: str) -> Any:
    if dtype.startswith("decimal"):
        return col.cast("float64").round(4).cast(dtype)
    return col.cast(dtype)
