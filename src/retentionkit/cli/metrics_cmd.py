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
    frame = result.frame
    if fmt == "table":
        _print_table(frame, request.compare, request.period)
    else:
        print_frame(frame, fmt, raw=raw)
    for note in result.extra.get("notes", []):  # stderr: csv/json on stdout stay clean
        typer.echo(f"note: {note}", err=True)


#: Marks a partial (incomplete) period in the table's header and cells.
PARTIAL_MARK = "*"


def pd_isna(value: Any) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def _print_table(frame: Any, compare: str | None, period: str) -> None:
    from rich.table import Table
    from rich.text import Text

    from retentionkit.cli._common import console as make_console
    from retentionkit.metrics.periods import period_label
    from retentionkit.metrics.registry import get_metric
    from retentionkit.service.serialize import fmt_delta, fmt_value

    console = make_console()
    starts = sorted(frame["period_start"].unique())
    # as many of the latest periods as the terminal fits (metric, segment and Δ columns first)
    label_width = 26 + (14 if frame["segment"].nunique() > 1 else 0) + 13
    fits = max(1, (console.width - label_width) // 13)
    shown = starts[-min(MAX_TABLE_PERIODS, fits) :]
    table = Table(title="retention KPIs", header_style="bold")
    table.add_column("metric", no_wrap=True)
    if frame["segment"].nunique() > 1 or frame["segment"].iloc[0] != "all":
        table.add_column("segment", no_wrap=True)
        with_segment = True
    else:
        with_segment = False
    partial = set(frame.loc[~frame["complete"].astype(bool), "period_start"])
    for start in shown:
        mark = PARTIAL_MARK if start in partial else ""
        table.add_column(period_label(start, period) + mark, justify="right")
    table.add_column("Δ " + ("vs " + compare if compare else "last"), justify="right")
    for (name, seg), part in frame.groupby(["metric", "segment"], sort=False):
        spec = get_metric(name)
        part = part.set_index("period_start")
        cells: list[Any] = [name, str(seg)] if with_segment else [name]
        for start in shown:
            if start in part.index:
                row = part.loc[start]
                mark = "" if row["complete"] else PARTIAL_MARK
                cells.append(
                    Text(
                        fmt_value(row["value"], spec.unit) + mark,
                        style=HEALTH_STYLE.get(row["health"] or "", ""),
                    )
                )
            else:
                cells.append("")
        # Δ on the last complete shown period (a partial last period is not the headline)
        whole = [p for p in shown if p in part.index and bool(part.loc[p]["complete"])]
        ref = whole[-1] if whole else shown[-1]
        last_row = part.loc[ref] if ref in part.index else None
        before = shown[shown.index(ref) - 1] if shown.index(ref) > 0 else None
        delta = None
        if last_row is not None:
            if compare:
                delta = last_row.get("delta")
            elif before is not None and before in part.index:
                prev = part.loc[before]["value"]
                if last_row["value"] is not None and prev is not None:
                    delta = last_row["value"] - prev
        if delta is None or delta != delta or pd_isna(delta):
            cells.append("")
        else:
            good = spec.higher_is_better
            style = (
                "" if good is None or delta == 0 else ("green" if (delta > 0) == good else "red")
            )
            cells.append(Text(fmt_delta(delta, None, spec.unit), style=style))
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
