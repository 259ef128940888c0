"""The ``retentionkit`` command line: one Typer app, one module per command group.

Start-up stays small: this module imports only Typer; each command imports the heavy libraries
(Ibis, DuckDB, pandas, SciPy …) inside its function body, so ``retentionkit --help`` is fast.

Errors: a :class:`~retentionkit.errors.RetentionkitError` becomes one sentence on stderr and its
exit code; ``--debug`` (or ``RETENTIONKIT_DEBUG=1``) shows the traceback instead.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import typer

from retentionkit.cli._common import AppState

app = typer.Typer(
    name="retentionkit",
    help="Customer retention analytics: ingest, KPIs, cohorts, CLV, churn risk, dashboard.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)

# Command modules, registered in this order. Each exposes ``register(app)`` and keeps its
# heavy imports inside the command functions. Add one line per new command module.
COMMAND_MODULES: list[str] = [
    "retentionkit.cli.init_cmd",
    "retentionkit.cli.ingest_cmd",
    "retentionkit.cli.generate_cmd",
    "retentionkit.cli.metrics_cmd",
    "retentionkit.cli.clv_cmd",
    "retentionkit.cli.churn_cmd",
    "retentionkit.cli.churn_ws_cmd",
    "retentionkit.cli.cohorts_cmd",
    "retentionkit.cli.surveys_cmd",
    "retentionkit.cli.automations_cmd",
    "retentionkit.cli.web_cmd",
    "retentionkit.cli.goals_cmd",
    "retentionkit.cli.spark_cmd",
    "retentionkit.cli.rebuild_cmd",
]


@app.callback()
def _global_options(
    ctx: typer.Context,
    db: str = typer.Option(
        "retentionkit.duckdb",
        "--db",
        envvar="RETENTIONKIT_DB",
        help="Workspace: an embedded DuckDB file (created when missing), a PostgreSQL "
        "database URL postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE, or a read-only Spark "
        "workspace spark://local[2], spark://MASTER:PORT or sc://HOST:PORT (Spark Connect).",
        show_default=True,
    ),
    config: Path | None = typer.Option(
        None,
        "--config",
        envvar="RETENTIONKIT_CONFIG",
        help="Settings file (default: retentionkit.toml next to the workspace, else in the "
        "current directory).",
    ),
    debug: bool = typer.Option(
        False, "--debug", envvar="RETENTIONKIT_DEBUG", help="Show tracebacks on errors."
    ),
    wait: str | None = typer.Option(
        None,
        "--wait",
        help="How long to wait while another process holds the workspace file, e.g. 30s, 2m "
        "(default: RETENTIONKIT_WAIT, else [workspace] wait, else 30s).",
    ),
) -> None:
    ctx.obj = AppState.from_option(db, config_path=config, debug=debug, wait=wait)


def _register_all() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)  # tests/cli check every module imports


_register_all()


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point; returns the process exit code."""
    # typer ships its own copy of click: its exceptions live in typer, not in click
    from typer._click.exceptions import ClickException
    from typer.exceptions import Abort, Exit

    from retentionkit.errors import RetentionkitError

    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args or os.environ.get("RETENTIONKIT_DEBUG", "") not in ("", "0")
    try:
        app(args=args, prog_name="retentionkit", standalone_mode=False)
    except Exit as exc:
        return int(exc.exit_code or 0)
    except Abort:
        print("Aborted.", file=sys.stderr)
        return 130
    except ClickException as exc:
        exc.show()
        return exc.exit_code
    except RetentionkitError as exc:
        if debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not a user mistake: short message, traceback on --debug
        if debug:
            raise
        print(
            f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the "
            "traceback and please report it)",
            file=sys.stderr,
        )
        return 70
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
