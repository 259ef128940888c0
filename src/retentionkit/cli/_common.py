"""Shared CLI plumbing: global state, opening the workspace, printing results.

Every command accepts ``--format table|csv|json`` (:data:`FORMAT_OPTION`); the text of each
format comes from :mod:`retentionkit.service.serialize` (JSON records, flattened CSV, number
formatting), the same functions the REST API and the dashboard use."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from retentionkit.workspace import Workspace

from retentionkit.service.options import FORMATS, check_choice, one_of

#: Help of every ``--format`` option.
FORMAT_HELP = f"Output: {one_of(FORMATS)}."
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
    #: ``--wait``: how long to wait while another process holds the workspace (None: the
    #: default of :func:`retentionkit.runtime.lock.resolve_wait`).
    wait: str | None = None
    #: ``--db postgresql://…``: the database URL (then ``db`` is unused: no file).
    url: str | None = None

    @classmethod
    def from_option(cls, db: str, **kwargs: Any) -> AppState:
        """From the text of ``--db``: a URL (``scheme://…``) or a DuckDB file path."""
        if "://" in db:
            return cls(db=Path("retentionkit.duckdb"), url=db, **kwargs)
        return cls(db=Path(db), **kwargs)

    @property
    def target(self) -> Path | str:
        """What :class:`~retentionkit.workspace.Workspace` opens: the URL or the file."""
        return self.url if self.url is not None else self.db

    @property
    def shown(self) -> str:
        """The workspace as messages name it (a URL without its password)."""
        if self.url is None:
            return str(self.db)
        from retentionkit.backends.postgres import redact

        return redact(self.url)


def state(ctx: typer.Context) -> AppState:
    obj = ctx.find_root().obj
    assert isinstance(obj, AppState)
    return obj


#: The workspaces :func:`open_workspace` opened during this command, closed by
#: :func:`close_opened` when the command ends (:func:`retentionkit.cli.app.main`).
OPENED: list[Workspace] = []


def close_opened() -> None:
    """Close every workspace the command opened (idempotent): the file is released and
    DuckDB has finished with it before the interpreter exits."""
    while OPENED:
        OPENED.pop().close()


def open_workspace(ctx: typer.Context, *, create: bool = False) -> Workspace:
    """Open the workspace named by ``--db``; without ``create`` a missing file is an error.
    While ``retentionkit serve`` owns the file, the workspace runs every request in it. The
    command's end closes it (:func:`close_opened`)."""
    from retentionkit.errors import MissingFileError
    from retentionkit.workspace import Workspace

    st = state(ctx)
    if st.url is None and not create and not st.db.exists():
        raise MissingFileError(
            f"Workspace {st.db} does not exist; load data first with "
            f"'retentionkit --db {st.db} ingest TABLE FILE'."
        )
    ws = Workspace(st.target, config=st.config_path, wait=st.wait)
    OPENED.append(ws)
    return ws


def format_option(default: str = "table", extra: tuple[str, ...] = ()) -> Any:
    """The ``--format`` option of a command (``table``, ``csv`` or ``json``, plus ``extra``)."""
    help_text = FORMAT_HELP if not extra else f"Output: {one_of((*FORMATS, *extra))}."
    return typer.Option(default, "--format", help=help_text)


def raw_option() -> Any:
    """The ``--raw`` flag of every command that writes CSV (OWASP formula neutralisation off)."""
    return typer.Option(False, "--raw", help=RAW_HELP)


def check_format(fmt: str, allowed: tuple[str, ...] = FORMATS) -> str:
    """``fmt`` when it is one of ``allowed``; otherwise a ConfigError naming ``--format``."""
    return check_choice(fmt, allowed, "--format")


def print_json(value: Any) -> None:
    from retentionkit.service.serialize import dump_json

    sys.stdout.write(dump_json(value) + "\n")


def print_frame(
    frame: pd.DataFrame, fmt: str, *, title: str | None = None, raw: bool = False
) -> None:
    """Print a DataFrame as a Rich table, CSV (dict columns flattened into ``column.key``
    columns; formulas neutralised unless ``raw``) or JSON records."""
    from retentionkit.service.serialize import fmt_cell, frame_csv, frame_records

    if fmt == "csv":
        sys.stdout.write(frame_csv(frame, raw=raw))
    elif fmt == "json":
        print_json(frame_records(frame))
    else:
        from rich.table import Table

        table = Table(title=title, show_lines=False)
        for col in frame.columns:
            table.add_column(str(col), overflow="fold")
        for rec in frame_records(frame):
            table.add_row(*(fmt_cell(v) for v in rec.values()))
        console().print(table)


def print_model(result: Any, fmt: str) -> None:
    """Name the model behind a CLV or at-risk result: ``Model: mbgnbd (status ok)`` under a
    table (CSV and JSON carry it in the ``model`` and ``model_status`` columns) and its warnings
    on stderr, so that piped output stays data."""
    if result.model_line is None:
        return
    if fmt == "table":
        typer.echo(result.model_line)
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)


def print_report(report: Any, fmt: str, *, title: str | None = None) -> None:
    """Print a dict (a fit, evaluation or ingest report): JSON as it is; CSV as one flattened
    row; a table as ``field, value`` rows."""
    from retentionkit.service.serialize import flatten_record, to_frame

    if fmt == "json":
        print_json(report)
    elif fmt == "csv":
        print_frame(to_frame(report), "csv")
    else:
        import pandas as pd

        flat = flatten_record(report)
        rows = pd.DataFrame({"field": list(flat), "value": [str(v) for v in flat.values()]})
        print_frame(rows, "table", title=title)


def console() -> Any:
    """A Rich console as wide as the terminal; when the output is not a terminal (a file, a
    pipe) wide enough not to wrap tables, since nothing will reflow them."""
    from rich.console import Console

    plain = Console()
    return plain if plain.is_terminal else Console(width=max(plain.width, 200))
