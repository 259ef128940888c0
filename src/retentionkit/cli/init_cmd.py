"""``retentionkit init``: write a commented retentionkit.toml and create the workspace."""

from __future__ import annotations

from pathlib import Path

import typer

from retentionkit.cli._common import state


def init(
    ctx: typer.Context,
    timezone: str = typer.Option("UTC", "--timezone", help="IANA time zone of naive input."),
    currency: str = typer.Option("EUR", "--currency", help="Reporting currency."),
    customer_definition: str = typer.Option(
        "activity", "--customer-definition", help="activity or contractual."
    ),
    activity_window: str = typer.Option(
        "period", "--active-window", help="'period' or a duration like 90d."
    ),
    path: Path | None = typer.Option(
        None, "--path", help="Where to write the settings file (default: next to the workspace)."
    ),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing settings file."),
) -> None:
    """Create the workspace and a commented settings file."""
    import tomllib

    from retentionkit.config import CONFIG_FILENAME, load_settings, render_template
    from retentionkit.errors import ConfigError
    from retentionkit.workspace import Workspace

    st = state(ctx)
    where = Path.cwd() if st.url is not None else st.db.resolve().parent
    target = path or where / CONFIG_FILENAME
    if target.exists() and not force:
        raise ConfigError(f"{target} already exists; give --force to overwrite it.")
    text = render_template(
        timezone=timezone,
        currency=currency,
        customer_definition=customer_definition,
        activity_window=activity_window,
    )
    tomllib.loads(text)
    tmp = target.with_suffix(".toml.tmp")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_text(text, encoding="utf-8")
    try:
        load_settings(tmp)  # validate before it becomes the real file
    except ConfigError:
        tmp.unlink()
        raise
    tmp.replace(target)
    with Workspace(st.target, config=target, wait=st.wait) as ws:
        if ws.remote is None:  # (a served workspace exists already)
            ws.tables()  # connects: creates the (empty) workspace file
    typer.echo(f"wrote {target}; workspace {st.shown}")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
