"""``retentionkit generate``: write a realistic synthetic business to a directory.

One file per canonical table (Parquet or CSV), written atomically; a one-line summary per table
goes to stderr. NumPy, pandas and pyarrow are imported inside the command so ``--help`` stays
fast. The model behind the data is described in ``docs/generator.md``.
"""

from __future__ import annotations

from pathlib import Path

import typer


def generate(
    out: Path = typer.Option(
        ..., "--out", help="Directory to write the tables into (created when missing)."
    ),
    customers: int = typer.Option(5000, "--customers", help="Number of customers (≥ 1)."),
    months: int = typer.Option(24, "--months", help="Months of history, 1 to 600."),
    seed: int = typer.Option(42, "--seed", help="Random seed; the same seed gives the same data."),
    kind: str = typer.Option(
        "both", "--kind", help="ecommerce (orders), saas (subscriptions) or both."
    ),
    start: str = typer.Option(
        "2023-01-01", "--start", help="First day of the data, YYYY-MM-DD (UTC)."
    ),
    fmt: str = typer.Option("parquet", "--format", help="parquet or csv."),
) -> dict[str, int]:
    """Generate a synthetic e-commerce and/or SaaS business: customers, orders, returns,
    subscriptions, survey answers, acquisition costs and tickets."""
    import contextlib
    import time

    from rich.console import Console
    from rich.markup import escape

    from retentionkit.errors import ConfigError, InputError
    from retentionkit.generate import FORMATS, generate_tables, validate_options, write_business

    validate_options(customers, months, kind, start)
    if fmt not in FORMATS:
        raise ConfigError(f"--format {fmt!r} is not one of: {', '.join(FORMATS)}.")
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; give a directory to write the tables into.")

    console = Console(stderr=True)
    began = time.perf_counter()
    busy = (
        console.status(f"Generating {customers:,} customers over {months} months…")
        if console.is_terminal
        else contextlib.nullcontext()
    )
    with busy:
        tables = generate_tables(customers, months, seed, kind, start)
        paths = write_business(tables, out, fmt)
    counts = {name: table.num_rows for name, table in tables.items()}
    for name, path in paths.items():
        line = f"[bold]{name:<17}[/bold] {counts[name]:>12,} rows  → {escape(str(path))}"
        console.print(line, highlight=False, soft_wrap=True)
    console.print(
        f"[green]Done[/green] in {time.perf_counter() - began:.1f} s "
        f"(kind={kind}, seed={seed}, start={start}).",
        highlight=False,
    )
    return counts


def register(app: typer.Typer) -> None:
    """Add the ``generate`` command to the CLI."""
    app.command("generate")(generate)
