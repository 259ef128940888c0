"""Guard rails applied when an action is planned. Quiet hours and the frequency cap apply to
emails addressed to the customer; team emails (``--to``), webhooks and log actions are not
messages to the customer.

* **Holdout**: a customer is in rule R's holdout group when
  ``int(sha256(customer \\x1f R)[:8], 16) / 2**32 < holdout`` — stable across runs and
  machines, independent between rules. Held-out actions are planned (status ``held_out``) but
  never sent, so :mod:`retentionkit.automations.report` can compare the two groups.
* **Quiet hours**: a due time inside the quiet window (default 21:00–08:00) in the customer's
  time zone (customers ``timezone`` column when present, else the workspace zone) moves to the
  end of the window.
* **Frequency cap**: across all rules, a customer gets at most one message per cap window
  (default 3 days): an action due within the window of another of the customer's messages
  (planned, sent or being retried) is ``skipped`` with the reason ``frequency cap``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from zoneinfo import ZoneInfo

__all__ = ["action_key", "after_quiet_hours", "in_holdout"]


def action_key(rule: str, customer_id: str, occurrence: str) -> str:
    """The action's key: SHA-256 hex of ``rule \\x1f customer \\x1f occurrence``."""
    return hashlib.sha256(f"{rule}\x1f{customer_id}\x1f{occurrence}".encode()).hexdigest()


def in_holdout(customer_id: str, rule: str, share: float) -> bool:
    if share <= 0:
        return False
    digest = hashlib.sha256(f"{customer_id}\x1f{rule}".encode()).hexdigest()
    return int(digest[:8], 16) / 2**32 < share


def after_quiet_hours(
    due_utc: dt.datetime, zone: str, quiet: tuple[dt.time, dt.time] | None
) -> dt.datetime:
    """``due_utc`` (naive UTC) moved to the end of the quiet window when it falls inside it."""
    if quiet is None:
        return due_utc
    start, end = quiet
    tz = ZoneInfo(zone)
    local = due_utc.replace(tzinfo=dt.UTC).astimezone(tz)
    t = local.time().replace(tzinfo=None)
    inside = (start <= t or t < end) if start > end else (start <= t < end)
    if not inside:
        return due_utc
    day = local.date() if t < end else local.date() + dt.timedelta(days=1)
    moved = dt.datetime.combine(day, end, tzinfo=tz)
    return moved.astimezone(dt.UTC).replace(tzinfo=None)
