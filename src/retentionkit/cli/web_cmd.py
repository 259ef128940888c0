"""``retentionkit serve`` (REST API + dashboard), ``retentionkit report --html`` (one
self-contained file) and ``retentionkit keys create|list|revoke`` (API keys)."""

from __future__ import annotations

from pathlib import Path

import typer

from retentionkit.cli._common import check_format, format_option, print_frame, state
from retentionkit.service.options import PERIODS, one_of
from retentionkit.web.keys import ROLES

keys_app = typer.Typer(
    help="API keys for the web server: writes need an admin key; reads need a key unless the "
    "server listens on loopback or runs with --public-read.",
    no_args_is_help=True,
)


def _require_db(ctx: typer.Context) -> Path | str:
    """The workspace of ``--db``: a database URL, or a DuckDB file that must exist."""
    from retentionkit.errors import MissingFileError

    st = state(ctx)
    if st.url is not None:
        return st.url
    db = st.db
    if not db.exists():
        raise MissingFileError(
            f"Workspace {db} does not exist; load data first with "
            f"'retentionkit --db {db} ingest TABLE FILE'."
        )
    return db


def _stop(signum: int, frame: object) -> None:
    """SIGTERM after uvicorn's graceful shutdown: leave through the ``finally`` blocks."""
    raise typer.Exit(0)


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=0, max=65535, help="TCP port (0: any free port)."),
    public_read: bool = typer.Option(
        False,
        "--public-read",
        help="Serve reads (pages and GET /api/*) without a key even on a network address.",
    ),
    require_read_key: bool = typer.Option(
        False,
        "--require-read-key",
        help="Reads need a key even on loopback: use it behind a reverse proxy on the same "
        "machine (the proxy forwards everyone's requests from 127.0.0.1).",
    ),
    max_upload_mb: int | None = typer.Option(
        None,
        "--max-upload-mb",
        min=1,
        help="Largest upload POST /api/ingest accepts, in MiB (default 1024).",
    ),
) -> None:
    """Serve the REST API (OpenAPI at /docs) and the dashboard with uvicorn.

    While it runs, the server owns the workspace file and writes ``<workspace>.server.json``
    (pid, URL, a local token; mode 0600; removed on exit): every other retentionkit command and
    ``rk.Workspace`` on the same file then runs through it."""
    import atexit
    import os
    import signal
    import socket

    from retentionkit.errors import WorkspaceLockedError
    from retentionkit.runtime.files import (
        RuntimeInfo,
        find_server,
        new_token,
        remove_runtime,
        write_runtime,
    )
    from retentionkit.server.warmup import start_first_page
    from retentionkit.web.keys import keystore_for
    from retentionkit.web.service import WorkspaceService
    from retentionkit.web.settings import WebSettings, is_loopback

    st = state(ctx)
    if public_read and require_read_key:
        from retentionkit.errors import ConfigError

        raise ConfigError("--public-read and --require-read-key contradict each other; give one.")
    db = _require_db(ctx)
    # A database server (PostgreSQL) takes writers itself: no runtime file, no owner.
    owns_file = isinstance(db, Path)
    running = find_server(db) if owns_file else None
    if running is not None:
        raise WorkspaceLockedError(
            f"{db} is already served at {running.url} (pid {running.pid}); open that URL or "
            "stop that server first."
        )
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio turns TCP_NODELAY on only for sockets that say they are TCP;
    # without it every small keep-alive response waits ~40 ms for the client's delayed ACK
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise WorkspaceLockedError(
            f"Cannot listen on {host}:{port} ({exc.strerror}); choose another --port."
        ) from None
    port = sock.getsockname()[1]
    settings = WebSettings(
        db=db,
        config_path=st.config_path,
        host=host,
        port=port,
        public_read=public_read,
        require_read_key=require_read_key,
        **({"max_upload_bytes": max_upload_mb << 20} if max_upload_mb else {}),
    )
    token = new_token()
    svc = WorkspaceService(settings.db, config=settings.config_path)
    # take the file now (or check the database URL connects); a DuckDB file is opened plain,
    # so a first page answered from the result cache needs no Ibis (docs/performance.md)
    svc.run(lambda ws: ws.duck)
    # the overview's pass over the orders runs while the web app is imported and built
    warm = settings.warm_cache and settings.has_workspace
    first_page = start_first_page(svc) if warm else None
    # the web app's modules (FastAPI, the routers, uvicorn) load while that pass runs
    import uvicorn

    from retentionkit.server import create_app

    app = create_app(settings, local_token=token, service=svc, first_page=first_page)
    shown = f"[{host}]" if ":" in host else host
    local = "127.0.0.1" if host in ("0.0.0.0", "") else ("[::1]" if host == "::" else shown)
    if owns_file:
        write_runtime(db, RuntimeInfo(os.getpid(), f"http://{local}:{port}", token, str(db)))
        atexit.register(remove_runtime, db, os.getpid())  # backstop; the finally below is first
    # uvicorn stops gracefully on SIGTERM/SIGINT and then raises the signal again with the
    # handler found at start: make SIGTERM's an exception, so the finally below runs
    signal.signal(signal.SIGTERM, _stop)
    try:
        typer.echo(f"Dashboard: http://{shown}:{port}/")
        typer.echo(f"API docs:  http://{shown}:{port}/docs")
        if require_read_key or not is_loopback(host):
            if settings.reads_need_key:
                typer.echo(
                    "Reads need an API key (create one with 'retentionkit keys create "
                    "--role read'); --public-read opens them."
                )
            if not keystore_for(settings.db, settings.keys_path).list():
                typer.echo(
                    "No API keys exist yet: writes are refused until "
                    "'retentionkit keys create --role admin'."
                )
        config = uvicorn.Config(app, log_level="info", proxy_headers=False)
        from retentionkit.runtime import collector

        collector.for_a_server()  # started: the default collector cadence from here on
        uvicorn.Server(config).run(sockets=[sock])  # SIGTERM / Ctrl-C end it gracefully
    finally:
        if owns_file:
            remove_runtime(db, os.getpid())
        svc.close()
        sock.close()


def report(
    ctx: typer.Context,
    html: Path = typer.Option(..., "--html", help="Output file (one self-contained HTML page)."),
    period: str = typer.Option("month", "--period", help=f"{one_of(PERIODS)}."),
    from_: str | None = typer.Option(None, "--from", help="First day (inclusive), YYYY-MM-DD."),
    to: str | None = typer.Option(None, "--to", help="End day (exclusive), YYYY-MM-DD."),
) -> None:
    """Write the dashboard's content as one self-contained HTML file (inline plotly.js and CSS;
    opens offline). While 'retentionkit serve' owns the workspace, the server renders it and
    this command writes the file."""
    from retentionkit.cli._common import open_workspace
    from retentionkit.server import write_report
    from retentionkit.service import MetricRequest

    # the report's pages build their own requests; this one checks the flags before any work
    request = MetricRequest(period=period, start=from_, end=to)
    ws = open_workspace(ctx)  # while a server owns the file, it renders and this writes
    size = write_report(ws, html, period=request.period, start=request.start, end=request.end)
    typer.echo(f"Report written to {html} ({size / 1e6:.1f} MB, self-contained).")


@keys_app.command("create")
def keys_create(
    ctx: typer.Context,
    role: str = typer.Option(
        ..., "--role", help=f"{one_of(ROLES)}: admin reads and writes, read only reads."
    ),
    name: str = typer.Option("", "--name", help="A note to recognise the key by."),
) -> None:
    """Create an API key and print it once (only a salted hash is stored)."""
    from retentionkit.web.keys import keystore_for

    store = keystore_for(_require_db(ctx))
    key, record = store.create(role, name)
    typer.echo(key)
    typer.echo(
        f"Created {record.role} key {record.id}; it is shown only now — keep it safe. "
        "Send it as 'Authorization: Bearer KEY'.",
        err=True,
    )


@keys_app.command("list")
def keys_list(
    ctx: typer.Context,
    fmt: str = format_option(),
) -> None:
    """List the API keys (id, role, name, creation time — never the keys)."""
    from retentionkit.web.keys import keystore_for

    check_format(fmt)
    records = [k.public() for k in keystore_for(_require_db(ctx)).list()]
    if fmt != "table":
        import pandas as pd

        columns = ["id", "role", "name", "created_at"]
        print_frame(pd.DataFrame(records, columns=columns), fmt)
        return
    if not records:
        typer.echo("No API keys; create one with 'retentionkit keys create --role admin'.")
    for rec in records:
        typer.echo(f"{rec['id']}  {rec['role']:<5}  {rec['created_at']}  {rec['name']}")


@keys_app.command("revoke")
def keys_revoke(
    ctx: typer.Context,
    key_id: str = typer.Argument(..., help="The key's id (see 'retentionkit keys list')."),
) -> None:
    """Revoke an API key; a running server refuses it from the next request on."""
    from retentionkit.web.keys import keystore_for

    record = keystore_for(_require_db(ctx)).revoke(key_id)
    typer.echo(f"Revoked {record.role} key {record.id}.")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("report")(report)
    app.add_typer(keys_app, name="keys")
