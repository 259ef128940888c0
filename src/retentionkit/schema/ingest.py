"""Ingest: read a source, validate it against its table contract, upsert all or nothing.

Pipeline: :func:`~retentionkit.schema.readers.read_source` → mapping and constants →
(line items → orders + returns) → parse every column by its kind → table rules → primary-key
duplicates → :func:`write_batches` (staged, then one transaction).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from retentionkit.config import Settings
from retentionkit.errors import InputError
from retentionkit.schema import money
from retentionkit.schema.common import IngestOptions, IngestReport, extra_column_name
from retentionkit.schema.contracts import CONTRACTS, RETURNS, Column, TableContract, contract
from retentionkit.schema.readers import SourceFrame, read_source
from retentionkit.schema.store import (
    drop_stage,
    ensure_table,
    planned_schema,
    stage_frame,
    upsert_staged,
)
from retentionkit.schema.validate import (
    INTEGER_LIMIT,
    INTEGER_LIMIT_TEXT,
    apply_mapping,
    check_required,
    parse_column,
    parse_extra,
    show_value,
)

__all__ = ["IngestOptions", "IngestReport", "ingest_source", "prepare"]


#: Most columns a source may have (canonical plus extra attributes): every extra column is a
#: workspace column compared on each upsert, and thousands make an ingest take minutes.
MAX_COLUMNS = 300

# The timestamp that orders rows in time, per table (used by --generate-id).
TIME_COLUMN = {
    "orders": "ordered_at",
    "returns": "returned_at",
    "subscriptions": "started_at",
    "survey_responses": "responded_at",
    "acquisition_costs": "incurred_on",
    "tickets": "opened_at",
    "customers": "signed_up_at",
}


def canonicalise(
    src: SourceFrame,
    frame: pd.DataFrame,
    table: TableContract,
    options: IngestOptions,
    settings: Settings,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """Parse every column of ``frame`` against ``table``; return the canonical frame and the
    Ibis types of its extra attribute columns."""
    generate = options.generate_id and table.primary_key not in frame.columns
    required = [c for c in table.required if not (generate and c == table.primary_key)]
    check_required(src, frame, required, table.name)
    out: dict[str, pd.Series] = {}
    for column in table.columns:
        if column.name in frame.columns and not (generate and column.name == table.primary_key):
            out[column.name] = parse_column(
                src, frame[column.name], column, options, settings, table.name
            )
    extras: dict[str, str] = {}
    if table.extra_attributes:
        for name in frame.columns:
            if name in table.column_by_name or str(name).startswith("_"):
                continue
            tidy = extra_column_name(name)
            if tidy in table.column_by_name or tidy in out:
                continue
            out[tidy], extras[tidy] = parse_extra(frame[name])
    result = pd.DataFrame(out, index=frame.index)
    if generate:
        result.insert(0, table.primary_key, _generated_ids(result, table))
    _check_rules(src, result, table, settings, frame)
    return result, extras


def _generated_ids(frame: pd.DataFrame, table: TableContract) -> pd.Series:
    """A stable key from the row's content: customer, time and the occurrence number among
    rows with the same customer and time (so re-loading the same file is idempotent)."""
    time_col = TIME_COLUMN[table.name]
    cust = frame.get("customer_id", pd.Series("", index=frame.index)).fillna("")
    when = (
        frame[time_col].dt.strftime("%Y-%m-%dT%H:%M:%S")
        if time_col in frame
        else pd.Series("", index=frame.index)
    )
    key = cust.astype(str) + "|" + when.astype(str)
    occurrence = key.groupby(key).cumcount() + 1
    return key + "|" + occurrence.astype(str)


def _check_rules(
    src: SourceFrame,
    frame: pd.DataFrame,
    table: TableContract,
    settings: Settings,
    raw: pd.DataFrame,
) -> None:
    """Rules across columns (no negative amounts, an end not before its start, …); the value
    shown is the one written in the file."""

    def fail(mask: pd.Series, column: str, expected: str) -> None:
        hits = np.flatnonzero(mask.fillna(False).to_numpy(dtype=bool))
        if hits.size:
            pos = int(hits[0])
            value = (raw[column] if column in raw else frame[column]).iloc[pos]
            raise InputError(
                f"{src.label}, {src.where(pos)}, column {src.column(column)}: {show_value(value)} "
                f"is not valid; expected {expected}."
            )

    name = table.name
    if name == "orders":
        if "amount" in frame:  # optional: a visit or loyalty-card log has no amounts
            fail(
                frame["amount"] < 0,
                "amount",
                "an amount of 0 or more (load refunds into the returns table)",
            )
        if "delivered_at" in frame:
            fail(
                frame["delivered_at"] < frame["ordered_at"],
                "delivered_at",
                "a delivery time not before ordered_at",
            )
        if "quantity" in frame:
            fail(frame["quantity"] < 0, "quantity", "a quantity of 0 or more")
    elif name == "returns":
        for col in ("amount", "quantity"):
            if col in frame:
                fail(frame[col] < 0, col, f"a returned {col} of 0 or more")
    elif name == "subscriptions":
        fail(frame["mrr"] < 0, "mrr", "an MRR of 0 or more")
        if "ended_at" in frame:
            fail(
                frame["ended_at"] <= frame["started_at"],
                "ended_at",
                "an end after started_at (or empty for a running term)",
            )
    elif name == "acquisition_costs":
        fail(frame["amount"] < 0, "amount", "a cost of 0 or more")
    elif name == "tickets":
        if "resolved_at" in frame:
            fail(
                frame["resolved_at"] < frame["opened_at"],
                "resolved_at",
                "a resolution time not before opened_at",
            )
    elif name == "survey_responses":
        frame["survey"] = frame["survey"].str.lower()
        _check_scores(src, frame, settings, raw)


def _check_scores(
    src: SourceFrame, frame: pd.DataFrame, settings: Settings, raw: pd.DataFrame
) -> None:
    lo = pd.Series(np.nan, index=frame.index)
    hi = pd.Series(np.nan, index=frame.index)
    for survey, scale in settings.surveys.items():
        mask = frame["survey"] == survey
        lo[mask], hi[mask] = scale.min, scale.max
    if "scale_min" in frame:
        lo = frame["scale_min"].astype("float64").fillna(lo)
    if "scale_max" in frame:
        hi = frame["scale_max"].astype("float64").fillna(hi)
    bad = (frame["score"] < lo) | (frame["score"] > hi)
    hits = np.flatnonzero(bad.fillna(False).to_numpy(dtype=bool))
    if hits.size:
        pos = int(hits[0])
        survey = frame["survey"].iloc[pos]
        value = raw["score"].iloc[pos] if "score" in raw else frame["score"].iloc[pos]
        raise InputError(
            f"{src.label}, {src.where(pos)}, column {src.column('score')}: {show_value(value)} is "
            f"outside the {survey} scale; expected a score from {lo.iloc[pos]:g} to "
            f"{hi.iloc[pos]:g}."
        )
    # NPS answers are whole points 0-10 (the promoter/passive/detractor cut-offs assume it)
    fractional = (frame["survey"] == "nps") & (frame["score"] != np.floor(frame["score"]))
    hits = np.flatnonzero(fractional.fillna(False).to_numpy(dtype=bool))
    if hits.size:
        pos = int(hits[0])
        value = raw["score"].iloc[pos] if "score" in raw else frame["score"].iloc[pos]
        raise InputError(
            f"{src.label}, {src.where(pos)}, column {src.column('score')}: {show_value(value)} is "
            "not a whole number; expected an NPS answer from 0 to 10."
        )


def dedupe_keys(
    src: SourceFrame,
    frame: pd.DataFrame,
    table: TableContract,
    raw: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Identical repeated rows collapse to one; the same key with different values is refused
    (the message quotes ``raw``, the values as written, when given)."""
    pk = table.primary_key
    dup = frame[pk].duplicated(keep=False)
    if not dup.any():
        return frame
    exact = frame.duplicated(keep="first")
    rest = frame[~exact]
    conflict = rest[pk].duplicated(keep=False)
    if conflict.any():
        key = rest.loc[conflict, pk].iloc[0]
        rows = [frame.index.get_loc(i) for i in frame.index[frame[pk] == key]]
        first, second = rows[0], next(r for r in rows[1:] if not exact.iloc[r])
        diff = next(
            (c for c in frame.columns if not _same(frame[c].iloc[first], frame[c].iloc[second])), pk
        )
        shown = raw[diff] if raw is not None and diff in raw else frame[diff]
        raise InputError(
            f"{src.label}, {src.where(second)}, column {src.column(pk)}: {show_value(key)} "
            f"repeats {src.where(first)} with a different {diff} "
            f"({show_value(shown.iloc[first])} vs {show_value(shown.iloc[second])}); "
            f"expected one row per {pk}."
        )
    return rest


def _same(a: Any, b: Any) -> bool:
    if pd.isna(a) and pd.isna(b):
        return True
    return bool(a == b)


LINE_ITEM_COLUMNS = (
    Column("order_id", "id", True),
    Column("customer_id", "id", False),
    Column("ordered_at", "timestamp", True),
    Column("quantity", "integer", True),
    Column("unit_price", "money", True),
)


def _line_items(
    src: SourceFrame,
    frame: pd.DataFrame,
    options: IngestOptions,
    settings: Settings,
    report: IngestReport,
) -> list[tuple[TableContract, pd.DataFrame, dict[str, str]]]:
    """A line-item export (one row per product with quantity and unit price) becomes orders
    summed per order id; cancellation lines (order id starting with 'C' or a negative
    quantity) become returns."""
    check_required(src, frame, [c.name for c in LINE_ITEM_COLUMNS], "orders (line items)")
    lines = pd.DataFrame(
        {
            c.name: parse_column(src, frame[c.name], c, options, settings, "orders")
            for c in LINE_ITEM_COLUMNS
        },
        index=frame.index,
    )
    no_customer = lines["customer_id"].isna()
    if no_customer.any():
        first = src.where(int(np.flatnonzero(no_customer.to_numpy())[0]))
        if not options.drop_missing_customer:
            raise InputError(
                f"{src.label}, {first}, column {src.column('customer_id')}: is empty; every "
                "order needs a customer_id (give --drop-missing-customer to skip such lines "
                "and report them)."
            )
        report.notes.append(
            f"{int(no_customer.sum()):,} lines without a customer_id skipped (first at {first})"
        )
    extra_names = [
        c
        for c in frame.columns
        if c not in {x.name for x in LINE_ITEM_COLUMNS}
        and not str(c).startswith("_")
        and c not in ("amount", "return_id")
    ]
    keep = ~no_customer
    lines = lines[keep]
    extras_raw = frame.loc[keep, extra_names]
    _check_line_values(src, frame, lines)
    lines["line_amount"] = _line_totals(src, frame, lines)
    is_return = lines["order_id"].str.upper().str.startswith("C") | (lines["quantity"] < 0)
    lines["kind"] = np.where(is_return, "return", "order")
    group_key = [lines["order_id"], lines["kind"]]
    conflict = lines.groupby(group_key)["customer_id"].nunique() > 1
    if conflict.any():
        order_id, _ = conflict[conflict].index[0]
        pos = frame.index.get_loc(lines.index[lines["order_id"] == order_id][0])
        raise InputError(
            f"{src.label}, {src.where(pos)}: order {order_id!r} has lines with "
            "different customer_id values; expected one customer per order."
        )
    agg = (
        lines.groupby(group_key, sort=False)
        .agg(
            customer_id=("customer_id", "first"),
            at=("ordered_at", "min"),
            quantity=("quantity", "sum"),
            amount=("line_amount", "sum"),
        )
        .reset_index()
    )
    _check_order_totals(src, frame, lines, group_key, agg)
    # attributes constant within every order are kept (e.g. Country); per-line ones dropped
    kept_extras: dict[str, pd.Series] = {}
    dropped = []
    if extra_names:
        ex = extras_raw.copy()
        ex["__order"] = lines["order_id"].to_numpy()
        ex["__kind"] = lines["kind"].to_numpy()
        grouped = ex.groupby(["__order", "__kind"], sort=False)
        nunique = grouped.nunique(dropna=False)
        firsts = grouped.first()
        for name in extra_names:
            if (nunique[name] <= 1).all():
                kept_extras[name] = firsts[name]
            else:
                dropped.append(str(name))
    if dropped:
        report.notes.append("per-line columns not kept on orders: " + ", ".join(dropped))
    orders = agg[agg["kind"] == "order"]
    returns = agg[agg["kind"] == "return"]
    out = []
    order_frame = pd.DataFrame(
        {
            "order_id": orders["order_id"].to_numpy(),
            "customer_id": orders["customer_id"].to_numpy(),
            "ordered_at": orders["at"].to_numpy(),
            "amount": orders["amount"].astype("Int64").to_numpy(),
            "quantity": orders["quantity"].astype("Int64").to_numpy(),
        }
    )
    extra_types: dict[str, str] = {}
    idx = pd.MultiIndex.from_arrays([orders["order_id"], orders["kind"]])
    for name, series in kept_extras.items():
        tidy = extra_column_name(name)
        values, extra_types[tidy] = parse_extra(series.reindex(idx).reset_index(drop=True))
        order_frame[tidy] = values.to_numpy()
    out.append((CONTRACTS["orders"], order_frame, extra_types))
    if not returns.empty:
        ret_ids = np.where(
            returns["order_id"].str.upper().str.startswith("C"),
            returns["order_id"],
            returns["order_id"] + "-R",
        )
        return_frame = pd.DataFrame(
            {
                "return_id": ret_ids,
                "customer_id": returns["customer_id"].to_numpy(),
                "returned_at": returns["at"].to_numpy(),
                "quantity": (-returns["quantity"]).astype("Int64").to_numpy(),
                "amount": (-returns["amount"]).astype("Int64").to_numpy(),
            }
        )
        out.append((RETURNS, return_frame, {}))
    return out


def _check_line_values(src: SourceFrame, frame: pd.DataFrame, lines: pd.DataFrame) -> None:
    """A unit price is never negative (a refund is a cancellation line, i.e. a negative
    quantity), the same rule as the orders table's amount."""
    bad = lines["unit_price"] < 0
    if bad.any():
        pos = frame.index.get_loc(bad[bad].index[0])
        raise InputError(
            f"{src.label}, {src.where(pos)}, column {src.column('unit_price')}: "
            f"{show_value(frame['unit_price'].iloc[pos])} is not valid; expected a unit price of "
            "0 or more (a cancellation is a negative quantity)."
        )


def _line_totals(src: SourceFrame, frame: pd.DataFrame, lines: pd.DataFrame) -> pd.Series:
    """quantity × unit price per line, exact in units of 0.0001 (no int64 wraparound: a
    product beyond the money column's range is refused, found first with a float bound)."""
    qty = lines["quantity"].astype("int64")
    price = lines["unit_price"].astype("int64")
    estimate = qty.abs().astype("float64") * price.abs().astype("float64")
    over = estimate > money.MAX_UNITS * 1.01
    safe = qty.where(~over, 0) * price.where(~over, 0)
    over |= safe.abs() > money.MAX_UNITS
    if over.any():
        pos = frame.index.get_loc(over[over].index[0])
        raise InputError(
            f"{src.label}, {src.where(pos)}, column {src.column('quantity')}: "
            f"{show_value(frame['quantity'].iloc[pos])} × unit price "
            f"{show_value(frame['unit_price'].iloc[pos])} is not valid; expected a line total "
            f"of at most 99,999,999,999,999.9999."
        )
    return safe


def _check_order_totals(
    src: SourceFrame,
    frame: pd.DataFrame,
    lines: pd.DataFrame,
    group_key: list[pd.Series],
    agg: pd.DataFrame,
) -> None:
    """An order's summed amount and quantity must fit their columns (decimal(18, 4) and the
    integer limit); checked with float sums of absolute values before any int64 sum can wrap."""
    sums = (
        pd.DataFrame(
            {
                "amount": lines["line_amount"].abs().astype("float64"),
                "quantity": lines["quantity"].abs().astype("float64"),
            }
        )
        .groupby(group_key, sort=False)
        .sum()
    )
    # sums of absolute values bound the int64 sums: below the limit nothing can have wrapped
    amount_over = np.array(sums["amount"] > money.MAX_UNITS * 0.99, dtype=bool)
    limits = (
        ("amount", amount_over, "an order total of at most 99,999,999,999,999.9999"),
        ("quantity", (sums["quantity"] >= INTEGER_LIMIT).to_numpy(), INTEGER_LIMIT_TEXT),
    )
    for what, over, expected in limits:
        if what == "amount" and over.any():
            # exact check with Python integers for the few orders near the limit
            for i in np.flatnonzero(over):
                key = (agg["order_id"].iloc[i], agg["kind"].iloc[i])
                member = (lines["order_id"] == key[0]) & (lines["kind"] == key[1])
                exact = sum(int(v) for v in lines.loc[member, "line_amount"])
                over[i] = abs(exact) > money.MAX_UNITS
        if over.any():
            order_id = agg["order_id"].iloc[int(np.flatnonzero(over)[0])]
            pos = frame.index.get_loc(lines.index[lines["order_id"] == order_id][0])
            raise InputError(
                f"{src.label}, {src.where(pos)}: the lines of order {order_id!r} add up to a "
                f"{what} beyond its column's range; expected {expected}."
            )


def prepare(
    table: str,
    source: Any,
    options: IngestOptions,
    settings: Settings,
    *,
    delimiter: str | None = None,
    header: bool = True,
    columns: list[str] | None = None,
    encoding: str = "utf-8",
    progress: bool = False,
) -> tuple[IngestReport, list[tuple[TableContract, pd.DataFrame, dict[str, str]]]]:
    """Read and validate without writing; returns the frames to write per table."""
    target = contract(table)
    src = read_source(
        source,
        delimiter=delimiter,
        header=header,
        columns=columns,
        encoding=encoding,
        progress=progress,
    )
    report = IngestReport(src.label)
    if src.frame.shape[0] == 0:
        raise InputError(f"{src.label}: has no data rows.")
    if src.frame.shape[1] > MAX_COLUMNS:
        raise InputError(
            f"{src.label}: has {src.frame.shape[1]:,} columns; expected at most {MAX_COLUMNS} "
            "(the table's columns plus extra attributes; drop the columns you do not need)."
        )
    frame = apply_mapping(src, target, options, settings)
    if options.line_items:
        if target.name != "orders":
            raise InputError("--line-items applies to the orders table only.")
        batches = _line_items(src, frame, options, settings, report)
        batch_src = SourceFrame(batches[0][1], src.label, "order", is_text=False)
        checked = []
        for tab, frm, extras in batches:
            checked.append((tab, dedupe_keys(batch_src, frm, tab), extras))
        return report, checked
    canonical, extras = canonicalise(src, frame, target, options, settings)
    canonical = dedupe_keys(src, canonical, target, frame)
    return report, [(target, canonical, extras)]


def write_batches(
    con: Any,
    prepared: list[tuple[IngestReport, list[tuple[TableContract, pd.DataFrame, dict[str, str]]]]],
    engine: list[tuple[IngestReport, Any]] = (),  # type: ignore[assignment]
    *,
    progress: bool = False,
) -> None:
    """Write validated batches all or nothing: stage every frame outside the transaction
    (:func:`~retentionkit.schema.store.stage_frame`), then one transaction creates or widens
    the tables and upserts every batch — and writes the files the engine path checked
    (``engine``: report and plan of :mod:`retentionkit.schema.engine_ingest`, DuckDB only);
    the staging tables are dropped afterwards."""
    from retentionkit.backends import serialize_writers, transaction

    staged = []
    try:
        for report, batches in prepared:
            for tab, frame, extras in batches:
                schema, _, _ = planned_schema(con, tab, extras)
                staged.append((report, tab, stage_frame(con, tab, frame, schema), extras))
        with transaction(con, data=True):
            serialize_writers(con, "ingest")  # PostgreSQL: concurrent ingests take turns here
            for report, tab, stage, extras in staged:
                schema = ensure_table(con, tab, extras)
                report.tables.append(upsert_staged(con, tab, stage, schema))
            if engine:
                from retentionkit.schema.engine_ingest import write

                for report, plan in engine:
                    report.tables.append(write(con.con, plan, progress=progress))
    finally:
        for _, _, stage, _ in staged:
            drop_stage(con, stage)


def ingest_source(
    con: Any,
    table: str,
    source: Any,
    options: IngestOptions,
    settings: Settings,
    **read_kwargs: Any,
) -> IngestReport:
    """Validate ``source`` completely, then write it in one transaction (all or nothing)."""
    report, batches = prepare(table, source, options, settings, **read_kwargs)
    write_batches(con, [(report, batches)])
    return report


def ingest_many(
    con: Any,
    items: list[tuple[str, Any]],
    settings: Settings,
    options: IngestOptions | None = None,
    **read_kwargs: Any,
) -> list[IngestReport]:
    """Validate every ``(table, source)`` first, then write them all in one transaction: if
    any file is refused, nothing of any of them is written."""
    prepared = prepare_many(items, settings, options, **read_kwargs)
    write_batches(con, prepared)
    return [report for report, _ in prepared]


def prepare_many(
    items: list[tuple[str, Any]],
    settings: Settings,
    options: IngestOptions | None = None,
    **read_kwargs: Any,
) -> list[tuple[IngestReport, list[tuple[TableContract, pd.DataFrame, dict[str, str]]]]]:
    """:func:`prepare` every ``(table, source)``; the first refusal raises."""
    return [
        prepare(table, source, options or IngestOptions(), settings, **read_kwargs)
        for table, source in items
    ]
