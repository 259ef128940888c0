"""``retentionkit spark register|unregister|tables``: map canonical tables to data a Spark cluster
already has (``[spark.tables]`` of retentionkit.toml), for ``--db spark://…`` / ``sc://…``."""

from __future__ import annotations

from pathlib import Path

import typer

from retentionkit.cli._common import format_option, print_frame, state

spark_app = typer.Typer(
    help="Spark workspaces: map tables to Parquet/CSV/… paths or catalog tables (read-only).",
    no_args_is_help=True,
)


def _config_file(ctx: typer.Context) -> Path:
    """The settings file the mapping lives in: --config, else retentionkit.toml in the current
    directory (created when missing)."""
    from retentionkit.config import CONFIG_FILENAME, find_config

    st = state(ctx)
    if st.config_path is not None:
        return st.config_path
    return find_config(None) or Path.cwd() / CONFIG_FILENAME


def _spark_url(ctx: typer.Context) -> str | None:
    from retentionkit.backends.spark import is_spark_url

    url = state(ctx).url
    return url if url is not None and is_spark_url(url) else None


@spark_app.command("register")
def register_cmd(
    ctx: typer.Context,
    table: str = typer.Argument(..., help="Canonical table: orders, customers, returns …"),
    path: str | None = typer.Argument(
        None, help="A file or folder Spark reads (local path, hdfs://, s3a://, abfss:// …)."
    ),
    fmt: str = typer.Option(
        "parquet", "--format", help="Format of PATH: parquet, csv, json, orc or delta."
    ),
    catalog_table: str | None = typer.Option(
        None, "--table", help="Instead of PATH: a table of the cluster's catalog (db.table)."
    ),
    check: bool = typer.Option(
        True,
        "--check/--no-check",
        help="With --db spark://… or sc://…: read the source's schema first and refuse it "
        "when a required column is missing.",
    ),
) -> None:
    """Map TABLE to PATH (or --table) in [spark.tables] of retentionkit.toml."""
    from pydantic import ValidationError

    from retentionkit.backends.spark import register
    from retentionkit.config import SparkSource
    from retentionkit.errors import ConfigError

    if (path is None) == (catalog_table is None):
        raise ConfigError("Give either PATH (a file or folder Spark reads) or --table NAME.")
    if path is not None and "://" not in path:  # a local path: absolute, so that the mapping
        path = str(Path(path).expanduser().resolve())  # works from any directory
    try:
        source = SparkSource(path=path, format=fmt, table=catalog_table)  # type: ignore[arg-type]
    except ValidationError:
        raise ConfigError(
            f"--format {fmt!r} is not one of: parquet, csv, json, orc, delta."
        ) from None
    url = _spark_url(ctx) if check else None
    config_file = _config_file(ctx)
    register(config_file, table, source, check=url)
    where = f"table {catalog_table}" if catalog_table else f"{path} ({fmt})"
    checked = (
        "checked" if url else "not checked: --db is not a Spark URL" if check else "not checked"
    )
    typer.echo(f"{table} → {where} in {config_file} ({checked}).")


@spark_app.command("unregister")
def unregister_cmd(
    ctx: typer.Context, table: str = typer.Argument(..., help="Canonical table to unmap.")
) -> None:
    """Remove TABLE from [spark.tables] of retentionkit.toml."""
    from retentionkit.backends.spark import register

    config_file = _config_file(ctx)
    register(config_file, table, None)
    typer.echo(f"{table} unmapped in {config_file}.")


@spark_app.command("tables")
def tables_cmd(ctx: typer.Context, fmt: str = format_option()) -> None:
    """The tables mapped in [spark.tables] and their sources."""
    import pandas as pd

    from retentionkit.config import load_settings

    settings = load_settings(_config_file(ctx) if _config_file(ctx).exists() else None)
    rows = [
        {"table": name, "source": s.table or s.path, "kind": "table" if s.table else s.format}
        for name, s in settings.spark.tables.items()
    ]
    print_frame(pd.DataFrame(rows, columns=["table", "source", "kind"]), fmt, title="spark tables")


def register(app: typer.Typer) -> None:
    app.add_typer(spark_app, name="spark")
