"""``retentionkit cohorts`` (acquisition-cohort tables and heatmap), ``retentionkit rfm`` (the
per-customer RFM summary) and ``retentionkit segments`` (RFM and attribute segments)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from retentionkit.cli._common import (
    check_format,
    format_option,
    open_workspace,
    print_frame,
    raw_option,
)
from retentionkit.service.options import (
    COHORT_FORMATS,
    COHORT_KINDS,
    COHORT_PERIODS,
    TIME_UNITS,
    one_of,
)


def cohorts(
    ctx: typer.Context,
    period: str = typer.Option("month", "--period", help=f"{one_of(COHORT_PERIODS)}."),
    kind: str = typer.Option(
        "customers",
        "--kind",
        help=f"{one_of(COHORT_KINDS)}: % of the cohort active in period k, % active in k or "
        "later, revenue in k / revenue in period 0 × 100, cumulative revenue per customer.",
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
    fmt: str = format_option(extra=("html",)),
    raw: bool = raw_option(),
    out: Path | None = typer.Option(
        None, "--out", help="Write the output to this file instead of stdout."
    ),
) -> None:
    """Acquisition cohorts × periods since acquisition: retention or revenue triangle."""
    from retentionkit.cohorts.render import render_cohorts
    from retentionkit.service import CohortRequest, run

    check_format(fmt, COHORT_FORMATS)
    request = CohortRequest(
        period=period,
        kind=kind,
        start=from_,
        end=to,
        segment=segment,
        customer_definition=customer_definition,
    )
    frame = run(open_workspace(ctx), request).frame
    render_cohorts(frame, fmt, kind=request.kind, period=request.period, out=out, raw=raw)


def rfm(
    ctx: typer.Context,
    time_unit: str = typer.Option("week", "--time-unit", help=f"{one_of(TIME_UNITS)}."),
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
    fmt: str = format_option("csv"),
    raw: bool = raw_option(),
) -> None:
    """Per-customer RFM summary (frequency, recency, T, monetary value) as lifetimes has it."""
    from retentionkit.service import RfmRequest, run

    check_format(fmt)
    request = RfmRequest(time_unit, observation_end, calibration_end)
    result = run(open_workspace(ctx), request)
    print_frame(result.frame, fmt, title=result.title, raw=raw)


def segments(
    ctx: typer.Context,
    scheme: str = typer.Option(
        "rfm", "--scheme", help="rfm, rfm_score or any customer attribute (country, plan …)."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Score as of this day (inclusive), YYYY-MM-DD; default: last order."
    ),
    fmt: str = format_option(),
    raw: bool = raw_option(),
) -> None:
    """Customers, revenue and key KPIs per segment (RFM segments or any attribute)."""
    from retentionkit.service import SegmentRequest, run

    check_format(fmt)
    request = SegmentRequest(scheme, as_of=as_of)
    frame = run(open_workspace(ctx), request).frame
    if fmt == "table":
        _print_segments(frame, request.scheme)
    else:
        print_frame(frame, fmt, raw=raw)


def _print_segments(frame: Any, scheme: str) -> None:
    from rich.table import Table

    from retentionkit.cli._common import console as make_console
    from retentionkit.service.serialize import fmt_cell, fmt_value

    console = make_console()
    table = Table(title=f"segments: {scheme}", header_style="bold")
    units = {  # the units of serialize.fmt_value, as the dashboard's segments page
        "customers": "count",
        "share": "%",
        "revenue": "money",
        "revenue_share": "%",
        "orders_per_customer": "ratio",
        "average_order_value": "money",
        "days_since_last_order": "count",
    }
    for col in frame.columns:
        table.add_column(col, justify="left" if col == "segment" else "right", no_wrap=True)
    for rec in frame.to_dict("records"):
        table.add_row(
            *(
                fmt_value(rec[c], units[c]) if c in units else fmt_cell(rec[c])
                for c in frame.columns
            )
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("cohorts")(cohorts)
    app.command("rfm")(rfm)
    app.command("segments")(segments)
