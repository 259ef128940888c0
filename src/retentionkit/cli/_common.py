"""Shared CLI plumbing: global state, opening the workspace, printing results."""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from retentionkit.workspace import Workspace

FORMATS = ("table", "csv", "json")
#: Help of the ``--raw`` flag of every command that writes CSV.
RAW_HELP = (
    "CSV: write text cells verbatim (by default a cell a spreadsheet would run as a formula "
    "gets a leading ')."
)


@dataclass
class AppState:
    """Global options given before the command (``retentionkit --db X cmd``)."""

    db: Path
    config_path: Path | None = None
    debug: bool = False


def state(ctx: typer.Context) -> AppState:
    obj = ctx.find_root().obj
    assert isinstance(obj, AppState)
    return obj


def open_workspace(ctx: typer.Context, *, create: bool = False) -> Workspace:
    """Open the workspace named by ``--db``; without ``create`` a missing file is an error."""
    from retentionkit.errors import MissingFileError
    from retentionkit.workspace import Workspace

    st = state(ctx)
    if not create and not st.db.exists():
        raise MissingFileError(
            f"Workspace {st.db} does not exist; load data first with "
            f"'retentionkit --db {st.db} ingest TABLE FILE'."
        )
    return Workspace(st.db, config=st.config_path)


def check_format(fmt: str, allowed: tuple[str, ...] = FORMATS) -> str:
    from retentionkit.errors import ConfigError

    if fmt not in allowed:
        raise ConfigError(f"--format {fmt!r} is not one of: {', '.join(allowed)}.")
    return fmt


def _json_default(value: Any) -> Any:
    import datetime as dt
    import decimal

    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def clean_json(value: Any) -> Any:
    """Replace NaN/inf by None recursively so JSON output never carries NaN."""
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, dict):
        return {k: clean_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_json(v) for v in value]
    return value


def dump_json(value: Any) -> str:
    return json.dumps(
        clean_json(value), default=_json_default, indent=2, allow_nan=False, ensure_ascii=False
    )


def print_json(value: Any) -> None:
    sys.stdout.write(dump_json(value) + "\n")


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """DataFrame → list of plain dicts with dates as ISO strings and no NaN."""
    import pandas as pd

    out = []
    for rec in frame.to_dict(orient="records"):
        row = {}
        for key, val in rec.items():
            if val is None or (isinstance(val, float) and math.isnan(val)) or val is pd.NaT:
                row[key] = None
            elif isinstance(val, pd.Timestamp):
                row[key] = val.isoformat()
            else:
                row[key] = val
        out.append(row)
    return clean_json(out)


def print_frame(
    frame: pd.DataFrame, fmt: str, *, title: str | None = None, raw: bool = False
) -> None:
    """Print a DataFrame as a Rich table, CSV (formulas neutralised unless ``raw``) or JSON."""
    if fmt == "csv":
        from retentionkit.csv_safety import write_csv

        write_csv(frame, sys.stdout, raw=raw)
    elif fmt == "json":
        print_json(frame_records(frame))
    else:
        from rich.table import Table

        table = Table(title=title, show_lines=False)
        for col in frame.columns:
            table.add_column(str(col), overflow="fold")
        for rec in frame_records(frame):
            table.add_row(*("" if v is None else _fmt_cell(v) for v in rec.values()))
        console().print(table)


def console() -> Any:
    """A Rich console as wide as the terminal; when the output is not a terminal (a file, a
    pipe) wide enough not to wrap tables, since nothing will reflow them."""
    from rich.console import Console

    plain = Console()
    return plain if plain.is_terminal else Console(width=max(plain.width, 200))


def _fmt_cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e-3 and value != 0 else f"{value:,.2f}"
    return str(value)
