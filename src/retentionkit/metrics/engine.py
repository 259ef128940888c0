"""Compute registered metrics per period and segment: resolve the request, run each needed
component family once (one Ibis query each), apply the pure formulas, attach health and
comparisons. Returns one record per metric, period and segment::

    {"metric", "period_start", "period_end", "segment", "value", "components", "health"}

plus ``compare_value`` and ``delta`` with ``compare``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from retentionkit.config import parse_duration_days
from retentionkit.errors import ConfigError, MissingTableError
from retentionkit.metrics import acquisition, customers, feedback, orders, subscriptions, support
from retentionkit.metrics.periods import (
    PERIODS_PER_YEAR,
    PeriodGrid,
    check_period,
    make_grid,
    parse_date,
    shift,
)
from retentionkit.metrics.query import ALL_SEGMENT, MetricQuery
from retentionkit.metrics.registry import METRIC_NAMES, MetricSpec, get_metric, health

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.workspace import Workspace

KEYS = ["period_start", "segment"]
#: Components that stay missing (not zero) when a period has no data.
KEEP_MISSING = {
    "model_clv",
    "median_days",
    "mean_days",
    "median_hours",
    "mean_hours",
    "mean_monthly_churn_rate",
    "threshold",
    "survey",
    "basis",
    "costs_by_category",
    "costs",
}

#: Timestamp columns that bound the data of each table (for the default range).
TIME_COLUMNS = {
    "orders": "ordered_at",
    "subscriptions": "started_at",
    "survey_responses": "responded_at",
    "tickets": "opened_at",
    "acquisition_costs": "incurred_on",
    "returns": "returned_at",
}


class _Families:
    """Runs each component family at most once per request."""

    def __init__(self, q: MetricQuery) -> None:
        self.q = q
        self._cache: dict[str, pd.DataFrame] = {}

    def get(self, name: str) -> pd.DataFrame:
        if name not in self._cache:
            self._cache[name] = _FAMILY_FUNCS[name](self)
        return self._cache[name]


def _keyed(frame: pd.DataFrame) -> pd.DataFrame:
    """Same key dtypes on every component frame (an empty frame has object columns)."""
    frame = frame.copy()
    frame["period_start"] = pd.to_datetime(frame["period_start"]).astype("datetime64[us]")
    frame["segment"] = frame["segment"].astype(object)
    return frame


def _merge(*frames: pd.DataFrame) -> pd.DataFrame:
    frames = tuple(_keyed(frame) for frame in frames)
    out = frames[0]
    for frame in frames[1:]:
        dup = [c for c in frame.columns if c in out.columns and c not in KEYS]
        out = out.merge(frame.drop(columns=dup), on=KEYS, how="outer")
    return out


def _clv_family(fam: _Families) -> pd.DataFrame:
    parts = [fam.get("lifespan")]
    if fam.q.options.get("clv_model"):
        from retentionkit.metrics.model_clv import model_clv_components

        parts.append(model_clv_components(fam.q))
    if fam.q.customer_definition == "contractual":
        parts.append(fam.get("mrr")[[*KEYS, "mrr", "paying_customers"]])
    else:
        parts.append(fam.get("orders")[[*KEYS, "orders", "buyers", "order_amount"]])
    return _merge(*parts)


def _cac_family(fam: _Families) -> pd.DataFrame:
    costs = fam.get("costs")
    acquired = fam.get("customers")[[*KEYS, "acquired"]]
    return _merge(acquired, costs, _clv_family(fam))


_FAMILY_FUNCS: dict[str, Callable[[_Families], pd.DataFrame]] = {
    # a monthly report takes its customer counts from the lifespan's months (one query)
    "monthly_customers": lambda fam: customers.monthly_customer_components(fam.q),
    "customers": lambda fam: (
        customers.report_rows(fam.q, fam.get("monthly_customers"))
        if fam.q.period == "month"
        else customers.customer_components(fam.q)
    ),
    "lifespan": lambda fam: customers.lifespan_components(fam.q, fam.get("monthly_customers")),
    "orders": lambda fam: (
        customers.order_columns(fam.get("customers"))
        if customers.shares_order_pass(fam.q)
        else orders.order_components(fam.q)
    ),
    # families that share a query: orders feeds revenue and return_rate, one window over
    # consecutive orders feeds second_purchase and gaps
    "returns": lambda fam: orders.returns_components(fam.q),
    "pairs": lambda fam: orders.pair_components(fam.q),
    "revenue": lambda fam: orders.revenue_components(fam.q, fam.get("orders"), fam.get("returns")),
    "return_rate": lambda fam: orders.return_rate_components(
        fam.q, fam.get("orders"), fam.get("returns")
    ),
    "second_purchase": lambda fam: orders.second_purchase_components(fam.q, fam.get("pairs")),
    "gaps": lambda fam: orders.gap_components(fam.q, fam.get("pairs")),
    "processing": lambda fam: orders.processing_components(fam.q),
    "nps": lambda fam: feedback.nps_components(fam.q),
    "csat": lambda fam: feedback.csat_components(fam.q),
    "survey_rate": lambda fam: feedback.survey_rate_components(fam.q),
    "mrr": lambda fam: subscriptions.mrr_components(fam.q),
    "renewal": lambda fam: subscriptions.renewal_components(fam.q),
    "costs": lambda fam: acquisition.cost_components(fam.q),
    "cac": _cac_family,
    "clv": _clv_family,
    "resolution": lambda fam: support.resolution_components(fam.q),
    "open_tickets": lambda fam: support.open_ticket_components(fam.q),
}


def default_definition(ws: Workspace) -> str:
    """The configured customer definition — except that a workspace with subscriptions but no
    orders counts customers contractually (the activity definition needs orders)."""
    configured = ws.settings.customer_definition
    if configured == "activity" and not ws.has_table("orders") and ws.has_table("subscriptions"):
        return "contractual"
    return configured


def resolve_metrics(
    ws: Workspace, names: Sequence[str] | None, definition: str
) -> list[MetricSpec]:
    """Requested specs; without names, every metric whose tables are loaded."""
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
    specs = [get_metric(n) for n in METRIC_NAMES]
    specs = [s for s in specs if set(s.source_tables(definition)) <= present]
    if not specs:
        raise MissingTableError(
            "No metric can be computed: the workspace has no data yet; ingest orders or "
            "subscriptions first with 'retentionkit ingest TABLE FILE'."
        )
    return specs


def data_extent(ws: Workspace, tables: set[str]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Earliest and latest event time over ``tables``."""
    lows, highs = [], []
    for table in sorted(tables):
        column = TIME_COLUMNS.get(table)
        if column is None or not ws.has_table(table):
            continue
        t = ws.table(table)
        row = t.aggregate(lo=t[column].min(), hi=t[column].max()).execute()
        if not row.empty and pd.notna(row["lo"].iloc[0]):
            lows.append(pd.Timestamp(row["lo"].iloc[0]))
            highs.append(pd.Timestamp(row["hi"].iloc[0]))
    if not lows:
        raise ConfigError(
            "The workspace holds no dated rows for these metrics; ingest data "
            "or give --from and --to."
        )
    return min(lows), max(highs)


def build_grid(
    ws: Workspace,
    specs: list[MetricSpec],
    definition: str,
    period: str,
    start: Any,
    end: Any,
    last: int | None,
) -> PeriodGrid:
    check_period(period)
    lo = parse_date(start, "--from")
    hi = parse_date(end, "--to")
    if lo is not None and hi is not None and hi <= lo:
        raise ConfigError(f"--to {hi.date()} must be after --from {lo.date()}.")
    if lo is None or hi is None:
        tables = {t for s in specs for t in s.source_tables(definition)}
        data_lo, data_hi = data_extent(ws, tables)
        hi = hi if hi is not None else data_hi + pd.Timedelta(microseconds=1)
        if last is not None:
            if last < 1:
                raise ConfigError("--last must be 1 or more.")
            grid = make_grid(period, hi - pd.Timedelta(microseconds=1), hi)
            lo = lo if lo is not None else shift(grid.first, period, -(last - 1))
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
    options: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Every requested metric per period and segment, as a DataFrame of records."""
    settings = ws.settings
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
    grid = build_grid(ws, specs, definition, period, start, end, last)
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
        options=dict(options or {}),
    )
    fam = _Families(q)
    ctx = {
        "period": period,
        "definition": definition,
        "churn_basis": basis,
        "margin": settings.gross_margin,
        "clv_model": (options or {}).get("clv_model"),
    }
    index_starts = pd.to_datetime(compute_grid.starts).astype("datetime64[us]")
    ends = dict(zip(index_starts, pd.to_datetime(compute_grid.ends), strict=True))
    frames = []
    for spec in specs:
        frames.append(_evaluate(spec, fam.get(spec.family), ctx, index_starts))
    result = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    result["period_end"] = result["period_start"].map(ends)
    if back:
        result = _attach_comparison(result, compute_grid, back)
        keep = set(pd.to_datetime(grid.starts))
        result = result[result["period_start"].isin(keep)]
    bands = settings.health
    result["health"] = [
        health(get_metric(m), v, bands)
        for m, v in zip(result["metric"], result["value"], strict=True)
    ]
    cols = ["metric", "period_start", "period_end", "segment", "value", "components", "health"]
    if back:
        cols += ["compare_value", "delta"]
    return result[cols].reset_index(drop=True)


def _evaluate(
    spec: MetricSpec, frame: pd.DataFrame, ctx: dict[str, Any], starts: pd.DatetimeIndex
) -> pd.DataFrame:
    frame = frame.copy()
    if "period_start" in frame:
        frame["period_start"] = pd.to_datetime(frame["period_start"]).astype("datetime64[us]")
    segments = sorted(frame["segment"].dropna().unique().tolist()) if len(frame) else []
    if not segments:
        segments = [ALL_SEGMENT]
    full = pd.MultiIndex.from_product([starts, segments], names=KEYS).to_frame(index=False)
    frame = full.merge(frame, on=KEYS, how="left")
    for col in ("survey", "threshold"):  # one per request: shown on periods without answers too
        if col in frame and frame[col].notna().any():
            frame[col] = frame[col].fillna(frame[col].dropna().iloc[0])
    for col in frame.columns:
        if col in KEYS or col in KEEP_MISSING:
            continue
        if pd.api.types.is_numeric_dtype(frame[col]):
            frame[col] = frame[col].fillna(0)
    for col in spec.components:
        if col not in frame:
            frame[col] = np.nan
    values = np.asarray(spec.formula(frame, ctx), dtype="float64")
    comp_cols = list(spec.components)
    if spec.name == "purchase_frequency":
        from retentionkit.metrics.periods import MONTHS_PER_PERIOD

        frame["per_month"] = values / MONTHS_PER_PERIOD[ctx["period"]]
        frame["per_year"] = frame["per_month"] * 12
        comp_cols += ["per_month", "per_year"]
    for name, formula in spec.derived:
        frame[name] = np.broadcast_to(np.asarray(formula(frame, ctx), dtype="float64"), len(frame))
        comp_cols.append(name)
    if spec.name == "clv" and ctx.get("clv_model"):
        comp_cols += [c for c in ("model_clv", "model_customers") if c in frame]
    if spec.name in ("crr", "churn_rate"):
        frame["new_and_reactivated"] = frame.get("new_and_reactivated", 0)
    components = [_clean_components(rec) for rec in frame[comp_cols].to_dict("records")]
    return pd.DataFrame(
        {
            "metric": spec.name,
            "period_start": frame["period_start"],
            "segment": frame["segment"],
            "value": [None if not math.isfinite(v) else _tidy(v) for v in values],
            "components": components,
        }
    )


def _tidy(value: float) -> float:
    """Drop binary floating-point noise (22048.470000000012 → 22048.47): 12 significant
    digits, far below a cent on any amount and 1e-12 relative on any rate."""
    return float(f"{value:.12g}")


def _clean_components(rec: dict[str, Any]) -> dict[str, Any]:
    out = {}
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
                and key not in KEEP_MISSING
                and abs(fv) < 2**53
                and not key.endswith(("amount", "mrr", "costs"))
                else fv
            )
        elif pd.isna(value) if not isinstance(value, (list, dict, str)) else False:
            out[key] = None
        else:
            out[key] = value
    return out


def _attach_comparison(result: pd.DataFrame, grid: PeriodGrid, back: int) -> pd.DataFrame:
    starts = list(pd.to_datetime(grid.starts))
    earlier = {starts[i]: starts[i - back] for i in range(back, len(starts))}
    lookup = result.set_index(["metric", "segment", "period_start"])["value"]
    compare_values = []
    for m, s, p in zip(result["metric"], result["segment"], result["period_start"], strict=True):
        prev = earlier.get(pd.Timestamp(p))
        compare_values.append(lookup.get((m, s, prev)) if prev is not None else None)
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
    """The SQL that computes a metric's components (one statement per component query)."""
    sink: list[str] = []
    options = dict(kwargs.pop("options", None) or {})
    options["_explain"] = sink
    compute_metrics(ws, [metric], options=options, **kwargs)
    return ";\n\n".join(sink) + ";"
