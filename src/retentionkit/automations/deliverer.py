"""The deliverer: claim due outbox rows, send, record every attempt, retry, dead-letter.

1. **One deliverer at a time**: a row in ``automation_lock`` with an owner and a lease
   (:data:`LEASE`); a deliverer whose lease is still running elsewhere makes another return at
   once. A killed deliverer's lease simply expires. (A DuckDB file is also locked by the OS to
   one writing process.)
2. **Claim**: due ``pending`` rows whose lease is empty or expired get ``lease_until = now +
   LEASE`` in one transaction; a killed deliverer's claims are retaken after the lease.
3. **Send**: an attempt row is committed *before* the send, then the channel sends under the
   key's id (``Message-ID <key@retentionkit>``, ``webhook-id: key``), then one transaction
   marks the row ``sent`` and closes the attempt. A crash between the send and that commit
   leaves the row claimed: after the lease it is sent again **under the same id** — delivery is
   at-least-once, and exactly-once for a receiver that drops a repeated id.
4. **Retry**: a failure waits :data:`RETRY_SCHEDULE` ``[failures]`` (5 s, 5 min, 30 min, 2 h,
   5 h, 10 h, 10 h after the first, immediate attempt); after the 8th failure the row is
   ``dead`` (shown on the dashboard). An attempt cut short by a crash is not a failure.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from retentionkit.automations import store
from retentionkit.automations.channels import (
    DeliveryError,
    PermanentDeliveryError,
    build_email,
    send_email,
    send_webhook,
)
from retentionkit.automations.links import survey_url, unsubscribe_url
from retentionkit.automations.messages import render
from retentionkit.automations.rules import Rule
from retentionkit.automations.settings import automation_settings, smtp
from retentionkit.backends import transaction
from retentionkit.errors import RetentionkitError

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.workspace import Workspace

__all__ = ["LEASE", "RETRY_SCHEDULE", "DeliveryResult", "deliver"]

log = logging.getLogger("retentionkit.automations")

_S = dt.timedelta(seconds=1)
#: Wait before attempt n+1 after n failures: the first attempt is immediate (index 0).
RETRY_SCHEDULE: tuple[dt.timedelta, ...] = (
    dt.timedelta(0),
    5 * _S,
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=5),
    dt.timedelta(hours=10),
    dt.timedelta(hours=10),
)
#: How long a claim (and the deliverer lock) lasts without renewal.
LEASE = dt.timedelta(seconds=60)
_LOCK = "deliverer"


@dataclass
class DeliveryResult:
    sent: int = 0
    failed: int = 0
    dead: int = 0
    skipped: int = 0
    busy: bool = False


def _acquire(ws: Workspace, owner: str, lease: dt.timedelta) -> bool:
    now = store.utcnow()
    with transaction(ws.con):
        row = store.sql(
            ws, "SELECT owner, lease_until FROM automation_lock WHERE name = ?", [_LOCK]
        ).fetchone()
        if row is not None and row[0] != owner and row[1] > now:
            return False
        store.sql(
            ws,
            "INSERT INTO automation_lock VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE "
            "SET owner = excluded.owner, lease_until = excluded.lease_until",
            [_LOCK, owner, now + lease],
        )
    return True


def _release(ws: Workspace, owner: str) -> None:
    with transaction(ws.con):
        store.sql(ws, "DELETE FROM automation_lock WHERE name = ? AND owner = ?", [_LOCK, owner])


def _claim(ws: Workspace, owner: str, lease: dt.timedelta, batch: int) -> list[tuple[Any, ...]]:
    now = store.utcnow()
    with transaction(ws.con):
        store.sql(
            ws,
            "UPDATE automation_lock SET lease_until = ? WHERE name = ? AND owner = ?",
            [now + lease, _LOCK, owner],
        )
        rows = store.sql(
            ws,
            "SELECT o.key, o.rule, o.customer_id, o.occurrence, o.event_at, o.due_at, "
            "o.channel, o.recipient, o.language, o.failures, o.context FROM automation_outbox o "
            "JOIN automation_rules r ON r.name = o.rule AND r.status = 'active' "
            "WHERE o.status = 'pending' AND o.next_attempt_at <= ? "
            "AND (o.lease_until IS NULL OR o.lease_until < ?) "
            "ORDER BY o.next_attempt_at, o.key LIMIT ?",
            [now, now, batch],
        ).fetchall()
        if rows:
            keys = [r[0] for r in rows]
            store.sql(
                ws,
                f"UPDATE automation_outbox SET lease_until = ? "
                f"WHERE key IN ({', '.join('?' * len(keys))})",
                [now + lease, *keys],
            )
    return rows


def _finish(
    ws: Workspace,
    key: str,
    attempt: str,
    *,
    ok: bool,
    detail: str,
    failures: int,
    schedule: Sequence[dt.timedelta],
    status: str | None = None,
    permanent: bool = False,
) -> str:
    now = store.utcnow()
    if ok:
        new_status, next_at = status or "sent", now
    else:
        failures += 1
        new_status = "dead" if permanent or failures >= len(schedule) else "pending"
        next_at = now + (schedule[failures] if failures < len(schedule) else dt.timedelta(0))
    with transaction(ws.con):
        store.sql(
            ws,
            "UPDATE automation_outbox SET status = ?, failures = ?, next_attempt_at = ?, "
            "lease_until = NULL, sent_at = CASE WHEN ? THEN ? ELSE sent_at END, "
            "reason = CASE WHEN ? THEN reason ELSE ? END WHERE key = ?",
            [new_status, failures, next_at, new_status == "sent", now, ok, detail[:500], key],
        )
        store.sql(
            ws,
            "UPDATE automation_attempts SET finished_at = ?, outcome = ?, detail = ? "
            "WHERE key = ? AND attempt_id = ?",
            [now, "ok" if ok else "error", detail[:500], key, attempt],
        )
    return new_status


def _send(ws: Workspace, rule: Rule, row: tuple[Any, ...]) -> str:
    """Send one row over its rule's channel; returns a short detail for the attempt."""
    key, _, customer, occurrence, event_at, due_at, channel, recipient, language, _f, extra = row
    conf = automation_settings(ws.settings)
    values: dict[str, Any] = json.loads(extra) if extra else {}
    context: dict[str, Any] = {
        **values,
        "customer_id": customer,
        "occurrence": occurrence,
        "event_at": event_at.isoformat(sep=" ", timespec="minutes"),
        "due_at": due_at.isoformat(sep=" ", timespec="minutes"),
        "ends_on": event_at.date().isoformat(),
        "delay": _hours(rule.delay),
    }
    if channel == "log":
        log.info("automation %s: %s for customer %s", rule.name, key, customer)
        return "logged"
    if channel == "webhook":
        payload = {
            "key": key,
            "rule": rule.name,
            "template": rule.template,
            "trigger": rule.trigger,
            "customer_id": customer or None,
            "occurrence": occurrence,
            "event_at": event_at.isoformat(),
            "due_at": due_at.isoformat(),
            "data": values,
        }
        send_webhook(rule.url or "", rule.webhook_secret or "", key, payload)
        return f"webhook {rule.url}"
    settings = smtp(ws.settings)
    unsubscribe = None
    if not rule.team:
        unsubscribe = unsubscribe_url(ws, customer, conf.base_url)
        context["unsubscribe_url"] = unsubscribe
    if rule.template == "feedback_request" or (
        rule.template == "custom" and "survey" in rule.params and customer
    ):
        context["survey_url"] = survey_url(ws, rule.params["survey"], customer, conf.base_url)
    try:
        message = render(rule, language, context)
    except Exception as exc:
        raise PermanentDeliveryError(
            f"message template of rule {rule.name} failed: {exc}"
        ) from None
    send_email(settings, build_email(key, settings, recipient, message, unsubscribe))
    return f"email to {recipient}"


def _hours(span: dt.timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:g} hours" if hours < 72 else f"{hours / 24:g} days"


def deliver(
    ws: Workspace,
    *,
    schedule: Sequence[dt.timedelta] = RETRY_SCHEDULE,
    lease: dt.timedelta = LEASE,
    batch: int = 50,
    limit: int | None = None,
) -> DeliveryResult:
    """Deliver every due outbox row (at most ``limit``); returns the counts."""
    store.ensure_tables(ws)
    owner = uuid.uuid4().hex
    result = DeliveryResult()
    if not _acquire(ws, owner, lease):
        result.busy = True
        return result
    try:
        rules = {r.name: r for r in store.list_rules(ws)}
        opted = store.opted_out(ws)
        done = 0
        while limit is None or done < limit:
            rows = _claim(ws, owner, lease, batch if limit is None else min(batch, limit - done))
            if not rows:
                break
            for row in rows:
                done += 1
                key, rule_name, customer = row[0], row[1], row[2]
                rule = rules[rule_name]
                attempt = uuid.uuid4().hex
                with transaction(ws.con):
                    store.sql(
                        ws,
                        "INSERT INTO automation_attempts VALUES (?, ?, ?, NULL, NULL, NULL)",
                        [key, attempt, store.utcnow()],
                    )
                if row[6] == "email" and not rule.team and customer in opted:
                    _finish(
                        ws,
                        key,
                        attempt,
                        ok=True,
                        detail="unsubscribed",
                        failures=row[9],
                        schedule=schedule,
                        status="skipped",
                    )
                    result.skipped += 1
                    continue
                try:
                    detail = _send(ws, rule, row)
                except (DeliveryError, OSError, RetentionkitError) as exc:
                    status = _finish(
                        ws,
                        key,
                        attempt,
                        ok=False,
                        detail=str(exc),
                        failures=row[9],
                        schedule=schedule,
                        permanent=isinstance(exc, PermanentDeliveryError),
                    )
                    result.failed += status == "pending"
                    result.dead += status == "dead"
                else:
                    _finish(
                        ws,
                        key,
                        attempt,
                        ok=True,
                        detail=detail,
                        failures=row[9],
                        schedule=schedule,
                    )
                    result.sent += 1
    finally:
        _release(ws, owner)
    return result
