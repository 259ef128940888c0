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

from retentionkit.cli._common import AppState, close_opened

#: The top-level app's settings (also those of the one-command app of :func:`app_for`).
APP_SETTINGS: dict[str, object] = {
    "name": "retentionkit",
    "help": "Customer retention analytics: ingest, KPIs, cohorts, CLV, churn risk, dashboard.",
    "no_args_is_help": True,
    "pretty_exceptions_enable": False,
    "add_completion": False,
    "rich_markup_mode": None,
}
app = typer.Typer(**APP_SETTINGS)  # type: ignore[arg-type]

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

#: The global options that take a value (``--db X``, ``--db=X``); the others are flags.
#: ``tests/cli/test_one_command_app.py`` checks this against the callback's options.
GLOBAL_VALUE_OPTIONS = ("--db", "--config", "--wait")


def _name(info: typer.models.CommandInfo) -> str:
    from typer.main import get_command_name

    assert info.callback is not None
    return info.name or get_command_name(info.callback.__name__)


def invoked_command(args: list[str]) -> str | None:
    """The command (or command group) ``args`` name, after the global options; None when
    there is none (``--help``, no arguments) or an option is not a global one."""
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("-"):
            return arg
        if arg in GLOBAL_VALUE_OPTIONS:
            i += 2
        elif arg == "--debug" or arg.split("=", 1)[0] in GLOBAL_VALUE_OPTIONS:
            i += 1
        else:
            return None
    return None


def app_for(args: list[str]) -> typer.Typer:
    """The app that runs ``args``: the top-level callback and only the command they name, so
    Click objects are built for that one command instead of all of them (~0.05 s of every
    start); the whole app when no known command is named (``--help``, a typo: Click's own
    messages). Each command behaves exactly as in the whole app (the same registered callback,
    options and help), which ``tests/cli/test_one_command_app.py`` checks for every command."""
    name = invoked_command(args)
    commands = [c for c in app.registered_commands if _name(c) == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if not commands and not groups:
        return app
    one = typer.Typer(**APP_SETTINGS)  # type: ignore[arg-type]
    one.registered_callback = app.registered_callback
    one.registered_commands = commands
    one.registered_groups = groups
    return one


def entry() -> None:
    """The ``retentionkit`` console script (and ``python -m retentionkit``): :func:`main` under
    the collector policy of :mod:`retentionkit.runtime.collector` — fewer collections while the
    command runs, none over the objects left at exit (0.3 s of every command that loaded
    pandas and Ibis; docs/performance.md). :func:`main` has closed the command's workspaces
    and its output is written before the exit policy applies."""
    from retentionkit.runtime import collector

    collector.for_a_command()
    code = main()
    collector.for_exit()
    sys.exit(code)


def main(argv: list[str] | None = None) -> int:
    """Run the command of ``argv`` (default: ``sys.argv``) and return the process exit code.
    The workspaces the command opened are closed when it ends."""
    args = sys.argv[1:] if argv is None else argv
    try:
        return _run(args)
    finally:
        close_opened()


def _run(args: list[str]) -> int:
    # typer ships its own copy of click: its exceptions live in typer, not in click
    from typer._click.exceptions import ClickException
    from typer.exceptions import Abort, Exit

    from retentionkit.errors import RetentionkitError

    debug = "--debug" in args or os.environ.get("RETENTIONKIT_DEBUG", "") not in ("", "0")
    try:
        app_for(args)(args=args, prog_name="retentionkit", standalone_mode=False)
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
