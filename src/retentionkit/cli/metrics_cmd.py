"""``retentionkit metrics`` (KPIs per period and segment) and ``retentionkit calc`` (the pure
formulas as a calculator)."""

from __future__ import annotations

from typing import Any

import typer

from retentionkit.cli._common import (
    check_format,
    format_option,
    open_workspace,
    print_frame,
    print_json,
    print_report,
    raw_option,
)
from retentionkit.service.options import (
    CHURN_BASES,
    COMPARE_MODES,
    CUSTOMER_DEFINITIONS,
    PERIODS,
    one_of,
)

HEALTH_STYLE = {"excellent": "bold green", "good": "green", "fair": "yellow", "poor": "red"}
MAX_TABLE_PERIODS = 8


def metrics(
    ctx: typer.Context,
    metric: list[str] = typer.Option(
        [],
        "--metric",
        "-m",
        help="Metric name (repeatable); default: every metric the loaded tables allow.",
    ),
    period: str = typer.Option("month", "--period", help=f"{one_of(PERIODS)}."),
    from_: str | None = typer.Option(None, "--from", help="First day (inclusive), YYYY-MM-DD."),
    to: str | None = typer.Option(None, "--to", help="End day (exclusive), YYYY-MM-DD."),
    last: int | None = typer.Option(None, "--last", help="Only the last N periods of the data."),
    segment: str | None = typer.Option(
        None,
        "--segment",
        help="Split by a customer attribute "
        "or segment scheme (country, channel, plan, cohort, "
        "rfm …).",
    ),
    customer_definition: str | None = typer.Option(
        None, "--customer-definition", help=f"{one_of(CUSTOMER_DEFINITIONS)}."
    ),
    active_window: str | None = typer.Option(
        None, "--active-window", help="Activity window, e.g. 90d (default: the period length)."
    ),
    churn_basis: str | None = typer.Option(
        None, "--churn-basis", help=f"{one_of(CHURN_BASES)} (L/S or L/E)."
    ),
    compare: str | None = typer.Option(None, "--compare", help=f"{one_of(COMPARE_MODES)}."),
    clv_model: str | None = typer.Option(
        None,
        "--clv-model",
        help="Compute the clv metric from a fitted purchase model of the CLV registry "
        "(e.g. bgnbd) instead of the simple formula.",
    ),
    margin: float | None = typer.Option(
        None,
        "--margin",
        help="Gross margin in (0, 1] of the CLV and CAC-payback values (default: gross_margin "
        "of retentionkit.toml).",
    ),
    fmt: str = format_option(),
    raw: bool = raw_option(),
) -> None:
    """Retention KPIs per period and segment, each with its components and health.

    CSV has one column per component (components.start, components.lost …)."""
    from retentionkit.service import MetricRequest, run

    check_format(fmt)
    request = MetricRequest(
        metrics=tuple(metric) or None,
        period=period,
        start=from_,
        end=to,
        last=last,
        segment=segment,
        customer_definition=customer_definition,
        active_window=active_window,
        churn_basis=churn_basis,
        compare=compare,
        clv_model=clv_model,
        margin=margin,
    )
    result = run(open_workspace(ctx), request)
    if fmt == "table":
        _print_table(result.records(), result.extra, request.compare, request.period)
    elif fmt == "json":  # from the records: a cached answer prints without pandas
        from retentionkit.service.serialize import records_json

        print_json(records_json(result.records()))
    else:
        print_frame(result.frame, fmt, raw=raw)
    for note in result.extra.get("notes", []):  # stderr: csv/json on stdout stay clean
        typer.echo(f"note: {note}", err=True)


#: Marks a partial (incomplete) period in the table's header and cells.
PARTIAL_MARK = "*"


def _spec_lookup(extra: dict[str, Any]) -> tuple[dict[str, str], dict[str, bool | None]]:
    """Each metric's unit and direction: from the result (``extra``, so a cached answer prints
    without importing the registry and pandas), else from the registry (an answer of a server
    of an older version)."""
    units, better = extra.get("units"), extra.get("higher_is_better")
    if isinstance(units, dict) and isinstance(better, dict):
        return units, better
    from retentionkit.metrics.registry import REGISTRY

    return (
        {name: spec.unit for name, spec in REGISTRY.items()},
        {name: spec.higher_is_better for name, spec in REGISTRY.items()},
    )


def _print_table(
    records: list[dict[str, Any]], extra: dict[str, Any], compare: str | None, period: str
) -> None:
    """The metrics as a Rich table: one row per metric (and segment), one column per period
    (the latest that fit the terminal), the last change (Δ) and health colours. Works on plain
    records (:meth:`~retentionkit.service.Result.records`): no pandas."""
    from rich.table import Table
    from rich.text import Text

    from retentionkit.cli._common import console as make_console
    from retentionkit.service.serialize import fmt_delta, fmt_value, number
    from retentionkit.vocabulary import period_label

    units, higher_is_better = _spec_lookup(extra)
    console = make_console()
    starts = sorted({r["period_start"] for r in records})
    segments = list(dict.fromkeys(str(r["segment"]) for r in records))
    # as many of the latest periods as the terminal fits (metric, segment and Δ columns first)
    label_width = 26 + (14 if len(segments) > 1 else 0) + 13
    fits = max(1, (console.width - label_width) // 13)
    shown = starts[-min(MAX_TABLE_PERIODS, fits) :]
    table = Table(title="retention KPIs", header_style="bold")
    table.add_column("metric", no_wrap=True)
    with_segment = len(segments) > 1 or (bool(segments) and segments[0] != "all")
    if with_segment:
        table.add_column("segment", no_wrap=True)
    partial = {r["period_start"] for r in records if not r["complete"]}
    for start in shown:
        mark = PARTIAL_MARK if start in partial else ""
        table.add_column(period_label(start, period) + mark, justify="right")
    table.add_column("Δ " + ("vs " + compare if compare else "last"), justify="right")
    rows: dict[tuple[str, str], dict[Any, dict[str, Any]]] = {}
    for r in records:  # in the result's order: metric, then segment, then period
        rows.setdefault((r["metric"], str(r["segment"])), {})[r["period_start"]] = r
    for (name, seg), by_start in rows.items():
        unit = units.get(name, "")
        cells: list[Any] = [name, seg] if with_segment else [name]
        for start in shown:
            row = by_start.get(start)
            if row is None:
                cells.append("")
                continue
            mark = "" if row["complete"] else PARTIAL_MARK
            style = HEALTH_STYLE.get(row.get("health") or "", "")
            cells.append(Text(fmt_value(row["value"], unit) + mark, style=style))
        # Δ on the last complete shown period (a partial last period is not the headline)
        whole = [p for p in shown if p in by_start and bool(by_start[p]["complete"])]
        ref = whole[-1] if whole else shown[-1]
        last_row = by_start.get(ref)
        before = shown[shown.index(ref) - 1] if shown.index(ref) > 0 else None
        delta = None
        if last_row is not None:
            if compare:
                delta = number(last_row.get("delta"))
            elif before is not None and before in by_start:
                now, prev = number(last_row["value"]), number(by_start[before]["value"])
                if now is not None and prev is not None:
                    delta = now - prev
        if delta is None:
            cells.append("")
        else:
            good = higher_is_better.get(name)
            style = (
                "" if good is None or delta == 0 else ("green" if (delta > 0) == good else "red")
            )
            cells.append(Text(fmt_delta(delta, None, unit), style=style))
        table.add_row(*cells)
    console.print(table)
    if partial & set(shown):
        console.print(
            f"[dim]{PARTIAL_MARK} partial period: the data of the tables the metric reads do "
            "not cover it whole (docs/metrics.md, Complete periods)[/dim]"
        )
    if len(starts) > len(shown):
        console.print(
            f"[dim]showing the last {len(shown)} of {len(starts)} periods; use "
            "--format csv or json for all[/dim]"
        )


# --------------------------------------------------------------------------- calc
# The flags below are the union of every MetricSpec.calc_inputs (retentionkit.metrics.registry).
# They are written out, not generated from the registry, because building the command from it
# would import the registry (pandas, Ibis: ~2 s) on every CLI start, even for --help;
# tests/cli/test_calc_flags.py asserts that these flags equal the registry's, so they cannot drift.
def calc(
    metric: str = typer.Argument(
        ..., help="The formula: crr, churn_rate, nps … (an unknown name lists them all)."
    ),
    start: float | None = typer.Option(None, "--start", help="Customers at the start (S)."),
    end: float | None = typer.Option(None, "--end", help="Customers at the end (E)."),
    new: float | None = typer.Option(None, "--new", help="New customers (N)."),
    lost: float | None = typer.Option(None, "--lost", help="Lost customers (L)."),
    returning: float | None = typer.Option(None, "--returning", help="Customers with ≥ 2 orders."),
    customers: float | None = typer.Option(
        None, "--customers", help="Customers (with ≥ 1 order, or paying)."
    ),
    promoters: float | None = typer.Option(None, "--promoters"),
    passives: float | None = typer.Option(None, "--passives"),
    detractors: float | None = typer.Option(None, "--detractors"),
    satisfied: float | None = typer.Option(None, "--satisfied"),
    responses: float | None = typer.Option(None, "--responses"),
    arpc: float | None = typer.Option(None, "--arpc", help="Average revenue per customer."),
    cost: list[float] = typer.Option([], "--cost", help="An acquisition cost (repeatable)."),
    renewed: float | None = typer.Option(None, "--renewed"),
    due: float | None = typer.Option(None, "--due"),
    apv: float | None = typer.Option(None, "--apv", help="Average purchase value."),
    apf: float | None = typer.Option(None, "--apf", help="Purchases per year."),
    acl: float | None = typer.Option(None, "--acl", help="Customer lifespan in years."),
    margin: float = typer.Option(1.0, "--margin", help="Gross margin (0–1]."),
    discount_rate: float = typer.Option(
        0.0, "--discount-rate", help="Annual discount rate (0.1 = 10 % a year)."
    ),
    fmt: str = format_option(),
) -> None:
    """Compute one KPI formula from numbers typed by hand (SPEC §4 worked examples)."""
    from retentionkit.metrics.calculator import calculate

    check_format(fmt)
    given = {
        k: v
        for k, v in dict(
            start=start,
            end=end,
            new=new,
            lost=lost,
            returning=returning,
            customers=customers,
            promoters=promoters,
            passives=passives,
            detractors=detractors,
            satisfied=satisfied,
            responses=responses,
            arpc=arpc,
            renewed=renewed,
            due=due,
            apv=apv,
            apf=apf,
            acl=acl,
        ).items()
        if v is not None
    }
    if cost:
        given["cost"] = list(cost)
    if margin != 1.0:
        given["margin"] = margin
    if discount_rate:
        given["discount_rate"] = discount_rate
    result = calculate(metric, given)
    if fmt != "table":
        print_report(result, fmt)
    else:
        value = result["value"]
        shown = "undefined" if value is None else f"{value:,.2f}"
        typer.echo(f"{metric} = {shown}")


def register(app: typer.Typer) -> None:
    app.command("metrics")(metrics)
    app.command("calc")(calc)
