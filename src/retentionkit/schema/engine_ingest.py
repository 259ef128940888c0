"""Ingest validated and written inside DuckDB: the common case at the engine's speed.

The pandas path (:mod:`retentionkit.schema.ingest`) holds the whole file in Python objects: at
10 M orders that is minutes and gigabytes. This module does the same job in two SQL passes over
the file, never materialising it in Python:

1. **Check** (:func:`check`): one aggregate query in a throw-away in-memory DuckDB connection
   converts every value by its column kind and counts, per column and rule, the rows that are
   *not certain* to convert exactly as the pandas path converts them, the broken table rules
   (a negative amount, a delivery before its order …) and the distinct primary keys.
2. **Write** (:func:`write`): inside the workspace's one transaction, the same conversion
   expressions feed ``INSERT … SELECT`` (a new table) or a staged upsert (an existing table)
   with the same inserted / updated / unchanged counts as the pandas path.

**One definition of validity.** The engine path accepts only values in forms whose result is
certain: ids and text without surrounding whitespace, ``YYYY-MM-DD[ HH:MM[:SS[.ffffff]]]``
times in UTC, plain decimals for money (at most 4 decimals and 14 integer digits), plain whole
numbers for integers, and typed Parquet columns of the matching kind. Anything else — a bad
value, an unusual but valid form (``20240131``, ``1e3``, a UTC offset), a broken rule, a
repeated key, options the engine path does not cover (``--line-items``, ``--generate-id``,
``--date-format``, a time zone other than UTC, JSON, other encodings, the survey_responses
table, a PostgreSQL or Spark workspace) — makes :func:`plan` or :func:`check` step aside and
the pandas path run. So every refusal is still worded by the pandas path, exactly as before
(file, line, column, value, expectation), and every accepted file is stored exactly as the
pandas path stores it (tests/schema/test_engine_ingest.py proves both on random files).
"""

from __future__ import annotations

import codecs
import csv
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from retentionkit.config import Settings
from retentionkit.schema.common import (
    JSON_SUFFIXES,
    NA_STRINGS,
    PARQUET_SUFFIXES,
    IngestOptions,
    WriteStats,
    extra_column_name,
    type_family,
)
from retentionkit.schema.contracts import IBIS_TYPES, Column, TableContract, contract

__all__ = ["EnginePlan", "check", "enabled", "plan", "write"]

#: DuckDB type of each Ibis type string a contract or an extra column uses.
DUCKDB_TYPES = {
    "string": "VARCHAR",
    "timestamp(6)": "TIMESTAMP",
    "timestamp": "TIMESTAMP",
    "decimal(18, 4)": "DECIMAL(18,4)",
    "int64": "BIGINT",
    "float64": "DOUBLE",
}

#: Tables whose rules the engine path checks (survey answers need per-survey scales: pandas).
_TABLES = ("orders", "returns", "subscriptions", "acquisition_costs", "tickets", "customers")

_INT_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER")
_FLOAT_TYPES = ("FLOAT", "DOUBLE")
_TIME_TYPES = ("TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "DATE")

#: Characters Python's ``str.strip`` removes (control characters up to space included, so the
#: check is, if anything, stricter): a value starting or ending with one goes to pandas.
_WS_CLASS = (
    r"[\x00-\x20\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"
)
_EDGE_RE = f"^{_WS_CLASS}|{_WS_CLASS}$"
#: ISO dates and times the engine converts exactly as pandas' ISO 8601 parser does.
_TIME_RE = r"\d{4}-\d{2}-\d{2}(?:[T ](?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,6})?)?)?"
#: retentionkit.schema.money's vectorised form: at most 14 integer digits and 4 decimals.
_MONEY_RE = r"[+-]?\d{1,14}(?:\.\d{0,4})?|[+-]?\.\d{1,4}"
_INTEGER_RE = r"[+-]?\d{1,15}"
#: An extra column's number: few enough digits that every parser rounds it the same way.
_NUMBER_RE = r"-?\d{1,15}(?:\.\d{1,15})?"
#: A character no number pandas' to_numeric accepts can contain.
_NOT_NUMBER_RE = r"[^0-9.+\-eEiInNfFtTyYaA]"


def enabled() -> bool:
    """False when ``RETENTIONKIT_ENGINE_INGEST`` is ``off`` (every ingest takes the pandas
    path; for comparisons and as an escape hatch)."""
    value = os.environ.get("RETENTIONKIT_ENGINE_INGEST", "on").strip().lower()
    return value not in ("off", "0", "no", "false")


def _q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


_NA_LIST = ", ".join(_lit(s) for s in sorted(NA_STRINGS))


@dataclass
class _Col:
    """One column of the canonical frame: its SQL value and the checks it must pass."""

    name: str
    text: str | None  # the source as text (SQL), whose "missing" test _M stands for
    dtype: str  # Ibis type string, as planned_schema uses
    value: str  # SQL expression over the reader's columns
    bad: str | None = None  # SQL predicate: the row is not certain to convert as pandas does

    def inline(self, sql: str) -> str:
        """``sql`` with the missing-test token written out (the write pass)."""
        return sql.replace(_M, _missing(self.text)) if self.text is not None else sql


@dataclass
class EnginePlan:
    """How to read, convert and check one file for one table."""

    table: TableContract
    path: Path
    reader: str  # SQL table expression (read_parquet / read_csv)
    columns: list[_Col]
    extras: dict[str, str]  # extra attribute column → Ibis type (decided by check)
    text_extras: dict[str, str] = field(default_factory=dict)  # tidy name → source SQL
    rules: list[tuple[str, str]] = field(default_factory=list)  # (name, SQL predicate)
    stat: tuple[int, int, int] = (0, 0, 0)  # the file's size, mtime and inode when checked
    rows: int = 0
    declined: str | None = None  # why check() stepped aside (tests and debugging)

    @property
    def label(self) -> str:
        return self.path.name


class Declined(Exception):
    """The engine path does not cover this input: the pandas path runs instead."""


def plan(
    table: str,
    source: Any,
    options: IngestOptions,
    settings: Settings,
    *,
    delimiter: str | None = None,
    header: bool = True,
    columns: list[str] | None = None,
    encoding: str = "utf-8",
) -> EnginePlan | None:
    """The engine plan for this ingest, or None when the engine path does not cover it."""
    try:
        return _plan(table, source, options, settings, delimiter, header, columns, encoding)
    except Exception:  # Declined, or an input the pandas path will word (an unknown codec …)
        return None


def _plan(
    table: str,
    source: Any,
    options: IngestOptions,
    settings: Settings,
    delimiter: str | None,
    header: bool,
    columns: list[str] | None,
    encoding: str,
) -> EnginePlan:
    if not enabled() or table not in _TABLES:
        raise Declined(table)
    if options.line_items or options.generate_id or options.date_format:
        raise Declined("options")
    if (options.timezone or settings.timezone) != "UTC":
        raise Declined("time zone")
    if not isinstance(source, (str, Path)):
        raise Declined("not a file")
    path = Path(source)
    if not path.is_file() or path.stat().st_size == 0:
        raise Declined("not a file")
    target = contract(table)
    suffix = path.suffix.lower()
    with path.open("rb") as fh:
        magic = fh.read(4)
    import duckdb

    con = duckdb.connect()
    try:
        if suffix in PARQUET_SUFFIXES or magic == b"PAR1":
            reader, names, types = _parquet_reader(con, path)
        elif suffix in JSON_SUFFIXES:
            raise Declined("JSON")
        else:
            reader, names, types = _csv_reader(con, path, delimiter, header, columns, encoding)
    finally:
        con.close()
    sources = _map_columns(names, types, target, options, settings)
    cols, text_extras, extras = _columns(target, sources, _time_bounds(settings))
    st = path.stat()
    return EnginePlan(
        table=target,
        path=path,
        reader=reader,
        columns=cols,
        extras=extras,
        text_extras=text_extras,
        rules=_rules(target, {c.name for c in cols}),
        stat=(st.st_size, st.st_mtime_ns, st.st_ino),
    )


def _parquet_reader(con: Any, path: Path) -> tuple[str, list[str], list[str]]:
    reader = f"read_parquet({_lit(str(path))})"
    try:
        meta = con.execute(
            f"SELECT value FROM parquet_kv_metadata({_lit(str(path))}) WHERE key = 'pandas'"
        ).fetchall()
        described = con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
    except Exception as exc:  # a damaged file: the pandas path words the message
        raise Declined("unreadable") from exc
    for (value,) in meta:  # a pandas index stored as a column is not a column for pandas
        index = json.loads(bytes(value).decode("utf-8")).get("index_columns") or []
        if any(isinstance(item, str) for item in index):
            raise Declined("pandas index")
    return reader, [str(r[0]) for r in described], [str(r[1]) for r in described]


def _csv_reader(
    con: Any,
    path: Path,
    delimiter: str | None,
    header: bool,
    columns: list[str] | None,
    encoding: str,
) -> tuple[str, list[str], list[str]]:
    """``read_csv`` with the dialect pandas uses (double-quote quoting, no comments, no
    guessing), every column as text; the header is read here, as pandas reads it."""
    from retentionkit.errors import InputError
    from retentionkit.schema.sniff import _sniff_text, _wide_bom, resolve_delimiter

    if codecs.lookup(encoding).name != "utf-8" or _wide_bom(path):
        raise Declined("encoding")
    try:
        sample = _sniff_text(path, "utf-8")
        sep = resolve_delimiter(delimiter, path, sample)
    except InputError as exc:
        raise Declined("sniff") from exc
    if sep == r"\s+" or len(sep) != 1:
        raise Declined("whitespace delimiter")
    lines = sample.splitlines()
    if len(lines) < 2 or lines[0].count('"') % 2 or "\r" in lines[0]:
        raise Declined("header")  # a header spanning lines (a quoted line break): pandas
    first = next(csv.reader([lines[0]], delimiter=sep))
    if header:
        names = [str(c).strip().lstrip("\ufeff") for c in first]
    elif columns and len(columns) == len(first):
        names = list(columns)
    else:
        raise Declined("no header")
    if any(not n for n in names) or len(set(names)) != len(names):
        raise Declined("header names")
    spec = "{" + ", ".join(f"{_lit(f'c{i}')}: 'VARCHAR'" for i in range(len(names))) + "}"
    reader = (
        f"read_csv({_lit(str(path))}, delim={_lit(sep)}, quote='\"', escape='\"', "
        f"header={'true' if header else 'false'}, auto_detect=false, columns={spec}, "
        "strict_mode=true, null_padding=false, comment='', skip=0)"
    )
    # positional aliases: the user's names may be anything; c0, c1 … are ours
    aliased = (
        "(SELECT "
        + ", ".join(f"{_q(f'c{i}')} AS {_q(n)}" for i, n in enumerate(names))
        + f" FROM {reader})"
    )
    return aliased, names, ["VARCHAR"] * len(names)


def _map_columns(
    names: list[str],
    types: list[str],
    target: TableContract,
    options: IngestOptions,
    settings: Settings,
) -> dict[str, tuple[str, str]]:
    """The frame :func:`~retentionkit.schema.validate.apply_mapping` would make, as
    ``{column: (SQL source, DuckDB type)}`` in the same order; declines where it would
    refuse (the pandas path words the message)."""
    if len(set(names)) != len(names) or len(names) > 300:
        raise Declined("columns")
    mapping = dict(settings.mapping.get(target.name, {}))
    mapping.update(options.mapping)
    if any(s not in names for s in options.mapping):
        raise Declined("--map source")
    mapping = {s: t for s, t in mapping.items() if s in names}
    if any(not str(t).strip() for t in mapping.values()):
        raise Declined("--map target")
    renamed = [mapping.get(n, n) for n in names]
    lower = {str(c).lower(): c for c in renamed}
    auto = {lower[n]: n for n in target.names if n not in renamed and n in lower}
    renamed = [auto.get(c, c) for c in renamed]
    if len(set(renamed)) != len(renamed):
        raise Declined("duplicate after mapping")
    out: dict[str, tuple[str, str]] = {
        new: (_q(old), typ) for new, old, typ in zip(renamed, names, types, strict=True)
    }
    for name, value in options.constants.items():
        out[name] = (_lit(str(value)), "VARCHAR")
    return out


def _time_bounds(settings: Settings) -> tuple[str, str]:
    """[earliest_timestamp, latest_timestamp) of the settings as SQL timestamp literals
    (validate._check_plausible's range)."""
    return (
        f"TIMESTAMP {_lit(settings.earliest_timestamp.strftime('%Y-%m-%d %H:%M:%S.%f'))}",
        f"TIMESTAMP {_lit(settings.latest_timestamp.strftime('%Y-%m-%d %H:%M:%S.%f'))}",
    )


def _columns(
    target: TableContract, sources: dict[str, tuple[str, str]], bounds: tuple[str, str]
) -> tuple[list[_Col], dict[str, str], dict[str, str]]:
    """Canonical columns (contract order) and extra attributes (file order), as
    :func:`~retentionkit.schema.ingest.canonicalise` orders them."""
    if any(name not in sources for name in target.required):
        raise Declined("required column missing")
    cols = []
    for column in target.columns:
        if column.name in sources:
            sql, typ = sources[column.name]
            converted = _convert(column, sql, typ)
            if column.kind == "timestamp":  # inside the plausible range
                lo, hi = bounds
                outside = f"({_V} IS NOT NULL AND ({_V} < {lo} OR {_V} >= {hi}))"
                converted.bad = f"({converted.bad}) OR {outside}" if converted.bad else outside
            cols.append(converted)
    text_extras: dict[str, str] = {}
    extras: dict[str, str] = {}
    if target.extra_attributes:
        taken = {c.name for c in cols}
        for name, (sql, typ) in sources.items():
            if name in target.column_by_name or str(name).startswith("_"):
                continue
            tidy = extra_column_name(name)
            if tidy in target.column_by_name or tidy in taken:
                continue
            taken.add(tidy)
            if typ == "VARCHAR":
                text_extras[tidy] = sql  # number or text: decided by check()
                cols.append(_Col(tidy, None, "string", sql))
            elif typ in _INT_TYPES or typ in _FLOAT_TYPES:
                extras[tidy] = "float64"
                cols.append(_Col(tidy, None, "float64", f"CAST({sql} AS DOUBLE)"))
            else:
                raise Declined(f"extra column type {typ}")
    return cols, text_extras, extras


def _edge(sql: str) -> str:
    """True when the text starts or ends with a character ``str.strip`` may remove. A cheap
    byte comparison first (printable ASCII at both ends: certainly not), the exact regular
    expression only for the rest."""
    suspect = (
        f"({sql} < '!' OR {sql} >= chr(127) OR reverse({sql}) < '!' OR reverse({sql}) >= chr(127))"
    )
    return f"(CASE WHEN {suspect} THEN regexp_matches({sql}, {_lit(_EDGE_RE)}) ELSE false END)"


def _missing(sql: str) -> str:
    return f"({sql} IS NULL OR {sql} IN ({_NA_LIST}))"


#: Stand for the column's converted value and for its source's "missing" test in ``value`` and
#: ``bad`` (the check pass computes each once per row; the write pass writes them out).
_V = "@V@"
_M = "@M@"


def _convert(column: Column, sql: str, typ: str) -> _Col:
    """The SQL value of one canonical column and the rows not certain to match pandas."""
    kind = column.kind
    required = _M if column.required else None
    bad: str | None
    if typ == "VARCHAR":
        present = f"NOT {_M}"
        if kind in ("id", "text"):
            value = f"CASE WHEN {_M} THEN NULL ELSE {sql} END"
            bad = f"({present} AND {_edge(sql)})"
        else:
            forms = {
                "timestamp": ("TIMESTAMP", _TIME_RE),
                "money": ("DECIMAL(18,4)", _MONEY_RE),
                "integer": ("BIGINT", _INTEGER_RE),
            }
            if kind not in forms:
                raise Declined(kind)
            cast, pattern = forms[kind]
            value = f"CASE WHEN {_M} THEN NULL ELSE TRY_CAST({sql} AS {cast}) END"
            bad = f"({present} AND (NOT regexp_full_match({sql}, {_lit(pattern)}) OR {_V} IS NULL))"
    else:
        value, bad = _convert_typed(kind, sql, typ)
        required = f"{sql} IS NULL" if column.required else None
    checks = [b for b in (bad, required) if b]
    return _Col(
        column.name,
        sql if typ == "VARCHAR" else None,
        IBIS_TYPES[kind],
        value,
        " OR ".join(f"({c})" for c in checks) if checks else None,
    )


def _convert_typed(kind: str, sql: str, typ: str) -> tuple[str, str | None]:
    """A typed (Parquet) column: the kinds pandas converts without loss."""
    limit = 2**53
    if kind in ("id", "text"):
        if typ in _INT_TYPES:  # pandas writes 12 as "12" (through float when nulls: < 2**53)
            return f"CAST({sql} AS VARCHAR)", f"abs({sql}) >= {limit}"
        raise Declined(f"{kind} from {typ}")
    if kind == "timestamp":
        if typ in _TIME_TYPES:
            return f"CAST({sql} AS TIMESTAMP)", None
        raise Declined(f"timestamp from {typ}")
    if kind == "money":
        if typ.startswith("DECIMAL("):
            precision, scale = (int(x) for x in typ[8:-1].split(","))
            if scale <= 4 and precision - scale <= 14:
                return f"CAST({sql} AS DECIMAL(18,4))", None
            raise Declined(f"money from {typ}")
        if typ in _INT_TYPES:
            return f"CAST({sql} AS DECIMAL(18,4))", f"abs({sql}) >= 900000000000"
        if typ in _FLOAT_TYPES:
            # money.float_units' fast path: the double nearest a 4-decimal amount
            units = f"round(CAST({sql} AS DOUBLE) * 10000)"
            value = (
                f"CAST(CAST(CAST({units} AS BIGINT) AS DECIMAL(18,0)) * 0.0001 AS DECIMAL(18,4))"
            )
            bad = (
                f"({sql} IS NOT NULL AND (NOT isfinite(CAST({sql} AS DOUBLE)) "
                f"OR abs(CAST({sql} AS DOUBLE)) >= 1e9 "
                f"OR {units} / 10000 <> CAST({sql} AS DOUBLE)))"
            )
            return value, bad
        raise Declined(f"money from {typ}")
    if kind == "integer":
        if typ in _INT_TYPES:
            return f"CAST({sql} AS BIGINT)", f"abs({sql}) >= {limit}"
        if typ in _FLOAT_TYPES:
            bad = (
                f"({sql} IS NOT NULL AND (NOT isfinite({sql}) OR abs({sql}) >= {limit} "
                f"OR {sql} <> floor({sql})))"
            )
            return f"CAST({sql} AS BIGINT)", bad
        raise Declined(f"integer from {typ}")
    raise Declined(kind)


def _rules(target: TableContract, present: set[str]) -> list[tuple[str, str]]:
    """:func:`~retentionkit.schema.ingest._check_rules` as SQL predicates over the values."""
    name = target.name
    rules: list[tuple[str, str]] = []

    def rule(col: str, predicate: str) -> None:
        if col in present:
            rules.append((col, predicate))

    if name == "orders":
        rule("amount", "v_amount < 0")
        if "delivered_at" in present:
            rules.append(("delivered_at", "v_delivered_at < v_ordered_at"))
        rule("quantity", "v_quantity < 0")
    elif name == "returns":
        rule("amount", "v_amount < 0")
        rule("quantity", "v_quantity < 0")
    elif name == "subscriptions":
        rule("mrr", "v_mrr < 0")
        if "ended_at" in present:
            rules.append(("ended_at", "v_ended_at <= v_started_at"))
    elif name == "acquisition_costs":
        rule("amount", "v_amount < 0")
    elif name == "tickets" and "resolved_at" in present:
        rules.append(("resolved_at", "v_resolved_at < v_opened_at"))
    return rules


def _values_sql(p: EnginePlan, types: dict[str, str] | None = None) -> str:
    """``SELECT`` of every canonical value from the file (cast to ``types`` when given)."""
    items = []
    for c in p.columns:
        value = c.inline(c.value)
        if c.name in p.text_extras:
            value = _extra_value(p.text_extras[c.name], p.extras[c.name])
        if types is not None:
            value = f"CAST({value} AS {types[c.name]})"
        items.append(f"{value} AS {_q(c.name)}")
    return f"SELECT {', '.join(items)} FROM {p.reader}"


def _extra_value(sql: str, dtype: str) -> str:
    if dtype == "float64":
        return f"CASE WHEN {_missing(sql)} THEN NULL ELSE CAST({sql} AS DOUBLE) END"
    return f"CASE WHEN {_missing(sql)} THEN NULL ELSE {sql} END"


def check(p: EnginePlan, *, progress: bool = False) -> bool:
    """Pass 1: True when every row converts certainly, every rule holds and every key is
    unique; False (``p.declined`` says why) when the pandas path must decide."""
    import duckdb

    checks: list[tuple[str, str]] = []
    for c in p.columns:
        if c.bad and c.name not in p.text_extras:
            bad = c.bad.replace(_V, _q("v_" + c.name)).replace(_M, _q("m_" + c.name))
            checks.append((f"column {c.name}", bad))
    for name, sql in p.text_extras.items():
        present = f"NOT {_missing(sql)}"
        checks += [
            (f"{name}:present", present),
            (
                f"{name}:not number",
                f"({present} AND regexp_matches({sql}, {_lit(_NOT_NUMBER_RE)}))",
            ),
            (f"{name}:number", f"({present} AND regexp_full_match({sql}, {_lit(_NUMBER_RE)}))"),
            (f"{name}:leading zero", f"({present} AND regexp_matches({sql}, '^[+-]?0[0-9]'))"),
            (f"{name}:edge", f"({present} AND {_edge(sql)})"),
        ]
    # each source's missing test, then each value, computed once per row (the source columns
    # stay visible for the checks on text)
    canonical = [c for c in p.columns if c.name not in p.text_extras]
    tested = [c for c in canonical if c.text is not None]
    first = ", ".join(["*"] + [f"{_missing(c.text)} AS {_q('m_' + c.name)}" for c in tested])  # type: ignore[arg-type]
    inner = ", ".join(
        ["*"]
        + [f"{c.value.replace(_M, _q('m_' + c.name))} AS {_q('v_' + c.name)}" for c in canonical]
    )
    pk = _q("v_" + p.table.primary_key)
    outer = ", ".join(
        # distinct 64-bit hashes: as many as rows proves every key unique (a collision, about
        # one in 10^12 files of 10 M rows, only sends the file to the pandas path)
        ["count(*)", f"count(DISTINCT hash({pk}))"]
        + [f"count(*) FILTER (WHERE {sql})" for _, sql in checks]
        + [f"count(*) FILTER (WHERE {sql})" for _, sql in p.rules]
    )
    con = duckdb.connect()
    try:
        con.execute("SET preserve_insertion_order = false")
        # DuckDB's own progress bar (on stdout) for a user at a terminal, as the pandas path's
        con.execute(f"SET enable_progress_bar = {'true' if progress else 'false'}")
        row = con.execute(
            f"SELECT {outer} FROM (SELECT {inner} FROM (SELECT {first} FROM {p.reader}))"
        ).fetchone()
    except Exception as exc:  # ragged rows, bad UTF-8 …: the pandas path words it
        p.declined = f"read: {str(exc).splitlines()[0]}"
        return False
    finally:
        con.close()
    assert row is not None
    n, keys, counts = int(row[0]), int(row[1]), [int(x) for x in row[2:]]
    p.rows = n
    found = dict(zip([name for name, _ in checks], counts, strict=False))
    rule_counts = counts[len(checks) :]
    if n == 0:
        p.declined = "no rows"
        return False
    for name, _ in checks:
        if ":" not in name and found[name]:
            p.declined = f"{name}: {found[name]} rows"
            return False
    for (col, _), hits in zip(p.rules, rule_counts, strict=True):
        if hits:
            p.declined = f"rule on {col}: {hits} rows"
            return False
    if keys != n:
        p.declined = "repeated keys"
        return False
    for name in p.text_extras:
        # parse_extra: a number column when every present value is one and none is a code
        # with a leading zero, else text
        present_rows = found[f"{name}:present"]
        if found[f"{name}:edge"]:
            p.declined = f"extra {name}: whitespace"
            return False
        if present_rows == 0 or found[f"{name}:not number"] or found[f"{name}:leading zero"]:
            p.extras[name] = "string"
        elif found[f"{name}:number"] == present_rows:
            p.extras[name] = "float64"
        else:
            p.declined = f"extra {name}: number or text unclear"
            return False
    for c in p.columns:
        if c.name in p.extras:
            c.dtype = p.extras[c.name]
    # file order, as canonicalise() lists extra columns
    p.extras = {c.name: c.dtype for c in p.columns if c.name in p.extras}
    return True


def _stat(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return (st.st_size, st.st_mtime_ns, st.st_ino)


def write(raw: Any, p: EnginePlan, *, progress: bool = False) -> WriteStats:
    """Pass 2, inside the caller's transaction on the workspace's plain ``duckdb`` connection:
    create or widen the table and upsert the file's rows on the primary key. Raises
    :class:`Declined` (the caller rolls back and runs the pandas path) when the table would
    need an extra column retyped, or when the file changed since :func:`check`."""
    raw.execute(f"SET enable_progress_bar = {'true' if progress else 'false'}")
    try:
        return _write(raw, p)
    finally:
        raw.execute("SET enable_progress_bar = false")


def _write(raw: Any, p: EnginePlan) -> WriteStats:
    name = p.table.name
    pk = p.table.primary_key
    stats = WriteStats(name)
    # a literal, not a ? parameter: binding a parameter makes the duckdb module import pandas
    exists = raw.execute(
        f"SELECT count(*) FROM duckdb_tables() WHERE table_name = {_lit(name)} AND "
        "schema_name = current_schema() AND NOT temporary"
    ).fetchone()[0]
    if not exists:
        schema = p.table.ibis_schema(p.extras)
        ddl = ", ".join(f"{_q(c)} {DUCKDB_TYPES[t]}" for c, t in schema.items())
        raw.execute(f"CREATE TABLE {_q(name)} ({ddl})")
        targets = ", ".join(_q(c.name) for c in p.columns)
        inserted = raw.execute(f"INSERT INTO {_q(name)} ({targets}) {_values_sql(p)}").fetchone()
        stats.inserted = int(inserted[0]) if inserted else 0
        _same_file(p, stats.inserted)
        return stats
    current = {
        str(r[0]): str(r[1])
        for r in raw.execute(f"DESCRIBE {_q(name)}").fetchall()  # column_name, column_type
    }
    for extra, dtype in p.extras.items():
        if extra in current and type_family(current[extra]) != type_family(DUCKDB_TYPES[dtype]):
            raise Declined(f"extra {extra} retyped")
    wanted = {c: DUCKDB_TYPES[t] for c, t in p.table.ibis_schema(p.extras).items()}
    for col, typ in wanted.items():
        if col not in current:
            raw.execute(f"ALTER TABLE {_q(name)} ADD COLUMN {_q(col)} {typ}")
            current[col] = typ
    present = [c.name for c in p.columns]
    stage = f"rk_engine_stage_{os.getpid()}"
    same = " AND ".join(f"s.{_q(c)} IS NOT DISTINCT FROM t.{_q(c)}" for c in present)
    raw.execute(
        f"CREATE OR REPLACE TEMP TABLE {_q(stage)} AS SELECT s.*, CASE WHEN t.{_q(pk)} IS NULL "
        f"THEN 0 WHEN {same} THEN 1 ELSE 2 END AS rk_state FROM ({_values_sql(p, current)}) s "
        f"LEFT JOIN {_q(name)} t ON s.{_q(pk)} = t.{_q(pk)}"
    )
    try:
        counts = dict(
            raw.execute(f"SELECT rk_state, count(*) FROM {_q(stage)} GROUP BY ALL").fetchall()
        )
        stats.inserted = int(counts.get(0, 0))
        stats.unchanged = int(counts.get(1, 0))
        stats.updated = int(counts.get(2, 0))
        _same_file(p, stats.rows)
        cols = ", ".join(_q(c) for c in present)
        if stats.updated:
            sets = ", ".join(f"{_q(c)} = s.{_q(c)}" for c in present if c != pk)
            raw.execute(
                f"UPDATE {_q(name)} AS t SET {sets} FROM {_q(stage)} s "
                f"WHERE t.{_q(pk)} = s.{_q(pk)} AND s.rk_state = 2"
            )
        if stats.inserted:
            raw.execute(
                f"INSERT INTO {_q(name)} ({cols}) SELECT {cols} FROM {_q(stage)} WHERE rk_state = 0"
            )
    finally:
        raw.execute(f"DROP TABLE IF EXISTS {_q(stage)}")
    return stats


def _same_file(p: EnginePlan, rows: int) -> None:
    if rows != p.rows or _stat(p.path) != p.stat:
        raise Declined("the file changed while it was loaded")
