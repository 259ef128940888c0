"""What a rule is: "when TRIGGER, after DELAY, unless CONDITIONS, then ACTION".

Built-in templates (exactly these names) fill in a trigger, a delay, conditions and an
audience; ``automations add NAME --template T`` stores one rule from them:

==========================  ======================  ========  ===================  ==========
template                    trigger                 delay     unless               to
==========================  ======================  ========  ===================  ==========
``feedback_request``        order_placed            7d        ordered_again,       customer
                                                              answered_survey
``ticket_reminder``         ticket_unresolved       48h       resolved             ``--to``
``renewal_reminder``        term_ending             14d       renewed              customer
                                                    (before)
``win_back``                became_at_risk          0         (none)               customer
``detractor_follow_up``     survey_answered ≤ 6     0         (none)               ``--to``
==========================  ======================  ========  ===================  ==========

``became_at_risk`` here is "silent for ≥ k × the customer's usual gap between orders"
(k = 3, at least 2 orders); the churn-model threshold variant is not implemented.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from retentionkit.automations.settings import parse_span
from retentionkit.errors import ConfigError, UnknownNameError

__all__ = [
    "CHANNELS",
    "TEMPLATES",
    "TRIGGERS",
    "UNLESS",
    "Rule",
    "Template",
    "check_name",
    "check_url",
    "parse_holdout",
    "template",
]

#: Triggers the planner knows (:mod:`retentionkit.automations.triggers`).
TRIGGERS = (
    "order_placed",
    "ticket_opened",
    "ticket_unresolved",
    "term_ending",
    "survey_answered",
    "became_at_risk",
)
#: ``unless`` conditions, checked on the data between the event and the due time.
UNLESS = ("ordered_again", "answered_survey", "resolved", "renewed")
CHANNELS = ("email", "webhook", "log")


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
        Template("ticket_reminder", "ticket_unresolved", "48h", ("resolved",), team=True),
        Template("renewal_reminder", "term_ending", "14d", ("renewed",)),
        Template("win_back", "became_at_risk", "0d", (), params=(("k", 3.0),)),
        Template(
            "detractor_follow_up",
            "survey_answered",
            "0d",
            (),
            team=True,
            params=(("max_score", 6.0), ("survey", "nps")),
        ),
    )
}


def template(name: str) -> Template:
    """The template ``name``; an unknown one lists the valid ones."""
    try:
        return TEMPLATES[name]
    except KeyError:
        raise UnknownNameError(
            f"Unknown template {name!r}; expected one of: {', '.join(TEMPLATES)}."
        ) from None


_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ConfigError(
            f"Rule name {name!r} must be 1-64 lowercase letters, digits, - or _ "
            "(starting with a letter or digit)."
        )
    return name


def check_url(url: str) -> str:
    """An http(s) URL with a host; anything else one sentence."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
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
    """One stored rule. ``delay`` is after the event (for ``term_ending``: before the end)."""

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
        return self.to is not None

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "template": self.template,
            "trigger": self.trigger,
            "delay": _span_text(self.delay),
            "unless": list(self.unless),
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


def build_rule(
    name: str,
    template_name: str,
    *,
    after: str | None,
    since: dt.datetime,
    to: str | None,
    channel: str | None,
    url: str | None,
    holdout: str | float | None,
    survey: str | None = None,
) -> Rule:
    """A rule from a template and the ``add`` options; bad options are one sentence."""
    check_name(name)
    tpl = template(template_name)
    delay = parse_span(after if after is not None else tpl.delay, "--after")
    chosen = channel or "email"
    if chosen not in CHANNELS:
        raise ConfigError(f"--channel {chosen!r} is not one of: {', '.join(CHANNELS)}.")
    if tpl.team and chosen == "email" and not to:
        raise ConfigError(
            f"Template {tpl.name} mails the team: give the address with --to ADDRESS."
        )
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
    params = dict(tpl.params)
    if survey is not None:
        params["survey"] = survey
    return Rule(
        name=name,
        template=tpl.name,
        trigger=tpl.trigger,
        delay=delay,
        channel=chosen,
        since=since,
        unless=tpl.unless,
        to=to,
        url=url,
        holdout=parse_holdout(holdout) if holdout is not None else 0.0,
        params=params,
    )
