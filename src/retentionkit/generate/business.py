"""A synthetic business: every canonical table, consistent with one another, from one seed.

The same generator feeds the demo (``retentionkit generate``, ``make demo``), the tests and the
benchmarks. The story, table by table (details in each module's docstring and in
``docs/generator.md``):

1. :mod:`~retentionkit.generate.customers` — sign-ups growing a little each month with a
   holiday bump; channel, country, a hidden churn-risk multiplier.
2. :mod:`~retentionkit.generate.orders` — BG/NBD purchases with a December peak, lognormal ×
   gamma spend, deliveries and ~5 % returns (``kind`` ecommerce or both).
3. :mod:`~retentionkit.generate.subscriptions` — monthly and annual terms, renewals, plan
   changes, cancellations, win-backs, concurrent subscriptions (``kind`` saas or both).
4. :mod:`~retentionkit.generate.feedback` — tickets and NPS/CSAT/custom answers that are worse
   for customers about to churn.
5. :mod:`~retentionkit.generate.costs` — monthly acquisition cost lines that follow new
   customers, so CAC is sensible.

Determinism: one ``np.random.default_rng(seed)`` spawns an independent stream per part, so a
seed always gives the same tables, and switching ``kind`` does not reshuffle the customers.
Everything is vectorised with NumPy and assembled as Arrow tables; the only Python loops run
over months.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from retentionkit.errors import ConfigError, InputError
from retentionkit.generate._util import Calendar, labels, timestamps
from retentionkit.generate.costs import simulate_costs
from retentionkit.generate.customers import contact_columns, simulate_customers
from retentionkit.generate.feedback import simulate_surveys, simulate_tickets
from retentionkit.generate.orders import simulate_orders
from retentionkit.generate.params import CHANNELS, COUNTRIES, KINDS, PLANS, BusinessParams
from retentionkit.generate.subscriptions import simulate_subscriptions

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: Tables written by the generator, in this order.
TABLES: tuple[str, ...] = (
    "customers",
    "orders",
    "returns",
    "subscriptions",
    "survey_responses",
    "acquisition_costs",
    "tickets",
)

FORMATS: tuple[str, ...] = ("parquet", "csv")
MAX_MONTHS = 600

_TS = pa.timestamp("us")
_STR = pa.string()
_F64 = pa.float64()
_I64 = pa.int64()

#: Arrow schema of every generated table: the canonical columns of ``schema.contracts`` first,
#: then the extra attributes (customers.plan, orders.category).
SCHEMAS: dict[str, pa.Schema] = {
    "customers": pa.schema(
        [
            ("customer_id", _STR),
            ("signed_up_at", _TS),
            ("country", _STR),
            ("channel", _STR),
            ("email", _STR),
            ("language", _STR),
            ("plan", _STR),
        ]
    ),
    "orders": pa.schema(
        [
            ("order_id", _STR),
            ("customer_id", _STR),
            ("ordered_at", _TS),
            ("amount", _F64),
            ("quantity", _I64),
            ("delivered_at", _TS),
            ("channel", _STR),
            ("category", _STR),
        ]
    ),
    "returns": pa.schema(
        [
            ("return_id", _STR),
            ("customer_id", _STR),
            ("returned_at", _TS),
            ("order_id", _STR),
            ("quantity", _I64),
            ("amount", _F64),
        ]
    ),
    "subscriptions": pa.schema(
        [
            ("term_id", _STR),
            ("subscription_id", _STR),
            ("customer_id", _STR),
            ("started_at", _TS),
            ("ended_at", _TS),
            ("mrr", _F64),
            ("plan", _STR),
        ]
    ),
    "survey_responses": pa.schema(
        [
            ("response_id", _STR),
            ("survey", _STR),
            ("score", _F64),
            ("responded_at", _TS),
            ("customer_id", _STR),
            ("comment", _STR),
            ("touchpoint", _STR),
            ("scale_min", _F64),
            ("scale_max", _F64),
            ("survey_name", _STR),
            ("order_id", _STR),
        ]
    ),
    "acquisition_costs": pa.schema(
        [
            ("cost_id", _STR),
            ("incurred_on", _TS),
            ("amount", _F64),
            ("category", _STR),
            ("channel", _STR),
        ]
    ),
    "tickets": pa.schema(
        [("ticket_id", _STR), ("customer_id", _STR), ("opened_at", _TS), ("resolved_at", _TS)]
    ),
}


def validate_options(customers: int, months: int, kind: str, start: str | dt.date) -> dt.datetime:
    """Check the generator's options; returns the parsed start. Raises :class:`ConfigError`."""
    if isinstance(customers, bool) or not isinstance(customers, (int, np.integer)):
        raise ConfigError(f"customers must be a whole number, got {customers!r}.")
    if customers < 1:
        raise ConfigError(f"--customers must be at least 1, got {customers}.")
    if isinstance(months, bool) or not isinstance(months, (int, np.integer)):
        raise ConfigError(f"months must be a whole number, got {months!r}.")
    if not 1 <= months <= MAX_MONTHS:
        raise ConfigError(f"--months must be between 1 and {MAX_MONTHS}, got {months}.")
    if kind not in KINDS:
        raise ConfigError(f"--kind {kind!r} is not one of: {', '.join(KINDS)}.")
    if isinstance(start, dt.datetime):
        parsed = start.replace(tzinfo=None)
    elif isinstance(start, dt.date):
        parsed = dt.datetime(start.year, start.month, start.day)
    else:
        try:
            parsed = dt.datetime.fromisoformat(str(start))
        except ValueError:
            raise ConfigError(
                f"--start {start!r} is not a date; expected YYYY-MM-DD, e.g. 2023-01-01."
            ) from None
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
    if not 1900 <= parsed.year <= 2400 - MAX_MONTHS // 12:
        raise ConfigError(f"--start {start!s} is out of range; use a year from 1900 to 2300.")
    return parsed


def generate_tables(
    customers: int = 5000,
    months: int = 24,
    seed: int = 42,
    kind: str = "both",
    start: str | dt.date = "2023-01-01",
    params: BusinessParams | None = None,
) -> dict[str, pa.Table]:
    """The synthetic business as Arrow tables (the fast path used by the CLI and benchmarks)."""
    begin = validate_options(customers, months, kind, start)
    p = params or BusinessParams()
    cal = Calendar.build(begin, months)
    streams = np.random.default_rng(seed).spawn(6)
    rng_customers, rng_orders, rng_subs, rng_tickets, rng_surveys, rng_costs = streams

    pop = simulate_customers(rng_customers, int(customers), cal, p)
    tables: dict[str, pa.Table] = {}
    deliveries = None
    if kind in ("ecommerce", "both"):
        purchases = simulate_orders(rng_orders, pop, cal, p)
        tables["orders"], tables["returns"] = purchases.orders, purchases.returns
        deliveries = (purchases.delivered_owner, purchases.delivered_at)
        del purchases
    if kind in ("saas", "both"):
        tables["subscriptions"] = simulate_subscriptions(
            rng_subs, pop, cal, p, everyone=kind == "saas"
        )
    tickets, resolved = simulate_tickets(rng_tickets, pop, cal, p, saas=kind == "saas")
    tables["tickets"] = tickets
    tables["survey_responses"] = simulate_surveys(
        rng_surveys, pop, cal, p, deliveries=deliveries, resolved_tickets=resolved
    )
    tables["acquisition_costs"] = simulate_costs(rng_costs, pop, cal, p)
    columns: dict[str, Any] = {
        "customer_id": pop.ids,
        "signed_up_at": timestamps(pop.signup),
        "country": labels(pop.country, COUNTRIES),
        "channel": labels(pop.channel, CHANNELS),
        **contact_columns(pop.ids, np.asarray(COUNTRIES)[pop.country]),
        "plan": labels(pop.plan, PLANS),
    }
    tables["customers"] = pa.table(columns)

    out: dict[str, pa.Table] = {}
    for name in TABLES:
        schema = SCHEMAS[name]
        table = tables.get(name)
        out[name] = (
            schema.empty_table() if table is None else table.select(schema.names).cast(schema)
        )
    if kind == "ecommerce":
        out["customers"] = out["customers"].drop_columns(["plan"])
    return out


def generate_business(
    customers: int = 5000,
    months: int = 24,
    seed: int = 42,
    kind: str = "both",
    start: str | dt.date = "2023-01-01",
    params: BusinessParams | None = None,
) -> dict[str, pd.DataFrame]:
    """Generate a realistic synthetic business as pandas DataFrames, one per canonical table.

    Parameters
    ----------
    customers:
        Number of customers (≥ 1). The default order process gives about 10 orders per
        customer over 24 months.
    months:
        Length of the simulated period, 1 … 600 months; all events fall in
        [start, start + months).
    seed:
        Seed of ``np.random.default_rng``; the same seed always gives the same tables.
    kind:
        ``"ecommerce"`` (orders and returns), ``"saas"`` (subscriptions for every customer) or
        ``"both"`` (orders for everyone, subscriptions for a share of customers). The tables
        that do not apply are empty, with the canonical columns.
    start:
        First day of the data (naive UTC), default 2023-01-01.
    params:
        The assumptions of the business (:class:`BusinessParams`); defaults when omitted.

    Returns
    -------
    dict mapping each name of :data:`TABLES` to a DataFrame with the canonical column names of
    ``retentionkit.schema.contracts`` (plus extra attributes): ids as strings, timestamps as
    naive UTC ``datetime64[us]`` (NaT where missing), money as floats rounded to cents.
    """
    tables = generate_tables(customers, months, seed, kind, start, params)
    return {name: table.to_pandas() for name, table in tables.items()}


def _as_arrow(frame: Any) -> pa.Table:
    if isinstance(frame, pa.Table):
        return frame
    return pa.Table.from_pandas(frame, preserve_index=False)


def _write_one(table: pa.Table, path: Path, fmt: str) -> None:
    if fmt == "parquet":
        import pyarrow.parquet as pq

        # dictionary-encode the repetitive text columns only, never the unique identifiers
        dictionary = [
            f.name
            for f in table.schema
            if pa.types.is_string(f.type) and not f.name.endswith("_id")
        ]
        pq.write_table(
            table,
            path,
            compression="zstd",
            use_dictionary=dictionary,
            row_group_size=1_000_000,
        )
    else:
        import pyarrow.csv as pcsv

        # whole-second timestamps print as "2023-01-01 10:00:00"
        fields = [
            pa.field(f.name, pa.timestamp("s")) if pa.types.is_timestamp(f.type) else f
            for f in table.schema
        ]
        pcsv.write_csv(table.cast(pa.schema(fields), safe=False), path)


def write_business(
    frames: Mapping[str, pd.DataFrame | pa.Table], out_dir: str | Path, fmt: str = "parquet"
) -> dict[str, Path]:
    """Write each table to ``out_dir/<name>.<fmt>``; returns the paths written.

    Atomic: the files are written into a temporary directory next to ``out_dir`` first. A new
    (or empty) ``out_dir`` then appears in one rename, complete; into an existing directory
    each file is moved with an atomic replace, so no reader ever sees a half-written file, and
    an interrupted run leaves the previous files untouched.
    """
    if fmt not in FORMATS:
        raise ConfigError(f"--format {fmt!r} is not one of: {', '.join(FORMATS)}.")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; give a directory to write the tables into.")
    parent = out.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--out {out}: cannot create {parent} ({exc.strerror}).") from None
    if not parent.is_dir():
        raise InputError(f"--out {out}: {parent} is not a directory.")
    tmp = parent / f".{out.name}.{uuid.uuid4().hex}.tmp"
    tmp.mkdir()  # a plain mkdir honours the umask, unlike tempfile.mkdtemp's 0700
    try:
        names = []
        for name, frame in frames.items():
            filename = f"{name}.{fmt}"
            _write_one(_as_arrow(frame), tmp / filename, fmt)
            names.append((name, filename))
        if out.is_dir() and not any(out.iterdir()):
            out.rmdir()
        if not out.exists():
            os.rename(tmp, out)
        else:
            for _, filename in names:
                os.replace(tmp / filename, out / filename)
            tmp.rmdir()
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {name: out / filename for name, filename in names}
