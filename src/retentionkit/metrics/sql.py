"""SQL of an Ibis expression that runs as is against the workspace.

Ibis compiles an in-memory table (``ibis.memtable``: the report's periods and boundaries, a
segment table computed in pandas) to a name that exists only inside the running process.
:func:`to_runnable_sql` writes each such table into the statement as a leading CTE of
``VALUES`` rows under the same name, so the SQL runs in a fresh connection (``duckdb
workspace.duckdb < query.sql``).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    import ibis.expr.types as ir
    from sqlglot import exp as sge


def _literal(value: Any, dtype: Any) -> sge.Expression:
    """One typed SQL literal (NULL for a missing value)."""
    from sqlglot import exp

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return exp.Null()
    if dtype.is_timestamp() or isinstance(value, (pd.Timestamp, dt.datetime)):
        text = pd.Timestamp(value).isoformat(sep=" ")
        return exp.cast(exp.Literal.string(text), exp.DataType.build("timestamp"))
    if dtype.is_date():
        return exp.cast(exp.Literal.string(str(value)), exp.DataType.build("date"))
    if dtype.is_boolean():
        return exp.Boolean(this=bool(value))
    if dtype.is_numeric():
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


def _values_cte(name: str, frame: pd.DataFrame, schema: Any) -> sge.CTE:
    """``name AS (SELECT * FROM (VALUES …) AS v(columns))``."""
    from sqlglot import exp

    columns = list(schema.names)
    types = [schema[c] for c in columns]
    rows = [
        exp.Tuple(expressions=[_literal(v, t) for v, t in zip(row, types, strict=True)])
        for row in frame[columns].itertuples(index=False, name=None)
    ]
    values = exp.Values(
        expressions=rows,
        alias=exp.TableAlias(
            this=exp.to_identifier("v"), columns=[exp.to_identifier(c) for c in columns]
        ),
    )
    body = exp.select("*").from_(values)
    return exp.CTE(this=body, alias=exp.TableAlias(this=exp.to_identifier(name, quoted=True)))


#: sqlglot's name of a backend's dialect where it differs from the Ibis backend's name.
SQLGLOT_DIALECT = {"pyspark": "spark"}


def to_runnable_sql(expr: ir.Table, backend: str) -> str:
    """``expr`` as SQL for the Ibis ``backend`` (its name, e.g. duckdb or pyspark) with every
    in-memory table written inline."""
    import ibis
    import ibis.expr.operations as ops
    import sqlglot
    from sqlglot import exp

    sql = str(ibis.to_sql(expr, dialect=backend))
    memtables = {op.name: op for op in expr.op().find(ops.InMemoryTable)}
    if not memtables:
        return sql
    dialect = SQLGLOT_DIALECT.get(backend, backend)
    tree = sqlglot.parse_one(sql, read=dialect)
    ctes = [
        _values_cte(name, op.data.to_frame(), op.schema) for name, op in sorted(memtables.items())
    ]
    key = "with_" if "with_" in tree.arg_types else "with"  # sqlglot ≥ 28 calls it with_
    existing = tree.args.get(key)
    if existing is not None:
        existing.set("expressions", ctes + list(existing.expressions))
    else:
        tree.set(key, exp.With(expressions=ctes))
    return tree.sql(dialect=dialect, pretty=True)
