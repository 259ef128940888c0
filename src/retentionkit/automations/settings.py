"""``[smtp]`` and ``[automations]`` of retentionkit.toml, checked once.

::

    [smtp]
    host = "smtp.example.com"   # required for email rules
    port = 587
    from = "Shop <shop@example.com>"
    starttls = true
    username = "shop"           # password: the environment variable RETENTIONKIT_SMTP_PASSWORD

    [automations]
    frequency_cap = "3d"        # at most one message per customer per this long, across rules
    quiet_hours = "21:00-08:00" # in the customer's time zone ("" = none)
    base_url = "https://retention.example.com"   # public address for survey/unsubscribe links
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import Any

from retentionkit.config import Settings
from retentionkit.errors import ConfigError

__all__ = ["PASSWORD_ENV", "AutomationSettings", "SmtpSettings", "automation_settings", "smtp"]

PASSWORD_ENV = "RETENTIONKIT_SMTP_PASSWORD"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    starttls: bool
    username: str | None
    password: str | None


@dataclass(frozen=True)
class AutomationSettings:
    frequency_cap: dt.timedelta
    #: (start, end) local times, or None for no quiet hours.
    quiet_hours: tuple[dt.time, dt.time] | None
    base_url: str


def _unknown(section: str, data: dict[str, Any], known: tuple[str, ...]) -> None:
    extra = sorted(set(data) - set(known))
    if extra:
        raise ConfigError(f"[{section}] setting {extra[0]!r} is not one of: {', '.join(known)}.")


def smtp(settings: Settings) -> SmtpSettings:
    """The SMTP settings; missing ``host`` or ``from`` is one sentence (email rules need them)."""
    data = dict(settings.smtp)
    _unknown("smtp", data, ("host", "port", "from", "starttls", "username", "password"))
    if "password" in data:
        raise ConfigError(
            f"[smtp] password must not be in retentionkit.toml; set {PASSWORD_ENV} instead."
        )
    missing = [k for k in ("host", "from") if not str(data.get(k, "")).strip()]
    if missing:
        raise ConfigError(
            f"Email rules need [smtp] {' and '.join(missing)} in retentionkit.toml "
            '(e.g. host = "smtp.example.com", from = "shop@example.com").'
        )
    try:
        port = int(data.get("port", 587))
    except (TypeError, ValueError):
        raise ConfigError(f"[smtp] port {data.get('port')!r} is not a number.") from None
    return SmtpSettings(
        host=str(data["host"]),
        port=port,
        sender=str(data["from"]),
        starttls=bool(data.get("starttls", port == 587)),
        username=str(data["username"]) if data.get("username") else None,
        password=os.environ.get(PASSWORD_ENV) or None,
    )


def parse_span(text: str, what: str) -> dt.timedelta:
    """'30m', '48h', '7d', '2w' (or seconds '90s') → a timedelta; anything else one sentence."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    raw = str(text).strip().lower()
    try:
        if not raw or raw[-1] not in units:
            raise ValueError
        value = float(raw[:-1])
    except ValueError:
        raise ConfigError(
            f"{what} {text!r} is not a duration; expected a number with a unit such as "
            "30m, 48h, 7d or 2w."
        ) from None
    if value < 0:
        raise ConfigError(f"{what} {text!r} must not be negative.")
    return dt.timedelta(seconds=value * units[raw[-1]])


def _clock(text: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(f"[automations] quiet_hours time {text!r} is not HH:MM.") from None


def automation_settings(settings: Settings) -> AutomationSettings:
    data = dict(settings.automations)
    _unknown("automations", data, ("frequency_cap", "quiet_hours", "base_url"))
    quiet_text = str(data.get("quiet_hours", "21:00-08:00")).strip()
    quiet = None
    if quiet_text:
        parts = quiet_text.split("-")
        if len(parts) != 2:
            raise ConfigError(
                f"[automations] quiet_hours {quiet_text!r} is not START-END like 21:00-08:00."
            )
        quiet = (_clock(parts[0]), _clock(parts[1]))
    base = str(data.get("base_url", DEFAULT_BASE_URL)).rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ConfigError(f"[automations] base_url {base!r} must start with http:// or https://.")
    return AutomationSettings(
        frequency_cap=parse_span(str(data.get("frequency_cap", "3d")), "frequency_cap"),
        quiet_hours=quiet,
        base_url=base,
    )
