"""``retentionkit surveys``: create, list, show and delete survey definitions, print signed
per-customer links and rotate the link secret. Each command builds one request of
:mod:`retentionkit.surveys.service` and runs it (docs/surveys.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from retentionkit.cli._common import (
    check_format,
    console,
    format_option,
    open_workspace,
    print_frame,
    print_json,
    print_report,
)

surveys_app = typer.Typer(
    help="NPS, CSAT and custom surveys asked through signed per-customer links.",
    no_args_is_help=True,
)


def _run(ctx: typer.Context, request: Any, *, create: bool = False) -> Any:
    from retentionkit.surveys.service import run

    return run(open_workspace(ctx, create=create), request)


def _read_translations(path: Path) -> tuple[tuple[str, str], ...]:
    """``pl = "…"`` lines, or ``[pl]`` tables with ``question = "…"``, of a TOML file."""
    import tomllib

    from retentionkit.errors import InputError, MissingFileError

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MissingFileError(f"{path}: cannot be read ({exc.strerror}).") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML ({exc}).") from None
    pairs = []
    for lang, value in data.items():
        text = value.get("question") if isinstance(value, dict) else value
        if not isinstance(text, str):
            raise InputError(
                f'{path}: {lang} must be a question text (pl = "…" or [pl] question = "…").'
            )
        pairs.append((str(lang), text))
    return tuple(pairs)


@surveys_app.command("create")
def create(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Survey name (lowercase letters, digits, - or _)."),
    kind: str = typer.Option(..., "--type", help="nps, csat or custom."),
    scale: str | None = typer.Option(
        None, "--scale", help="1-5, 1-10 or 0-10 (NPS: 0-10; CSAT default 1-5)."
    ),
    question: str | None = typer.Option(
        None, "--question", help="Question text (default: the standard one of the type)."
    ),
    translations: Path | None = typer.Option(
        None, "--translations", help="TOML file with the question per language (pl, ru, zh)."
    ),
    comment: bool = typer.Option(True, "--comment/--no-comment", help="Offer a comment box."),
    company: str | None = typer.Option(
        None, "--company", help="Name in the standard NPS question (default: 'us')."
    ),
    mapping: list[str] = typer.Option(
        [], "--map", help="FIELD=JSONPATH for another tool's webhook payload (repeatable)."
    ),
) -> None:
    """Create a survey; prints its webhook secret (whsec_…) once."""
    from retentionkit.service.requests import parse_pairs
    from retentionkit.surveys.service import CreateSurvey

    request = CreateSurvey(
        name,
        kind,
        scale=scale,
        question=question,
        translations=_read_translations(translations) if translations else (),
        comment=comment,
        company=company,
        mapping=parse_pairs(mapping, "--map"),
    )
    made = _run(ctx, request, create=True)
    survey = made["survey"]
    out = console()
    out.print(
        f"Created {survey.type} survey [bold]{survey.name}[/] "
        f"(scale {survey.scale_min}-{survey.scale_max})."
    )
    out.print("Webhook secret (shown once; keep it with the sending tool):")
    sys.stdout.write(made["webhook_secret"] + "\n")


@surveys_app.command("list")
def list_(ctx: typer.Context, fmt: str = format_option()) -> None:
    """Every survey of the workspace."""
    import pandas as pd

    from retentionkit.surveys.service import ListSurveys

    check_format(fmt)
    rows = [
        {
            "name": s.name,
            "type": s.type,
            "scale": f"{s.scale_min}-{s.scale_max}",
            "comment": s.comment,
            "created_at": s.created_at,
        }
        for s in _run(ctx, ListSurveys())
    ]
    frame = pd.DataFrame(rows, columns=["name", "type", "scale", "comment", "created_at"])
    print_frame(frame, fmt, title="Surveys")


@surveys_app.command("show")
def show(ctx: typer.Context, name: str = typer.Argument(...), fmt: str = format_option()) -> None:
    """Answers, response rate, NPS / CSAT / mean score with its 95 % interval, latest comments."""
    from retentionkit.surveys.service import ShowSurvey

    check_format(fmt)
    print_report(_run(ctx, ShowSurvey(name)), fmt, title=f"Survey {name}")


@surveys_app.command("delete")
def delete(ctx: typer.Context, name: str = typer.Argument(...)) -> None:
    """Delete a survey definition (its links stop working; its answers are kept)."""
    from retentionkit.surveys.service import DeleteSurvey

    _run(ctx, DeleteSurvey(name))
    console().print(f"Deleted survey {name}; its answers stay in survey_responses.")


@surveys_app.command("links")
def links(
    ctx: typer.Context,
    name: str = typer.Argument(...),
    customer: list[str] = typer.Option([], "--customer", help="Customer id (repeatable)."),
    segment: str | None = typer.Option(
        None, "--segment", help="ATTR=VALUE: the customers with that attribute value."
    ),
    all_: bool = typer.Option(False, "--all", help="Every customer."),
    expires: str = typer.Option("30d", "--expires", help="Validity: 30d, 12w, 3m, 1y …"),
    base_url: str | None = typer.Option(
        None, "--base-url", help="Public address of 'retentionkit serve' (default local)."
    ),
    fmt: str = typer.Option("csv", "--format", help="Output: csv or json."),
) -> None:
    """Print one signed link per customer: customer_id, url, expires_at."""
    import pandas as pd

    from retentionkit.service.requests import parse_pairs
    from retentionkit.surveys.service import SurveyLinks, utc_iso

    check_format(fmt, ("csv", "json"))
    pair = parse_pairs([segment], "--segment")[0] if segment else None
    request = SurveyLinks(
        name,
        customers=tuple(customer),
        segment=pair,
        all=all_,
        expires=expires,
        base_url=base_url,
    )
    made = _run(ctx, request)
    rows = [
        {"customer_id": k.customer_id, "url": k.url, "expires_at": utc_iso(k.expires_at)}
        for k in made
    ]
    if fmt == "json":
        print_json(rows)
    else:
        print_frame(pd.DataFrame(rows, columns=["customer_id", "url", "expires_at"]), "csv")


@surveys_app.command("rotate-secret")
def rotate_secret(ctx: typer.Context) -> None:
    """Sign new links with a new secret; links already sent stay valid until they expire."""
    from retentionkit.surveys.service import RotateSecret

    kept = _run(ctx, RotateSecret())["secrets"]
    console().print(f"New link secret in use; {kept} secrets accepted.")


def register(app: typer.Typer) -> None:
    """Add the ``surveys`` command group to the main app."""
    app.add_typer(surveys_app, name="surveys")
