"""``retentionkit rebuild``: recompute the derived data kept next to the workspace file (the
result cache, the automations' frames, the churn model) and prove it equal to the raw
computation (docs/performance.md)."""

from __future__ import annotations

import typer

from retentionkit.cli._common import check_format, open_workspace, print_json


def rebuild(
    ctx: typer.Context,
    check: bool = typer.Option(
        False,
        "--check",
        help="Only recompute and compare the cached answers; change nothing. Exit 1 when one "
        "differs.",
    ),
    fmt: str = typer.Option("table", "--format", help="Output: table or json."),
) -> None:
    """Recompute every cached answer from the raw tables and compare; then (without --check)
    replace all derived data."""
    from retentionkit.service import RebuildRequest, run

    check_format(fmt, ("table", "json"))
    report = run(open_workspace(ctx), RebuildRequest(check=check)).report
    if fmt == "json":
        print_json(report)
    else:
        same = report["checked"] - len(report["differ"])
        typer.echo(f"checked {report['checked']} cached answers: {same} equal to the raw tables")
        for name in report["differ"]:
            typer.echo(f"  differs: {name}")
        if not check:
            typer.echo(
                f"removed {report['removed']} derived files; recomputed {report['recomputed']} "
                "answers"
            )
    if report["differ"] and check:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("rebuild")(rebuild)
