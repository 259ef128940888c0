"""Write canonical frames into the workspace: stage, create tables, add attribute columns, upsert.

Everything goes through Ibis (``create_table``, ``upsert``, ``insert``) so other backends plug in.
The caller (:func:`retentionkit.schema.ingest.write_batches`) stages every frame first
(:func:`stage_frame`), then runs all table changes and upserts in one transaction
(:func:`retentionkit.backends.transaction`): a crash at any moment leaves the before- or the
after-state (docs/reliability.md).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from retentionkit.schema.common import WriteStats, type_family
from retentionkit.schema.contracts import TableContract


def planned_schema(
    con: Any, contract: TableContract, extras: dict[str, str]
) -> tuple[dict[str, str], dict[str, str], set[str]]:
    """What :func:`ensure_table` will make of the table, without changing anything:
    ``(schema after the change, columns to add, extra columns retyped to text)``."""
    wanted = contract.ibis_schema()
    if contract.name not in con.list_tables():
        schema = dict(wanted)
        schema.update(extras)
        return schema, schema, set()
    current = {name: str(dtype) for name, dtype in con.table(contract.name).schema().items()}
    added = {c: t for c, t in {**wanted, **extras}.items() if c not in current}
    retyped = {
        c
        for c, t in extras.items()
        if c in current and c not in wanted and type_family(current[c]) != type_family(t)
    }
    schema = dict(current)
    schema.update({c: "string" for c in retyped})
    schema.update(added)
    return schema, added, retyped


def ensure_table(con: Any, contract: TableContract, extras: dict[str, str]) -> dict[str, str]:
    """Create the table when missing, add attribute columns it lacks; return its schema
    (column → Ibis type string) after the change."""
    import ibis

    schema, added, retyped = planned_schema(con, contract, extras)
    if contract.name not in con.list_tables():
        con.create_table(contract.name, schema=ibis.schema(schema))
    elif added or retyped:
        table = con.table(contract.name)
        cols = {}
        for name in table.columns:
            col = table[name]
            cols[name] = col.cast("string") if name in retyped else col
        for name, dtype in added.items():
            cols[name] = ibis.null().cast(dtype)
        con.create_table(contract.name, table.select(**cols), overwrite=True)
    return schema


def _all(predicates: list[Any]) -> Any:
    """AND of many predicates as a balanced tree (depth log2 n): a chain of a thousand
    columns would exceed Python's recursion limit in the expression compiler."""
    while len(predicates) > 1:
        pairs = [a & b for a, b in zip(predicates[::2], predicates[1::2], strict=False)]
        predicates = pairs + ([predicates[-1]] if len(predicates) % 2 else [])
    return predicates[0]


#: Backends whose staging is a temporary table (others stage an in-memory Ibis table).
_TEMP_STAGING = ("duckdb", "postgres")


def stage_frame(
    con: Any, contract: TableContract, frame: pd.DataFrame, schema: dict[str, str]
) -> Any:
    """The validated frame as a table of the backend, typed like the target, written *before*
    the transaction starts: on DuckDB and PostgreSQL a temporary table of this session (never in
    the workspace file or its WAL, invisible to other sessions), so the transaction itself only
    runs statements between tables.

    Money columns arrive as exact scaled integers (:mod:`retentionkit.schema.money`) and become
    ``decimal(18, 4)`` without passing through a float."""
    import ibis
    import pyarrow as pa

    from retentionkit.backends import backend_name
    from retentionkit.schema import money

    present = [c for c in schema if c in frame.columns]
    arrays, names = [], []
    for name in present:
        column = contract.column_by_name.get(name)
        if column is not None and column.kind == "money":
            arrays.append(money.to_arrow(frame[name]))
        else:
            array = pa.Array.from_pandas(frame[name].reset_index(drop=True))
            if pa.types.is_null(array.type):  # an all-empty column: give it the target's type
                array = pa.nulls(len(array), ibis.dtype(schema[name]).to_pyarrow())
            arrays.append(array)
        names.append(name)
    arrow = pa.Table.from_arrays(arrays, names=names)
    if backend_name(con) == "postgres":  # COPY, not Ibis' row-by-row memtable registration
        from retentionkit.backends.postgres import stage_arrow

        raw = stage_arrow(con, arrow, ibis.util.gen_name("rk_raw"))
        typed = raw.select(**{c: raw[c].cast(schema[c]) for c in present})
        staged = con.create_table(ibis.util.gen_name("rk_stage"), typed, temp=True)
        con.drop_table(raw.get_name(), force=True)
        return staged
    src = ibis.memtable(arrow)
    typed = src.select(**{c: src[c].cast(schema[c]) for c in present})
    if backend_name(con) not in _TEMP_STAGING:
        return typed
    return con.create_table(ibis.util.gen_name("rk_stage"), typed, temp=True)


def drop_stage(con: Any, staged: Any) -> None:
    """Drop a temporary staging table made by :func:`stage_frame` (a no-op elsewhere)."""
    from retentionkit.backends import backend_name

    if backend_name(con) in _TEMP_STAGING:
        con.drop_table(staged.get_name(), force=True)


def upsert_staged(
    con: Any, contract: TableContract, staged: Any, schema: dict[str, str]
) -> WriteStats:
    """Upsert the staged rows on the primary key; count inserted / updated / unchanged rows.

    Columns of the table that the frame does not carry keep their stored values for rows that
    already exist (a file without ``delivered_at`` does not erase it)."""

    pk = contract.primary_key
    stats = WriteStats(contract.name)
    present = [c for c in schema if c in staged.columns]
    src = staged.select(**{c: staged[c].cast(schema[c]) for c in present})
    target = con.table(contract.name)
    old = target.select(**{f"{c}__old": target[c] for c in schema})
    joined = src.left_join(old, src[pk] == old[f"{pk}__old"])
    full = joined.select(
        **{c: (joined[c] if c in present else joined[f"{c}__old"]) for c in schema},
        __matched=joined[f"{pk}__old"].notnull(),
        __same=_all(
            [
                (joined[c] if c in present else joined[f"{c}__old"]).identical_to(
                    joined[f"{c}__old"]
                )
                for c in schema
            ]
        ),
    )
    counts = full.aggregate(
        n=full.count(),
        # ifelse, not a cast: PostgreSQL has no boolean → bigint cast
        matched=full["__matched"].ifelse(1, 0).sum(),
        same=(full["__matched"] & full["__same"]).ifelse(1, 0).sum(),
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
    from retentionkit.backends import backend_name, upsert_on_conflict

    if backend_name(con) == "postgres":
        upsert_on_conflict(con, contract.name, changed, pk)
    elif matched == 0:
        con.insert(contract.name, changed)
    else:
        con.upsert(contract.name, changed, on=pk)
    return stats
