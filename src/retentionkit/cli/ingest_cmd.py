"""``retentionkit ingest TABLE FILE`` and ``retentionkit load-dir DIR``."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from retentionkit.cli._common import (
    check_format,
    format_option,
    open_workspace,
    print_frame,
    print_report,
)


def ingest(
    ctx: typer.Context,
    table: str = typer.Argument(
        ...,
        help="Canonical table: orders, returns, subscriptions, "
        "survey_responses, acquisition_costs, tickets, customers.",
    ),
    file: Path = typer.Argument(..., help="CSV/TSV/whitespace text, Parquet, JSON or NDJSON."),
    map_: list[str] = typer.Option(
        [], "--map", help="Rename a column: SOURCE=TARGET (repeatable)."
    ),
    delimiter: str | None = typer.Option(
        None,
        "--delimiter",
        help="Field separator: a character, 'tab' or 'whitespace' (default: sniffed).",
    ),
    date_format: str | None = typer.Option(
        None, "--date-format", help="strftime format of the dates, e.g. %Y%m%d (default: ISO 8601)."
    ),
    timezone: str | None = typer.Option(
        None, "--timezone", help="Zone of timestamps without an offset (default: the workspace's)."
    ),
    no_header: bool = typer.Option(False, "--no-header", help="The file has no header line."),
    columns: str | None = typer.Option(
        None, "--columns", help="Comma-separated column names for a file without a header."
    ),
    set_: list[str] = typer.Option(
        [], "--set", help="Set a column to a constant: COLUMN=VALUE (e.g. survey=csat)."
    ),
    generate_id: bool = typer.Option(
        False,
        "--generate-id",
        help="Build the primary key from customer, time and occurrence when the file has none.",
    ),
    line_items: bool = typer.Option(
        False,
        "--line-items",
        help="orders only: one row per "
        "product (quantity × unit_price); summed per order, "
        "cancellations become returns.",
    ),
    drop_missing_customer: bool = typer.Option(
        False,
        "--drop-missing-customer",
        help="Line items: skip lines without a customer and report them.",
    ),
    encoding: str = typer.Option("utf-8", "--encoding", help="Text encoding of the file."),
    fmt: str = format_option(),
) -> None:
    """Load FILE into TABLE: validate everything, then upsert on the primary key (all or
    nothing)."""
    from retentionkit.service import IngestRequest, run
    from retentionkit.service.requests import parse_pairs

    check_format(fmt)
    request = IngestRequest(
        table,
        file,
        mapping=parse_pairs(map_, "--map"),
        date_format=date_format,
        timezone=timezone,
        delimiter=delimiter,
        header=not no_header,
        columns=columns,
        constants=parse_pairs(set_, "--set"),
        generate_id=generate_id,
        line_items=line_items,
        drop_missing_customer=drop_missing_customer,
        encoding=encoding,
        progress=sys.stderr.isatty(),
    )
    ws = open_workspace(ctx, create=True)  # a new file is created only after validation
    report = run(ws, request).report
    if fmt == "table":
        typer.echo(f"{file.name} → {report.summary()}")
    else:
        print_report(report.as_dict(), fmt)


def load_dir(
    ctx: typer.Context,
    directory: Path = typer.Argument(
        ...,
        help="Folder with files named after the tables "
        "(orders.parquet, customers.csv …), e.g. from generate.",
    ),
    fmt: str = format_option(),
) -> None:
    """Load every file of DIRECTORY named after a canonical table: all are validated first,
    then written in one transaction (all or nothing)."""
    from retentionkit.service import LoadDirRequest, run

    check_format(fmt)
    request = LoadDirRequest(directory, progress=sys.stderr.isatty())
    ws = open_workspace(ctx, create=True)  # a new file is created only after validation
    reports = run(ws, request).report
    if fmt == "table":
        for report in reports:
            typer.echo(f"{report.source} → {report.summary()}")
    elif fmt == "json":
        print_report([r.as_dict() for r in reports], fmt)
    else:
        import pandas as pd

        from retentionkit.service.serialize import flatten_record

        print_frame(pd.DataFrame([flatten_record(r.as_dict()) for r in reports]), fmt)


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("load-dir")(load_dir)
