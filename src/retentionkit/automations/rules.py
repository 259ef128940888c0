"""What a rule is: "when TRIGGER, after DELAY, unless CONDITIONS, then ACTION".

Built-in templates (exactly these names) fill in a trigger, a delay, conditions and an
audience; ``automations add NAME --template T`` stores one rule from them:

==========================  ======================  ========  ===================  ==========
template                    trigger                 delay     unless               to
==========================  ======================  ========  ===================  ==========
``feedback_request``        order_placed            7d        ordered_again,       customer
                                                              answered_survey
``ticket_reminder``         ticket_unresolved       48h       ticket_resolved      ``--to``
``renewal_reminder``        term_ending             14d       renewed              customer
                                                    (before)
``win_back``                became_at_risk          0         (none)               customer
                            (risk ≥ 0.7 or silent
                            ≥ 3 × usual gap)
``detractor_follow_up``     survey_answered ≤ 6     0         (none)               ``--to``
==========================  ======================  ========  ===================  ==========

A *custom* rule (``automations add NAME --trigger T``) combines any trigger of
:data:`TRIGGERS` with a delay, the ``unless`` conditions valid for it (:data:`UNLESS`) and an
action (email, webhook or log). ``kpi_crossed`` and ``goal_off_track`` are team-level events:
no customer, the email goes to ``--to``. Every option is checked here, when the rule is built,
so a bad rule is one sentence and is never stored.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from retentionkit.automations.settings import parse_span
from retentionkit.errors import ConfigError, UnknownNameError

__all__ = [
    "CHANNELS",
    "TEAM_TRIGGERS",
    "TEMPLATES",
    "TRIGGERS",
    "UNLESS",
    "Rule",
    "Template",
    "build_rule",
    "check_name",
    "check_url",
    "parse_holdout",
    "template",
]

#: Triggers the planner knows (:mod:`retentionkit.automations.triggers`), with what each is.
TRIGGERS: dict[str, str] = {
    "order_placed": "an order (occurrence: the order id)",
    "ticket_opened": "a ticket opened (the ticket id)",
    "ticket_unresolved": "a ticket still unresolved DELAY after it was opened (the ticket id)",
    "term_ending": "a subscription term ending; DELAY is before the end (the term id)",
    "survey_answered": "a survey answer (the response id)",
    "became_at_risk": "churn risk ≥ --risk or silent ≥ --gap-multiple × the usual gap "
    "(the last order's id)",
    "kpi_crossed": "a KPI of a complete period crossing --below/--above (team-level; the "
    "metric, period and period start)",
    "goal_off_track": "a goal's evaluation turning off_track (team-level; the goal and the "
    "evaluation date)",
}
#: Triggers with no customer: the message goes to the team (``--to``), never to a customer.
TEAM_TRIGGERS = ("kpi_crossed", "goal_off_track")
_CUSTOMER_TRIGGERS = tuple(t for t in TRIGGERS if t not in TEAM_TRIGGERS)
#: ``unless`` conditions (checked on the data between the event and the due time) and the
#: triggers each one applies to.
UNLESS: dict[str, tuple[str, ...]] = {
    "ordered_again": _CUSTOMER_TRIGGERS,
    "answered_survey": _CUSTOMER_TRIGGERS,
    "ticket_resolved": ("ticket_opened", "ticket_unresolved"),
    "renewed": ("term_ending",),
    "recovered": TEAM_TRIGGERS,
}
#: Names stored by earlier versions → today's name.
_UNLESS_ALIASES = {"resolved": "ticket_resolved"}
CHANNELS = ("email", "webhook", "log")
LANGUAGE_PREFIX = re.compile(r"^(en|pl|ru|zh)=", re.IGNORECASE)
#: Default thresholds of ``became_at_risk`` (``win_back`` and custom rules alike).
DEFAULT_RISK = 0.7
DEFAULT_GAP_MULTIPLE = 3.0


@dataclass(frozen=True)
class Template:
    name: str
    trigger: str
    delay: str
    unless: tuple[str, ...] = ()
    #: True: the message goes to ``--to`` (the team), not to the customer.
    team: bool = False
    params: tuple[tuple[str, Any], ...] = ()


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        Template("feedback_request", "order_placed", "7d", ("ordered_again", "answered_survey")),
        Template("ticket_reminder", "ticket_unresolved", "48h", ("ticket_resolved",), team=True),
        Template("renewal_reminder", "term_ending", "14d", ("renewed",)),
        Template(
            "win_back",
            "became_at_risk",
            "0d",
            (),
            params=(("risk", DEFAULT_RISK), ("k", DEFAULT_GAP_MULTIPLE)),
        ),
        Template(
            "detractor_follow_up",
            "survey_answered",
            "0d",
            (),
            team=True,
            params=(("max_score", 6.0), ("survey_type", "nps")),
        ),
    )
}
#: ``Rule.template`` of a rule built with ``--trigger``.
CUSTOM = "custom"


def template(name: str) -> Template:
    """The template ``name``; an unknown one lists the valid ones."""
    try:
        return TEMPLATES[name]
    except KeyError:
        raise UnknownNameError(
            f"Unknown template {name!r}; expected one of: {', '.join(TEMPLATES)}."
        ) from None


def trigger(name: str) -> str:
    """The trigger ``name``; an unknown one lists the valid ones."""
    if name not in TRIGGERS:
        raise UnknownNameError(f"Unknown trigger {name!r}; expected one of: {', '.join(TRIGGERS)}.")
    return name


def unless_condition(name: str, for_trigger: str) -> str:
    """The condition ``name`` when it applies to ``for_trigger``; else one sentence listing
    the valid ones."""
    name = _UNLESS_ALIASES.get(name, name)
    valid = [c for c, triggers in UNLESS.items() if for_trigger in triggers]
    if name not in UNLESS:
        raise UnknownNameError(
            f"Unknown --unless condition {name!r}; expected one of: {', '.join(UNLESS)}."
        )
    if name not in valid:
        raise ConfigError(
            f"--unless {name} does not apply to trigger {for_trigger}; "
            f"valid there: {', '.join(valid) or 'none'}."
        )
    return name


_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(
            f"Rule name {name!r} must be 1-64 lowercase letters, digits, - or _ "
            "(starting with a letter or digit)."
        )
    return name


def check_url(url: str) -> str:
    """An http(s) URL with a host; anything else one sentence."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"--url {url!r} must be an http:// or https:// URL.")
    return url


def parse_holdout(text: str | float) -> float:
    """'10%' or 0.1 → 0.1; must be within 0-90 %."""
    raw = str(text).strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        raise ConfigError(f"--holdout {text!r} is not a share such as 10%.") from None
    if not 0 <= value <= 0.9:
        raise ConfigError(f"--holdout {text!r} must be between 0% and 90%.")
    return value


@dataclass(frozen=True)
class Rule:
    """One stored rule. ``delay`` is after the event (for ``term_ending``: before the end).
    ``template`` is a built-in template's name or ``custom``; ``params`` holds the trigger's
    options (metric, below/above, period, goal, risk, k, survey, max_score) and the message
    texts (``subject``/``body``: language → Jinja2 source, ``""`` = every language)."""

    name: str
    template: str
    trigger: str
    delay: dt.timedelta
    channel: str
    since: dt.datetime
    unless: tuple[str, ...] = ()
    to: str | None = None
    url: str | None = None
    holdout: float = 0.0
    status: str = "active"
    params: dict[str, Any] = field(default_factory=dict)
    created_at: dt.datetime | None = None
    webhook_secret: str | None = field(default=None, repr=False)

    @property
    def team(self) -> bool:
        """Addressed to ``--to`` rather than to the customer (no cap, no quiet hours)."""
        return self.to is not None or self.trigger in TEAM_TRIGGERS

    @property
    def conditions(self) -> tuple[str, ...]:
        """The ``unless`` conditions under today's names."""
        return tuple(_UNLESS_ALIASES.get(c, c) for c in self.unless)

    def summary(self) -> str:
        """ "when …, after …, unless …, then …" in one line (the page and ``show``)."""
        p = self.params
        when = self.trigger
        if self.trigger == "kpi_crossed":
            when += f" {p['metric']} {p['side']} {p['threshold']:g} ({p['period']})"
        elif self.trigger == "goal_off_track":
            when += f" {p['goal']}"
        elif self.trigger == "became_at_risk":
            tests = []
            if p.get("risk"):
                tests.append(f"risk ≥ {p['risk']:g}")
            if p.get("k"):
                tests.append(f"silent ≥ {p['k']:g}× usual gap")
            when += f" ({' or '.join(tests)})"
        elif self.trigger == "survey_answered" and "max_score" in p:
            when += f" score ≤ {p['max_score']:g}"
        delay = _span_text(self.delay)
        after = f"{delay} before" if self.trigger == "term_ending" else f"after {delay}"
        unless = f", unless {' or '.join(self.conditions)}" if self.unless else ""
        target = {"email": f"email to {self.to or 'the customer'}", "webhook": "webhook"}
        return f"when {when}, {after}{unless}, then {target.get(self.channel, 'log')}"

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "template": self.template,
            "summary": self.summary(),
            "trigger": self.trigger,
            "delay": _span_text(self.delay),
            "unless": list(self.conditions),
            "channel": self.channel,
            "to": self.to,
            "url": self.url,
            "holdout": f"{self.holdout:.0%}",
            "since": self.since.isoformat(sep=" "),
            "status": self.status,
            "params": self.params,
        }


def _span_text(span: dt.timedelta) -> str:
    seconds = int(span.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _number(value: Any, flag: str) -> float:
    try:
        number = float(str(value).strip().rstrip("%"))
    except ValueError:
        raise ConfigError(f"{flag} {value!r} is not a number.") from None
    if not math.isfinite(number):
        raise ConfigError(f"{flag} {value!r} is not a finite number.")
    return number


def _off(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() in ("off", "none", "no")


def _threshold(metric: str, value: Any, flag: str) -> float:
    """A KPI threshold in the metric's own unit (``crr`` is in percent: 30 or 30%); a bare
    number below 1 for a percent metric is refused as ambiguous."""
    from retentionkit.metrics.registry import get_metric

    number = _number(value, flag)
    if (
        get_metric(metric).unit == "%"
        and not str(value).strip().endswith("%")
        and (0 < abs(number) < 1)
    ):
        raise ConfigError(
            f"{flag} {value} is ambiguous: {metric} is in percent, so write "
            f"{number * 100:g} (or {number * 100:g}%) for {number:.0%}, or {number}% for "
            f"{number} %."
        )
    return number


def _texts(values: Sequence[str] | None, flag: str) -> dict[str, str]:
    """``["Hello", "pl=Cześć"]`` → ``{"": "Hello", "pl": "Cześć"}`` (a language prefix en,
    pl, ru or zh; none = every language)."""
    out: dict[str, str] = {}
    for value in values or ():
        match = LANGUAGE_PREFIX.match(value)
        lang = match.group(1).lower() if match else ""
        text = value[match.end() :] if match else value
        if lang in out:
            raise ConfigError(
                f"{flag} is given twice for {'language ' + lang if lang else 'every language'}."
            )
        out[lang] = text
    return out


def build_rule(
    name: str,
    template_name: str | None,
    *,
    after: str | None,
    since: dt.datetime,
    to: str | None,
    channel: str | None,
    url: str | None,
    holdout: str | float | None,
    survey: str | None = None,
    trigger_name: str | None = None,
    unless: Sequence[str] = (),
    subject: Sequence[str] | None = None,
    body: Sequence[str] | None = None,
    metric: str | None = None,
    below: str | float | None = None,
    above: str | float | None = None,
    period: str | None = None,
    goal: str | None = None,
    risk: str | float | None = None,
    gap_multiple: str | float | None = None,
    max_score: str | float | None = None,
    survey_type: str | None = None,
) -> Rule:
    """A rule from a template (``template_name``) or a trigger (``trigger_name``) and the
    ``add`` options; bad options are one sentence. ``subject``/``body`` are Jinja2 sources,
    each optionally prefixed ``LANG=`` (checked here: syntax, variables)."""
    from retentionkit.automations.messages import check_texts

    check_name(name)
    if (template_name is None) == (trigger_name is None):
        raise ConfigError(
            "Give either --template TEMPLATE (one of: "
            f"{', '.join(TEMPLATES)}) or --trigger TRIGGER (one of: {', '.join(TRIGGERS)})."
        )
    tpl = template(template_name) if template_name is not None else None
    trig = tpl.trigger if tpl is not None else trigger(str(trigger_name))
    if tpl is not None and unless:
        raise ConfigError(
            f"--unless is for custom rules (--trigger); template {tpl.name} has its own: "
            f"{', '.join(tpl.unless) or 'none'}."
        )
    conditions = (
        tpl.unless
        if tpl is not None
        else tuple(dict.fromkeys(unless_condition(c, trig) for c in unless))
    )
    delay = parse_span(after if after is not None else (tpl.delay if tpl else "0d"), "--after")
    chosen = channel or "email"
    if chosen not in CHANNELS:
        raise ConfigError(f"--channel {chosen!r} is not one of: {', '.join(CHANNELS)}.")
    team_trigger = trig in TEAM_TRIGGERS
    if (team_trigger or (tpl is not None and tpl.team)) and chosen == "email" and not to:
        what = f"Template {tpl.name}" if tpl is not None else f"Trigger {trig}"
        raise ConfigError(f"{what} mails the team: give the address with --to ADDRESS.")
    if to is not None and (chosen != "email" or not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", to)):
        raise ConfigError(
            f"--to {to!r} must be an email address (and is only used with --channel email)."
        )
    if chosen == "webhook":
        if not url:
            raise ConfigError("--channel webhook needs --url http(s)://…")
        check_url(url)
    elif url is not None:
        raise ConfigError("--url is only used with --channel webhook.")
    share = parse_holdout(holdout) if holdout is not None else 0.0
    if share and team_trigger:
        raise ConfigError(f"--holdout needs customers; trigger {trig} is a team-level event.")
    params = dict(tpl.params) if tpl is not None else {}
    params.update(
        _trigger_params(
            trig,
            metric=metric,
            below=below,
            above=above,
            period=period,
            goal=goal,
            risk=risk,
            gap_multiple=gap_multiple,
            max_score=max_score,
            survey_type=survey_type,
            custom=tpl is None,
        )
    )
    if survey is not None:
        params["survey"] = survey
    subjects, bodies = _texts(subject, "--subject"), _texts(body, "--body-file")
    if (subjects or bodies) and chosen != "email":
        raise ConfigError("--subject and --body-file are only used with --channel email.")
    customer_mail = tpl is None and chosen == "email" and not (to or team_trigger)
    if customer_mail and ("" not in subjects or "" not in bodies):
        raise ConfigError(
            "A custom email rule to customers needs --subject TEXT and --body-file FILE "
            "(without a language prefix: the text for every language)."
        )
    linked = params.get("survey") is not None or (
        tpl is not None and tpl.name == "feedback_request"
    )
    check_texts(trig, subjects, bodies, survey=linked)
    if subjects:
        params["subject"] = subjects
    if bodies:
        params["body"] = bodies
    return Rule(
        name=name,
        template=tpl.name if tpl is not None else CUSTOM,
        trigger=trig,
        delay=delay,
        channel=chosen,
        since=since,
        unless=conditions,
        to=to,
        url=url,
        holdout=share,
        params=params,
    )


def _trigger_params(
    trig: str,
    *,
    metric: str | None,
    below: Any,
    above: Any,
    period: str | None,
    goal: str | None,
    risk: Any,
    gap_multiple: Any,
    max_score: Any,
    survey_type: str | None,
    custom: bool,
) -> dict[str, Any]:
    """The trigger's own options; an option the trigger does not take is one sentence."""
    given = {
        "--metric": metric,
        "--below": below,
        "--above": above,
        "--period": period,
        "--goal": goal,
        "--risk": risk,
        "--gap-multiple": gap_multiple,
        "--max-score": max_score,
        "--survey-type": survey_type,
    }
    takes = {
        "kpi_crossed": ("--metric", "--below", "--above", "--period"),
        "goal_off_track": ("--goal",),
        "became_at_risk": ("--risk", "--gap-multiple"),
        "survey_answered": ("--max-score", "--survey-type"),
    }.get(trig, ())
    for flag, value in given.items():
        if value is not None and flag not in takes:
            raise ConfigError(
                f"{flag} does not apply to trigger {trig}"
                + (f"; it takes {', '.join(takes)}." if takes else ".")
            )
    out: dict[str, Any] = {}
    if trig == "kpi_crossed":
        from retentionkit.metrics.registry import get_metric
        from retentionkit.vocabulary import PERIODS

        if metric is None:
            raise ConfigError(
                "Trigger kpi_crossed needs --metric METRIC and --below X or --above X."
            )
        spec = get_metric(metric)  # an unknown metric lists the valid ones
        if (below is None) == (above is None):
            raise ConfigError("Trigger kpi_crossed needs exactly one of --below X or --above X.")
        chosen_period = period or "month"
        if chosen_period not in PERIODS:
            raise ConfigError(f"--period {chosen_period!r} is not one of: {', '.join(PERIODS)}.")
        side, value = ("below", below) if below is not None else ("above", above)
        out.update(
            metric=spec.name,
            side=side,
            threshold=_threshold(spec.name, value, f"--{side}"),
            period=chosen_period,
        )
    elif trig == "goal_off_track":
        if not goal:
            raise ConfigError("Trigger goal_off_track needs --goal NAME.")
        out["goal"] = goal
    elif trig == "became_at_risk":
        defaults = {"risk": DEFAULT_RISK, "k": DEFAULT_GAP_MULTIPLE}
        for key, flag, value in (("risk", "--risk", risk), ("k", "--gap-multiple", gap_multiple)):
            if value is None:
                out[key] = defaults[key]
            elif _off(value):
                out[key] = None
            else:
                number = _number(value, flag)
                if key == "risk" and not 0 < number <= 1:
                    raise ConfigError(f"--risk {value!r} must be above 0 and at most 1 (or off).")
                if key == "k" and number < 1:
                    raise ConfigError(f"--gap-multiple {value!r} must be 1 or more (or off).")
                out[key] = number
        if out["risk"] is None and out["k"] is None:
            raise ConfigError("--risk off and --gap-multiple off leave nothing to trigger on.")
    elif trig == "survey_answered":
        if max_score is not None:
            out["max_score"] = _number(max_score, "--max-score")
        if survey_type is not None:  # survey_responses.survey: nps, csat or a survey's name
            if not survey_type.strip():
                raise ConfigError("--survey-type must not be empty (e.g. nps or csat).")
            out["survey_type"] = survey_type.strip()
    return out
