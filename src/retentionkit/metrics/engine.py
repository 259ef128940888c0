"""Compute registered metrics per period and segment: resolve the request, make each needed
component family once (its plan's queries, run here and only here, then its finishing
step), apply the pure formulas, attach health and comparisons. Returns one record per
metric, period and segment::

    {"metric", "period_start", "period_end", "segment", "value", "components", "health",
     "complete", "n", "ci_low", "ci_high"}

plus ``compare_value`` and ``delta`` with ``compare``. ``complete`` and the null value of a
period outside the data: :mod:`retentionkit.metrics.completeness`; ``n`` and the 95 %
interval: the spec's ``denominator`` and ``interval`` (:mod:`retentionkit.metrics.intervals`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from retentionkit.config import parse_duration_days
from retentionkit.errors import ConfigError, MissingTableError
from retentionkit.metrics import completeness, intervals
from retentionkit.metrics.completeness import table_extents
from retentionkit.metrics.families import FAMILIES
from retentionkit.metrics.family import KEYS, MONEY_SUFFIXES, Family, keyed
from retentionkit.metrics.notes import notes_of
from retentionkit.metrics.periods import (
    PERIODS_PER_YEAR,
    PeriodGrid,
    check_period,
    floor,
    make_grid,
    parse_date,
    shift,
)
from retentionkit.metrics.query import ALL_SEGMENT, MetricQuery
from retentionkit.metrics.registry import (
    FormulaContext,
    MetricSpec,
    applicable_metrics,
    default_definition,
    get_metric,
    health,
)
from retentionkit.metrics.sql import to_runnable_sql

if TYPE_CHECKING:  # pragma: no cover
    import ibis.expr.types as ir

    from retentionkit.workspace import Workspace


class Runner:
    """Makes each component family at most once per request, and runs every query of the
    metrics engine — or, when explaining (``sql`` is a list), records each query's runnable
    SQL and executes it with no rows (so the finishing steps see frames of the right
    shape)."""

    def __init__(self, q: MetricQuery, sql: list[str] | None = None) -> None:
        self.q = q
        self.sql = sql
        self._frames: dict[str, pd.DataFrame] = {}

    def run(self, expr: ir.Table) -> pd.DataFrame:
        if self.sql is not None:
            self.sql.append(to_runnable_sql(expr, self.q.ws.con.name))
            return expr.limit(0).execute()
        return expr.execute()

    def family(self, name: str) -> pd.DataFrame:
        """The component frame of family ``name`` (made once)."""
        if name not in self._frames:
            plan = FAMILIES[name].plan(self.q)
            got = {used: self.family(used) for used in plan.uses}
            got.update({key: self.run(expr) for key, expr in plan.queries.items()})
            self._frames[name] = plan.finish(got)
        return self._frames[name]


def resolve_metrics(
    ws: Workspace, names: Sequence[str] | None, definition: str
) -> list[MetricSpec]:
    """Requested specs; without names, every metric the loaded tables allow
    (:func:`~retentionkit.metrics.registry.applicable_metrics`)."""
    present = set(ws.tables())
    if names:
        specs = [get_metric(n) for n in names]
        for spec in specs:
            for table in spec.source_tables(definition):
                if table not in present:
                    raise MissingTableError(
                        f"Metric {spec.name} needs the {table} table, which is not loaded; "
                        f"ingest it first with 'retentionkit ingest {table} FILE'."
                    )
        return specs
    specs = [get_metric(n) for n in applicable_metrics(present, definition)]
    if not specs:
        raise MissingTableError(
            "No metric can be computed: the workspace has no data yet; ingest orders or "
            "subscriptions first with 'retentionkit ingest TABLE FILE'."
        )
    return specs


def data_extent(
    ws: Workspace, tables: set[str], extents: dict[str, completeness.Extent] | None = None
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Earliest and latest event time over ``tables`` (out of ``extents`` when the caller
    has them, :func:`~retentionkit.metrics.completeness.table_extents`)."""
    if extents is None:
        extents = table_extents(ws, tables)
    extent = completeness.joint_extent(extents, tables)
    if extent is None:
        raise ConfigError(
            "The workspace holds no dated rows for these metrics; ingest data "
            "or give --from and --to."
        )
    return extent


#: One microsecond: the exclusive end just after an instant.
_US = pd.Timedelta(microseconds=1)


def build_grid(
    ws: Workspace,
    specs: list[MetricSpec],
    definition: str,
    period: str,
    start: Any,
    end: Any,
    last: int | None,
    extents: dict[str, completeness.Extent] | None = None,
) -> PeriodGrid:
    check_period(period)
    lo = parse_date(start, "--from")
    hi = parse_date(end, "--to")
    if lo is not None and hi is not None and hi <= lo:
        raise ConfigError(f"--to {hi.date()} must be after --from {lo.date()}.")
    tables = {t for s in specs for t in s.source_tables(definition)}
    data_lo, data_hi = data_extent(ws, tables, extents)
    if hi is not None:
        # a range reaching past the data is cut to it: periods that hold no row of any table
        # the metrics read are not reported (a --from 1900 --to 2200 by day would be 110,000
        # empty periods; a --to alone, or --to with --last, the same); a range wholly outside
        # the data says so
        if "subscriptions" in tables and ws.has_table("subscriptions"):
            # a term's end is an event too (a cancellation in the month after the last start)
            ends = ws.table("subscriptions").ended_at.max().execute()
            if ends is not None and pd.notna(ends):
                data_hi = max(data_hi, pd.Timestamp(ends))
        if lo is not None:
            if hi <= floor(data_lo, period) or lo > data_hi:
                raise ConfigError(
                    f"The range {lo.date()} to {hi.date()} holds no data: the data of these "
                    f"metrics run from {data_lo.date()} to {data_hi.date()}."
                )
            return make_grid(period, max(lo, data_lo), min(hi, data_hi + _US))
    hi = data_hi + _US if hi is None else min(hi, data_hi + _US)
    if last is not None:
        if last < 1:
            raise ConfigError("--last must be 1 or more.")
        if lo is None:
            lo = shift(make_grid(period, hi - _US, hi).first, period, -(last - 1))
    lo = lo if lo is not None else data_lo
    if hi <= lo:
        raise ConfigError(f"The range {lo.date()} to {hi.date()} is empty.")
    return make_grid(period, lo, hi)


def compute_metrics(
    ws: Workspace,
    metrics: Sequence[str] | None = None,
    *,
    period: str = "month",
    start: Any = None,
    end: Any = None,
    last: int | None = None,
    segment: str | None = None,
    customer_definition: str | None = None,
    active_window: str | None = None,
    churn_basis: str | None = None,
    compare: str | None = None,
    margin: float | None = None,
    options: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Every requested metric per period and segment, as a DataFrame of records. ``margin`` is
    the gross margin of the CLV and CAC-payback formulas (None: ``gross_margin`` of the
    settings)."""
    return _compute(
        ws,
        metrics,
        period=period,
        start=start,
        end=end,
        last=last,
        segment=segment,
        customer_definition=customer_definition,
        active_window=active_window,
        churn_basis=churn_basis,
        compare=compare,
        margin=margin,
        options=options,
        sql=None,
    )


def _compute(
    ws: Workspace,
    metrics: Sequence[str] | None,
    *,
    period: str,
    start: Any,
    end: Any,
    last: int | None,
    segment: str | None,
    customer_definition: str | None,
    active_window: str | None,
    churn_basis: str | None,
    compare: str | None,
    options: dict[str, Any] | None,
    sql: list[str] | None,
    margin: float | None = None,
) -> pd.DataFrame:
    settings = ws.settings
    margin = settings.gross_margin if margin is None else margin
    definition = customer_definition or default_definition(ws)
    if definition not in ("activity", "contractual"):
        raise ConfigError(
            f"--customer-definition {definition!r} is not one of: activity, contractual."
        )
    basis = churn_basis or settings.churn_basis
    if basis not in ("start", "end"):
        raise ConfigError(f"--churn-basis {basis!r} is not one of: start, end.")
    if compare not in (None, "previous", "year"):
        raise ConfigError(f"--compare {compare!r} is not one of: previous, year.")
    window_text = active_window or settings.activity_window
    window_days = None if window_text == "period" else parse_duration_days(window_text)
    specs = resolve_metrics(ws, metrics, definition)
    # every table the grid and the completeness flags read, in one query
    extents = table_extents(
        ws, {t for s in specs for t in (*s.source_tables(definition), *s.source_tables("activity"))}
    )
    grid = build_grid(ws, specs, definition, period, start, end, last, extents)
    back = {"previous": 1, "year": PERIODS_PER_YEAR[period]}.get(compare or "", 0)
    compute_grid = grid.extended(back)

    from retentionkit.segments.resolve import segment_table

    q = MetricQuery(
        ws=ws,
        grid=compute_grid,
        customer_definition=definition,
        window_days=window_days,
        churn_basis=basis,
        segment=segment,
        segment_table=segment_table(ws, segment) if segment else None,
        margin=margin,
        options=dict(options or {}),
        extents=extents,
    )
    runner = Runner(q, sql)
    ctx = FormulaContext(
        period=period,
        definition=definition,
        churn_basis=basis,
        margin=margin,
        clv_model=(options or {}).get("clv_model"),
    )
    index_starts = pd.to_datetime(compute_grid.starts).astype("datetime64[us]")
    ends = dict(zip(index_starts, pd.to_datetime(compute_grid.ends), strict=True))
    frames = []
    prepared: dict[str, pd.DataFrame] = {}  # per family: its metrics share the frame
    for spec in specs:
        family = FAMILIES[spec.family]
        if spec.family not in prepared:
            prepared[spec.family] = _prepare(family, runner.family(spec.family), index_starts)
        frame = _evaluate(spec, family, prepared[spec.family].copy(), ctx)
        frame["period_end"] = frame["period_start"].map(ends)
        frames.append(
            _mark_coverage(
                frame, completeness.coverage_extent(extents, spec.source_tables(definition))
            )
        )
    result = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if back:
        result = attach_comparison(result, period, back)
        keep = set(pd.to_datetime(grid.starts))
        result = result[result["period_start"].isin(keep)]
    bands = settings.health_bands()
    # no colour on a partial period nor below the minimum n (docs/metrics.md)
    min_n = settings.health_min_n
    result["health"] = [
        None if not whole or (n is not None and n < min_n) else health(get_metric(m), v, bands)
        for m, v, n, whole in zip(
            result["metric"], result["value"], result["n"], result["complete"], strict=True
        )
    ]
    cols = [
        "metric",
        "period_start",
        "period_end",
        "segment",
        "value",
        "components",
        "health",
        "complete",
        "n",
        "ci_low",
        "ci_high",
    ]
    if back:
        cols += ["compare_value", "delta"]
    out = result[cols].reset_index(drop=True)
    out.attrs["notes"] = notes_of(result)
    return out


def _prepare(family: Family, frame: pd.DataFrame, starts: pd.DatetimeIndex) -> pd.DataFrame:
    """A family's frame with one row per period and segment: missing counts 0, the request's
    constants on every row, nullable inputs left null (once per family; its metrics share it)."""
    frame = keyed(frame)
    segments = sorted(frame["segment"].dropna().unique().tolist()) if len(frame) else []
    if not segments:
        segments = [ALL_SEGMENT]
    full = pd.MultiIndex.from_product([starts, segments], names=KEYS).to_frame(index=False)
    frame = full.merge(frame, on=KEYS, how="left")
    for col in family.constants:  # one per request: shown on periods without data too
        if col in frame and frame[col].notna().any():
            frame[col] = frame[col].fillna(frame[col].dropna().iloc[0])
    for col in frame.columns:
        if col in KEYS or col in family.nullable:
            continue
        if pd.api.types.is_numeric_dtype(frame[col]):
            frame[col] = frame[col].fillna(0)
    return frame


def _evaluate(
    spec: MetricSpec,
    family: Family,
    frame: pd.DataFrame,
    ctx: FormulaContext,
) -> pd.DataFrame:
    """One record per period and segment: the spec's formula over its family's frame
    (:func:`_prepare`, a copy of its own), with the inputs the request produced and the derived
    components as ``components``."""
    # an optional input the request did not produce is left out; any other missing one is null
    shown = [c for c in spec.inputs if c in frame or c not in family.optional]
    for col in shown:
        if col not in frame:
            frame[col] = np.nan
    for derived in spec.derived:
        derived_values = np.asarray(derived.formula(frame, ctx), dtype="float64")
        frame[derived.name] = np.broadcast_to(derived_values, len(frame))
        shown.append(derived.name)
    values = np.asarray(spec.formula(frame, ctx), dtype="float64")
    keep_float = set(family.nullable)
    components = [_clean_components(rec, keep_float) for rec in frame[shown].to_dict("records")]
    n = spec.n(frame, ctx)
    low, high = intervals.interval(spec.interval, frame, values, n)
    return pd.DataFrame(
        {
            "metric": spec.name,
            "period_start": frame["period_start"],
            "segment": frame["segment"],
            "value": [_finite(v) for v in values],
            "components": components,
            "n": [None] * len(frame) if n is None else [_count(v) for v in n],
            "ci_low": [_finite(v) for v in low],
            "ci_high": [_finite(v) for v in high],
        }
    )


def _mark_coverage(frame: pd.DataFrame, extent: completeness.Extent | None) -> pd.DataFrame:
    """``complete`` per record; value, n and interval null where the period is outside the
    data extent of the metric's own tables (not 0 customers)."""
    frame["complete"] = completeness.complete_flags(
        frame["period_start"], frame["period_end"], extent
    )
    outside = completeness.outside_flags(frame["period_start"], frame["period_end"], extent)
    for col in ("value", "n", "ci_low", "ci_high"):
        frame[col] = frame[col].astype(object).where(~outside, None)
    return frame


def _finite(value: float) -> float | None:
    return None if not math.isfinite(value) else _tidy(float(value))


def _count(value: float) -> int | None:
    return int(value) if math.isfinite(value) else None


def _tidy(value: float) -> float:
    """Drop binary floating-point noise (22048.470000000012 → 22048.47): 12 significant
    digits, far below a cent on any amount and 1e-12 relative on any rate."""
    return float(f"{value:.12g}")


def _clean_components(rec: dict[str, Any], keep_float: set[str]) -> dict[str, Any]:
    """JSON-ready components: None for missing, ints for whole counts; ``keep_float`` (the
    family's nullable components) and money stay floats."""
    out: dict[str, Any] = {}
    for key, value in rec.items():
        if isinstance(value, dict):
            out[key] = value
        elif value is None or (isinstance(value, float) and not math.isfinite(value)):
            out[key] = None
        elif isinstance(value, (np.integer,)):
            out[key] = int(value)
        elif isinstance(value, (np.floating, float)):
            fv = _tidy(float(value))
            out[key] = (
                int(fv)
                if fv.is_integer()
                and key not in keep_float
                and abs(fv) < 2**53
                and not key.endswith(MONEY_SUFFIXES)
                else fv
            )
        elif pd.isna(value) if not isinstance(value, (list, dict, str)) else False:
            out[key] = None
        else:
            out[key] = value
    return out


def attach_comparison(result: pd.DataFrame, period: str, back: int) -> pd.DataFrame:
    """``result`` with ``compare_value`` and ``delta`` added: per metric and segment, the value
    of the period ``back`` periods earlier (``shift(period_start, period, -back)``) in the same
    frame, and value − that value; both null where that period is not in the frame or has no
    value. The engine's ``compare`` (previous: back = 1; year: back = the periods in a year)
    and the overview's year-on-year card both use it: a period's value does not depend on the
    range it was computed in, so one frame holding a period and the period a year before gives
    the same comparison as a request extended a year back (tests/metrics/test_compare_shift.py).
    """
    lookup = result.set_index(["metric", "segment", "period_start"])["value"]
    starts = {pd.Timestamp(p) for p in result["period_start"]}
    earlier = {p: shift(p, period, -back) for p in starts}
    compare_values = [
        lookup.get((m, s, earlier[pd.Timestamp(p)]))
        for m, s, p in zip(result["metric"], result["segment"], result["period_start"], strict=True)
    ]
    result = result.copy()
    result["compare_value"] = [
        None if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in compare_values
    ]
    result["delta"] = [
        None if v is None or c is None else v - c
        for v, c in zip(result["value"], result["compare_value"], strict=True)
    ]
    return result


def explain_metric(ws: Workspace, metric: str, **kwargs: Any) -> str:
    """The SQL that computes a metric's components: one statement per query the engine runs
    for it, each runnable as is against the workspace (the in-process period tables are
    written into the SQL as VALUES). The finishing steps (pandas) are not part of it."""
    arguments: dict[str, Any] = {
        "period": "month",
        "start": None,
        "end": None,
        "last": None,
        "segment": None,
        "customer_definition": None,
        "active_window": None,
        "churn_basis": None,
        "compare": None,
        "margin": None,
        "options": None,
    }
    unknown = sorted(set(kwargs) - set(arguments))
    if unknown:
        raise ConfigError(
            f"explain does not take {unknown[0]!r}; it takes: {', '.join(arguments)}."
        )
    arguments.update(kwargs)
    sql: list[str] = []
    _compute(ws, [metric], sql=sql, **arguments)
    return ";\n\n".join(sql) + ";"
