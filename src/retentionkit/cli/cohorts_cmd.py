"""``retentionkit cohorts`` (acquisition-cohort tables and heatmap), ``retentionkit rfm`` (the
per-customer RFM summary) and ``retentionkit segments`` (RFM and attribute segments)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from retentionkit.cli._common import RAW_HELP, check_format, open_workspace, print_frame, print_json

COHORT_FORMATS = ("table", "csv", "json", "html")


def cohorts(
    ctx: typer.Context,
    period: str = typer.Option("month", "--period", help="week, month or quarter."),
    kind: str = typer.Option(
        "customers",
        "--kind",
        help="customers (% active in period k), unbounded (% active in k or later), revenue "
        "(revenue in k / revenue in period 0 × 100) or cumulative_revenue (per customer).",
    ),
    from_: str | None = typer.Option(
        None, "--from", help="First acquisition day (inclusive), YYYY-MM-DD."
    ),
    to: str | None = typer.Option(None, "--to", help="End of the data (exclusive), YYYY-MM-DD."),
    segment: str | None = typer.Option(
        None, "--segment", help="Split by a customer attribute or scheme (country, rfm …)."
    ),
    customer_definition: str | None = typer.Option(
        None, "--customer-definition", help="activity (orders) or contractual (subscriptions)."
    ),
    fmt: str = typer.Option("table", "--format", help="table, csv, json or html (heatmap)."),
    out: Path | None = typer.Option(
        None, "--out", help="Write the output to this file instead of stdout."
    ),
    raw: bool = typer.Option(False, "--raw", help=RAW_HELP),
) -> None:
    """Acquisition cohorts × periods since acquisition: retention or revenue triangle."""
    check_format(fmt, COHORT_FORMATS)
    ws = open_workspace(ctx)
    frame = ws.cohorts(
        period=period,
        kind=kind,
        start=from_,
        end=to,
        segment=segment,
        customer_definition=customer_definition,
    )
    from retentionkit.cohorts.render import render_cohorts

    render_cohorts(frame, fmt, kind=kind, period=period, out=out, raw=raw)


def rfm(
    ctx: typer.Context,
    time_unit: str = typer.Option("week", "--time-unit", help="day, week or month."),
    observation_end: str | None = typer.Option(
        None,
        "--observation-end",
        help="Last day of observation (inclusive), YYYY-MM-DD; default: the last order day.",
    ),
    calibration_end: str | None = typer.Option(
        None,
        "--calibration-end",
        help="Last day of the calibration window (inclusive); adds the holdout columns.",
    ),
    fmt: str = typer.Option("csv", "--format", help="csv or json."),
    raw: bool = typer.Option(False, "--raw", help=RAW_HELP),
) -> None:
    """Per-customer RFM summary (frequency, recency, T, monetary value) as lifetimes has it."""
    check_format(fmt, ("csv", "json"))
    ws = open_workspace(ctx)
    frame = ws.rfm(
        time_unit=time_unit, observation_end=observation_end, calibration_end=calibration_end
    )
    print_frame(frame, fmt, raw=raw)


def segments(
    ctx: typer.Context,
    scheme: str = typer.Option(
        "rfm", "--scheme", help="rfm, rfm_score or any customer attribute (country, plan …)."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Score as of this day (inclusive), YYYY-MM-DD; default: last order."
    ),
    fmt: str = typer.Option("table", "--format", help="table, csv or json."),
    raw: bool = typer.Option(False, "--raw", help=RAW_HELP),
) -> None:
    """Customers, revenue and key KPIs per segment (RFM segments or any attribute)."""
    check_format(fmt)
    ws = open_workspace(ctx)
    frame = ws.segments(scheme, as_of=as_of)
    if fmt == "json":
        from retentionkit.cli._common import frame_records

        print_json(frame_records(frame))
    elif fmt == "csv":
        print_frame(frame, fmt, raw=raw)
    else:
        _print_segments(frame, scheme)


def _print_segments(frame: Any, scheme: str) -> None:
    from rich.table import Table

    from retentionkit.cli._common import console as make_console

    console = make_console()
    table = Table(title=f"segments: {scheme}", header_style="bold")
    formats = {
        "segment": str,
        "customers": "{:,.0f}".format,
        "share": "{:.1f}%".format,
        "revenue": "{:,.2f}".format,
        "revenue_share": "{:.1f}%".format,
        "orders_per_customer": "{:,.2f}".format,
        "average_order_value": "{:,.2f}".format,
        "days_since_last_order": "{:,.0f}".format,
    }
    for col in frame.columns:
        table.add_column(col, justify="left" if col == "segment" else "right", no_wrap=True)
    for rec in frame.to_dict("records"):
        table.add_row(
            *(
                "" if rec[c] is None or rec[c] != rec[c] else formats.get(c, str)(rec[c])
                for c in frame.columns
            )
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("cohorts")(cohorts)
    app.command("rfm")(rfm)
    app.command("segments")(segments)
