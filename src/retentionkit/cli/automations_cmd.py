"""``retentionkit automations``: rules ("when X, after a delay, unless Y, then Z"), a dry run,
planning and delivery, the log, the holdout report and a backtest. Each command builds one
request of :mod:`retentionkit.automations.service` and runs it (docs/automations.md)."""

from __future__ import annotations

import sys
import time
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

automations_app = typer.Typer(
    help="Emails and signed webhooks from a durable outbox: when X, after a delay, unless Y.",
    no_args_is_help=True,
)


def _run(ctx: typer.Context, request: Any, *, create: bool = False) -> Any:
    from retentionkit.automations.service import run

    return run(open_workspace(ctx, create=create), request)


def _read_bodies(files: list[str] | None) -> list[str]:
    """``--body-file [LANG=]FILE`` → ``[LANG=]text``; an unreadable file is one sentence."""
    from pathlib import Path

    from retentionkit.automations.rules import LANGUAGE_PREFIX
    from retentionkit.errors import ConfigError

    out = []
    for item in files or []:
        match = LANGUAGE_PREFIX.match(item)
        prefix, path = (item[: match.end()], item[match.end() :]) if match else ("", item)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8"
            raise ConfigError(f"--body-file {path}: cannot read it ({reason}).") from None
        out.append(prefix + text)
    return out


@automations_app.command("add")
def add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Rule name (lowercase letters, digits, - or _)."),
    template: str | None = typer.Option(
        None, "--template", help="Built-in template (see docs); or use --trigger."
    ),
    trigger: str | None = typer.Option(
        None, "--trigger", help="Custom rule: order_placed, ticket_opened, … (see docs)."
    ),
    after: str | None = typer.Option(
        None, "--after", help="Delay after the event, e.g. 7d or 48h (default: the template's)."
    ),
    since: str | None = typer.Option(
        None, "--since", help="Events before this date never fire (default: now)."
    ),
    unless: list[str] | None = typer.Option(
        None, "--unless", help="Custom rule: skip when this happened by the due time (repeat)."
    ),
    to: str | None = typer.Option(None, "--to", help="Team address (ticket/detractor rules)."),
    channel: str | None = typer.Option(None, "--channel", help="email, webhook or log."),
    url: str | None = typer.Option(None, "--url", help="Webhook URL (http or https)."),
    holdout: str | None = typer.Option(
        None, "--holdout", help="Share of customers planned but not sent, e.g. 10%."
    ),
    survey: str | None = typer.Option(
        None, "--survey", help="Survey whose link the email carries (feedback_request: first)."
    ),
    subject: list[str] | None = typer.Option(
        None, "--subject", help="Email subject (Jinja2); prefix pl=, ru=, zh=, en= per language."
    ),
    body_file: list[str] | None = typer.Option(
        None, "--body-file", help="Email body, a Jinja2 file; [LANG=]FILE per language."
    ),
    metric: str | None = typer.Option(None, "--metric", help="kpi_crossed: the KPI, e.g. crr."),
    below: str | None = typer.Option(None, "--below", help="kpi_crossed: fire below this."),
    above: str | None = typer.Option(None, "--above", help="kpi_crossed: fire above this."),
    period: str | None = typer.Option(None, "--period", help="kpi_crossed: month (default), …"),
    goal: str | None = typer.Option(None, "--goal", help="goal_off_track: the goal's name."),
    risk: str | None = typer.Option(
        None, "--risk", help="became_at_risk: churn risk threshold (default 0.7, or off)."
    ),
    gap_multiple: str | None = typer.Option(
        None, "--gap-multiple", help="became_at_risk: silent ≥ k × usual gap (default 3, or off)."
    ),
    max_score: str | None = typer.Option(
        None, "--max-score", help="survey_answered: only answers scoring at most this."
    ),
    survey_type: str | None = typer.Option(
        None,
        "--survey-type",
        help="survey_answered: only answers to this survey (nps, csat, a name).",
    ),
) -> None:
    """Add a rule from a template or a trigger; a webhook rule prints its signing secret once."""
    from retentionkit.automations.service import AddRule

    request = AddRule(
        name,
        template,
        after=after,
        since=since,
        to=to,
        channel=channel,
        url=url,
        holdout=holdout,
        survey=survey,
        trigger=trigger,
        unless=tuple(unless or ()),
        subject=tuple(subject or ()),
        body=tuple(_read_bodies(body_file)),
        metric=metric,
        below=below,
        above=above,
        period=period,
        goal=goal,
        risk=risk,
        gap_multiple=gap_multiple,
        max_score=max_score,
        survey_type=survey_type,
    )
    made = _run(ctx, request, create=True)
    rule = made["rule"]
    console().print(
        f"Added rule [bold]{rule['name']}[/] ({rule['template']}, {rule['trigger']}, "
        f"{rule['channel']}, events since {rule['since']})."
    )
    if made["webhook_secret"]:
        console().print("Webhook signing secret (shown once; give it to the receiver):")
        sys.stdout.write(made["webhook_secret"] + "\n")


@automations_app.command("list")
def list_(ctx: typer.Context, fmt: str = format_option()) -> None:
    """Every rule with its counts."""
    import pandas as pd

    from retentionkit.automations.service import Overview

    check_format(fmt)
    rules = _run(ctx, Overview())["rules"]
    columns = [
        "name",
        "template",
        "trigger",
        "channel",
        "status",
        "since",
        "holdout",
        "pending",
        "sent",
        "failed",
        "held_out",
        "skipped",
        "dead",
    ]
    print_frame(pd.DataFrame(rules, columns=columns), fmt, title="Automations")


@automations_app.command("show")
def show(ctx: typer.Context, name: str = typer.Argument(...), fmt: str = format_option()) -> None:
    """One rule's definition."""
    from retentionkit.automations.service import ShowRule

    check_format(fmt)
    print_report(_run(ctx, ShowRule(name)), fmt, title=f"Rule {name}")


def _status(ctx: typer.Context, name: str, status: str) -> None:
    from retentionkit.automations.service import SetStatus

    _run(ctx, SetStatus(name, status))
    console().print(f"Rule {name} is {status}.")


@automations_app.command("pause")
def pause(ctx: typer.Context, name: str = typer.Argument(...)) -> None:
    """Stop planning and sending for a rule (its planned actions wait)."""
    _status(ctx, name, "paused")


@automations_app.command("resume")
def resume(ctx: typer.Context, name: str = typer.Argument(...)) -> None:
    """Plan and send again for a paused rule."""
    _status(ctx, name, "active")


@automations_app.command("delete")
def delete(ctx: typer.Context, name: str = typer.Argument(...)) -> None:
    """Delete a rule; its unsent actions are cancelled, the log stays."""
    from retentionkit.automations.service import DeleteRule

    _run(ctx, DeleteRule(name))
    console().print(f"Deleted rule {name}; its unsent actions are cancelled.")


@automations_app.command("dry-run")
def dry_run(
    ctx: typer.Context,
    as_of: str | None = typer.Option(None, "--as-of", help="Plan as of this time (UTC)."),
    fmt: str = format_option(),
) -> None:
    """What would be planned now (rule, customer_id, key, due_at, channel, recipient,
    subject); writes nothing."""
    from retentionkit.automations.service import DryRun

    check_format(fmt)
    request = DryRun(as_of=as_of)
    print_frame(_run(ctx, request), fmt, title="Would plan")


@automations_app.command("run")
def run_(
    ctx: typer.Context,
    once: bool = typer.Option(False, "--once", help="One planning and delivery pass, then exit."),
    as_of: str | None = typer.Option(None, "--as-of", help="Plan as of this time (UTC)."),
) -> None:
    """Plan and deliver (once a minute until stopped, or once with --once: for cron)."""
    from retentionkit.automations.service import RunAutomations

    request = RunAutomations(as_of=as_of)
    first = True
    while True:
        out = _run(ctx, request)
        console().print(
            f"planned {out['planned']}, sent {out['sent']}, failed {out['failed']} "
            f"(will retry), dead {out['dead']}, skipped {out['skipped']}"
            + (" — another deliverer is running" if out.get("busy") else "")
        )
        if once:
            return
        if first:  # a long-running loop: the default collector cadence from here on
            from retentionkit.runtime import collector

            collector.for_a_server()
            first = False
        time.sleep(60)


@automations_app.command("log")
def log(
    ctx: typer.Context,
    rule: str | None = typer.Option(None, "--rule", help="Only this rule."),
    fmt: str = format_option(),
) -> None:
    """Every planned action with its status (sent, pending, held_out, skipped, dead …)."""
    from retentionkit.automations.service import Log

    check_format(fmt)
    print_frame(_run(ctx, Log(rule)), fmt, title="Automation log")


@automations_app.command("report")
def report(
    ctx: typer.Context,
    name: str = typer.Argument(...),
    window: str = typer.Option("30d", "--window", help="Repeat purchase window after due_at."),
    fmt: str = format_option(),
) -> None:
    """Treated vs holdout repeat purchase rate and the lift with its 95 % interval."""
    from retentionkit.automations.service import Report

    check_format(fmt)
    out = _run(ctx, Report(name, window))
    if fmt == "json":
        print_json(out)
    else:
        print_report(out, fmt, title=f"Lift of {name}")


@automations_app.command("backtest")
def backtest(
    ctx: typer.Context,
    name: str = typer.Argument(...),
    start: str = typer.Option(..., "--from", help="First due date considered."),
    end: str = typer.Option(..., "--to", help="End of the period (exclusive)."),
    window: str = typer.Option("30d", "--window", help="Repeat purchase window after due_at."),
    fmt: str = format_option(),
) -> None:
    """Who the rule would have messaged in a period and how they retained; writes nothing."""
    from retentionkit.automations.service import Backtest

    check_format(fmt)
    print_report(_run(ctx, Backtest(name, start, end, window)), fmt, title=f"Backtest {name}")


def register(app: typer.Typer) -> None:
    """Add the ``automations`` command group to the main app."""
    app.add_typer(automations_app, name="automations")
