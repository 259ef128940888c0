"""One typed, frozen request per automation operation and one service function, :func:`run`
(the pattern of :mod:`retentionkit.service`): the CLI, the REST API and the dashboard build a
request from their input and ``run(ws, request)`` answers it. A request validates its options
when built; ``writes`` tells the web server to run it on its write path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from retentionkit.automations import store
from retentionkit.automations.deliverer import LEASE, RETRY_SCHEDULE, deliver
from retentionkit.automations.planner import PLAN_COLUMNS, active_rules, plan, planned_actions
from retentionkit.automations.rules import Rule, build_rule, check_name
from retentionkit.errors import ConfigError, UnknownNameError

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.workspace import Workspace

__all__ = [
    "AddRule",
    "AutomationRequest",
    "Backtest",
    "DeleteRule",
    "DryRun",
    "ListRules",
    "Log",
    "Overview",
    "Report",
    "RunAutomations",
    "SetStatus",
    "ShowRule",
    "Unsubscribe",
    "has_active_rules",
    "parse_when",
    "run",
]

LOG_COLUMNS = [
    "key",
    "rule",
    "customer_id",
    "due_at",
    "channel",
    "recipient",
    "status",
    "reason",
    "failures",
    "sent_at",
]


def parse_when(value: Any, flag: str) -> dt.datetime | None:
    """An ISO date/time (UTC) → naive UTC datetime; None stays None; else one sentence."""
    if value is None or isinstance(value, dt.datetime):
        return value
    try:
        stamp = pd.Timestamp(str(value))
    except ValueError:
        raise ConfigError(
            f"{flag} {value!r} is not a date or time; expected e.g. 2026-01-31 or 2026-01-31T09:00."
        ) from None
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.to_pydatetime()


class AutomationRequest:
    writes: ClassVar[bool] = False


@dataclass(frozen=True)
class AddRule(AutomationRequest):
    """``automations add NAME --template T …`` or ``automations add NAME --trigger T …``.

    ``unless`` is a sequence of condition names; ``subject`` and ``body`` are sequences of
    Jinja2 texts, each optionally prefixed ``LANG=`` (en, pl, ru, zh; none = every language).
    Everything is checked when the request is built (:func:`.rules.build_rule`)."""

    name: str
    template: str | None = None
    after: str | None = None
    since: str | None = None
    to: str | None = None
    channel: str | None = None
    url: str | None = None
    holdout: str | None = None
    survey: str | None = None
    trigger: str | None = None
    unless: Sequence[str] = ()
    subject: Sequence[str] = ()
    body: Sequence[str] = ()
    metric: str | None = None
    below: str | float | None = None
    above: str | float | None = None
    period: str | None = None
    goal: str | None = None
    risk: str | float | None = None
    gap_multiple: str | float | None = None
    max_score: str | float | None = None
    survey_type: str | None = None
    writes: ClassVar[bool] = True

    def __post_init__(self) -> None:
        for name in ("unless", "subject", "body"):
            value = getattr(self, name)
            object.__setattr__(self, name, (value,) if isinstance(value, str) else tuple(value))
        self.build(parse_when(self.since, "--since") or dt.datetime(2000, 1, 1))

    def build(self, since: dt.datetime) -> Rule:
        return build_rule(
            self.name,
            self.template,
            after=self.after,
            since=since,
            to=self.to,
            channel=self.channel,
            url=self.url,
            holdout=self.holdout,
            survey=self.survey,
            trigger_name=self.trigger,
            unless=self.unless,
            subject=self.subject,
            body=self.body,
            metric=self.metric,
            below=self.below,
            above=self.above,
            period=self.period,
            goal=self.goal,
            risk=self.risk,
            gap_multiple=self.gap_multiple,
            max_score=self.max_score,
            survey_type=self.survey_type,
        )


@dataclass(frozen=True)
class ListRules(AutomationRequest):
    pass


@dataclass(frozen=True)
class ShowRule(AutomationRequest):
    name: str


@dataclass(frozen=True)
class SetStatus(AutomationRequest):
    name: str
    status: str  # "active" or "paused"
    writes: ClassVar[bool] = True


@dataclass(frozen=True)
class DeleteRule(AutomationRequest):
    name: str
    writes: ClassVar[bool] = True


@dataclass(frozen=True)
class DryRun(AutomationRequest):
    as_of: str | None = None

    def __post_init__(self) -> None:
        parse_when(self.as_of, "--as-of")


@dataclass(frozen=True)
class RunAutomations(AutomationRequest):
    """Plan, then deliver (``plan_only`` / ``deliver_only`` for tests and the crash harness)."""

    as_of: str | None = None
    schedule: Sequence[dt.timedelta] = field(default=RETRY_SCHEDULE, repr=False)
    lease: dt.timedelta = LEASE
    limit: int | None = None
    plan: bool = True
    deliver: bool = True
    writes: ClassVar[bool] = True

    def __post_init__(self) -> None:
        parse_when(self.as_of, "--as-of")


@dataclass(frozen=True)
class Log(AutomationRequest):
    rule: str | None = None
    limit: int | None = None


@dataclass(frozen=True)
class Overview(AutomationRequest):
    """Rules, counts per status, next due actions (the dashboard page and GET /api/automations)."""

    next_due: int = 20


@dataclass(frozen=True)
class Report(AutomationRequest):
    name: str
    window: str = "30d"


@dataclass(frozen=True)
class Backtest(AutomationRequest):
    name: str
    start: str
    end: str
    window: str = "30d"

    def __post_init__(self) -> None:
        a, b = parse_when(self.start, "--from"), parse_when(self.end, "--to")
        assert a is not None and b is not None
        if b <= a:
            raise ConfigError(f"--to {self.end} must be after --from {self.start}.")


@dataclass(frozen=True)
class Unsubscribe(AutomationRequest):
    token: str
    confirm: bool = False
    writes: ClassVar[bool] = True


# -- operations ----------------------------------------------------------------------------


def _default_survey(ws: Workspace, name: str | None) -> str:
    """The survey of a feedback_request: ``--survey`` or the first nps/csat survey."""
    from retentionkit.surveys.store import get_survey, list_surveys

    if name is not None:
        return get_survey(ws, name).name
    for survey in list_surveys(ws):
        if survey.type in ("nps", "csat"):
            return survey.name
    raise ConfigError(
        "feedback_request emails carry a survey link: create a survey first with "
        "'retentionkit surveys create feedback --type csat', or name one with --survey."
    )


def _add(ws: Workspace, req: AddRule) -> dict[str, Any]:
    import dataclasses

    from retentionkit.automations.settings import smtp
    from retentionkit.surveys.store import get_survey, new_webhook_secret

    rule = req.build(parse_when(req.since, "--since") or store.utcnow().replace(microsecond=0))
    if rule.channel == "email":
        smtp(ws.settings)
    params = dict(rule.params)
    if rule.template == "feedback_request":
        params["survey"] = _default_survey(ws, req.survey)
    elif req.survey is not None:
        params["survey"] = get_survey(ws, req.survey).name
    if rule.trigger == "goal_off_track":
        from retentionkit.goals.store import read_goals

        goals = read_goals(ws)
        if params["goal"] not in goals:
            raise UnknownNameError(
                f"Unknown goal {params['goal']!r}; "
                + (
                    f"expected one of: {', '.join(goals)}."
                    if goals
                    else "no goal exists yet; add one with 'retentionkit goals add'."
                )
            )
    secret = new_webhook_secret() if rule.channel == "webhook" else None
    rule = dataclasses.replace(rule, params=params, webhook_secret=secret)
    stored = store.insert_rule(ws, rule)
    return {"rule": stored.describe(), "webhook_secret": secret}


def _dry_run(ws: Workspace, req: DryRun) -> pd.DataFrame:
    store.ensure_tables(ws)
    as_of = parse_when(req.as_of, "--as-of") or store.utcnow()
    frame = planned_actions(ws, as_of, active_rules(ws))
    return frame[PLAN_COLUMNS].reset_index(drop=True)


def _run(ws: Workspace, req: RunAutomations) -> dict[str, Any]:
    out: dict[str, Any] = {"planned": 0, "sent": 0, "failed": 0, "dead": 0, "skipped": 0}
    if req.plan:
        result = plan(ws, parse_when(req.as_of, "--as-of"))
        out["planned"] = result.planned
        out["run_id"] = result.run_id
    if req.deliver:
        done = deliver(ws, schedule=req.schedule, lease=req.lease, limit=req.limit)
        out.update(sent=done.sent, failed=done.failed, dead=done.dead, skipped=done.skipped)
        out["busy"] = done.busy
    return out


def _log(ws: Workspace, req: Log) -> pd.DataFrame:
    if not ws.has_table("automation_outbox"):
        if req.rule is not None:
            store.get_rule(ws, req.rule)
        return pd.DataFrame(columns=LOG_COLUMNS)
    if req.rule is not None:
        store.get_rule(ws, req.rule)
    where = "WHERE rule = ?" if req.rule else ""
    limit = f"LIMIT {int(req.limit)}" if req.limit else ""
    rows = store.sql(
        ws,
        f"SELECT {', '.join(LOG_COLUMNS)} FROM automation_outbox {where} "
        f"ORDER BY coalesce(sent_at, due_at) DESC, key {limit}",
        [req.rule] if req.rule else [],
    ).fetchall()
    return pd.DataFrame(rows, columns=LOG_COLUMNS)


def _overview(ws: Workspace, req: Overview) -> dict[str, Any]:
    if not ws.has_table("automation_outbox"):  # reads never create the tables
        return {"rules": [], "next_due": []}
    rows = store.sql(
        ws, "SELECT rule, status, count(*) FROM automation_outbox GROUP BY rule, status"
    ).fetchall()
    counts: dict[str, dict[str, int]] = {}
    for rule, status, n in rows:
        counts.setdefault(rule, {})[status] = int(n)
    failing = dict(
        store.sql(
            ws,
            "SELECT rule, count(*) FROM automation_outbox WHERE status = 'pending' "
            "AND failures > 0 GROUP BY rule",
        ).fetchall()
    )
    rules = []
    for rule in store.list_rules(ws):
        c = counts.get(rule.name, {})
        rules.append(
            {
                **rule.describe(),
                "pending": c.get("pending", 0),
                "sent": c.get("sent", 0),
                "failed": int(failing.get(rule.name, 0)),
                "held_out": c.get("held_out", 0),
                "skipped": c.get("skipped", 0),
                "dead": c.get("dead", 0),
            }
        )
    nxt = store.sql(
        ws,
        "SELECT rule, customer_id, key, next_attempt_at, channel, recipient, subject "
        "FROM automation_outbox WHERE status = 'pending' ORDER BY next_attempt_at, key LIMIT ?",
        [req.next_due],
    ).fetchall()
    return {
        "rules": rules,
        "next_due": [
            dict(
                zip(
                    ["rule", "customer_id", "key", "due_at", "channel", "recipient", "subject"],
                    r,
                    strict=True,
                )
            )
            for r in nxt
        ],
    }


def _report(ws: Workspace, req: Report) -> dict[str, Any]:
    from retentionkit.automations.report import lift
    from retentionkit.automations.settings import parse_span

    return lift(ws, req.name, parse_span(req.window, "--window"))


def _backtest(ws: Workspace, req: Backtest) -> dict[str, Any]:
    from retentionkit.automations.report import backtest
    from retentionkit.automations.settings import parse_span

    start, end = parse_when(req.start, "--from"), parse_when(req.end, "--to")
    assert start is not None and end is not None
    return backtest(ws, req.name, start, end, parse_span(req.window, "--window"))


def _unsubscribe(ws: Workspace, req: Unsubscribe) -> dict[str, Any]:
    from retentionkit.automations.links import read_unsubscribe

    customer = read_unsubscribe(ws, req.token)
    changed = store.opt_out(ws, customer) if req.confirm else False
    return {"customer_id": customer, "unsubscribed": req.confirm, "changed": changed}


def _set_status(ws: Workspace, req: SetStatus) -> dict[str, Any]:
    if req.status not in ("active", "paused"):
        raise UnknownNameError(f"Status {req.status!r} is not one of: active, paused.")
    return store.set_status(ws, check_name(req.name), req.status).describe()


def _delete(ws: Workspace, req: DeleteRule) -> dict[str, Any]:
    store.delete_rule(ws, req.name)
    return {"deleted": req.name}


OPERATIONS: dict[type, Callable[[Workspace, Any], Any]] = {
    AddRule: _add,
    ListRules: lambda ws, req: [r.describe() for r in store.list_rules(ws)],
    ShowRule: lambda ws, req: store.get_rule(ws, req.name).describe(),
    SetStatus: _set_status,
    DeleteRule: _delete,
    DryRun: _dry_run,
    RunAutomations: _run,
    Log: _log,
    Overview: _overview,
    Report: _report,
    Backtest: _backtest,
    Unsubscribe: _unsubscribe,
}


def run(ws: Workspace, request: AutomationRequest) -> Any:
    """Answer ``request`` on ``ws`` with the operation registered for its type; on a workspace
    owned by a running ``retentionkit serve`` (``ws.remote``), in that server."""
    remote = getattr(ws, "remote", None)
    if remote is not None:
        return remote.run(request)
    return OPERATIONS[type(request)](ws, request)


def has_active_rules(ws: Workspace) -> bool:
    """True when ``ws`` has an active rule (creates nothing): the background loop's check."""
    return store.has_rules(ws)
