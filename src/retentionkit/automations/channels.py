"""Channels: how one outbox row is sent. Every channel carries the action's key as its
idempotency id, so a repeat after a crash is recognisable by the receiver:

* **email** (:func:`send_email`): standard-library ``smtplib`` + ``email.message``;
  ``Message-ID: <KEY@retentionkit>``; ``List-Unsubscribe: <mailto:FROM?subject=unsubscribe>,
  <https://…/u/TOKEN>`` and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 2369,
  RFC 8058); text and HTML parts. STARTTLS and login when configured (the password only from
  ``RETENTIONKIT_SMTP_PASSWORD``).
* **webhook** (:func:`send_webhook`): ``POST`` JSON with the Standard Webhooks headers
  ``webhook-id`` = KEY, ``webhook-timestamp`` and ``webhook-signature: v1,<base64 HMAC-SHA256
  of "id.timestamp.body">`` under the rule's ``whsec_`` secret; any 2xx is success.
* **log**: nothing leaves the process; the attempt row is the record.

A channel raises :class:`DeliveryError` (or any ``OSError``) on failure; the deliverer
records it and retries.
"""

from __future__ import annotations

import json
import smtplib
import time
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any

from retentionkit.automations.messages import Message
from retentionkit.automations.settings import SmtpSettings

__all__ = [
    "DeliveryError",
    "PermanentDeliveryError",
    "build_email",
    "message_id",
    "send_email",
    "send_webhook",
]

TIMEOUT = 10.0


class DeliveryError(Exception):
    """A failed send (the reason is recorded in the attempt)."""


class PermanentDeliveryError(DeliveryError):
    """A failure no retry can mend (the rule's message template fails on this row's values):
    the row goes to the dead letters at once instead of waiting out the retry schedule."""


def message_id(key: str) -> str:
    return f"<{key}@retentionkit>"


def build_email(
    key: str, smtp: SmtpSettings, to: str, message: Message, unsubscribe: str | None
) -> EmailMessage:
    mail = EmailMessage()
    mail["Message-ID"] = message_id(key)
    mail["Date"] = formatdate(usegmt=True)
    mail["From"] = smtp.sender
    mail["To"] = to
    mail["Subject"] = message.subject
    if unsubscribe:
        sender = parseaddr(smtp.sender)[1]
        mail["List-Unsubscribe"] = f"<mailto:{sender}?subject=unsubscribe>, <{unsubscribe}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    mail.set_content(message.text)
    mail.add_alternative(message.html, subtype="html")
    return mail


def send_email(smtp: SmtpSettings, mail: EmailMessage) -> None:
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=TIMEOUT) as server:
            if smtp.starttls:
                server.starttls()
            if smtp.username:
                server.login(smtp.username, smtp.password or "")
            server.send_message(mail)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP {smtp.host}:{smtp.port}: {exc}") from None


def send_webhook(url: str, secret: str, key: str, payload: dict[str, Any]) -> None:
    from retentionkit.surveys.webhooks import sign

    body = json.dumps(payload, sort_keys=True, default=str).encode()
    stamp = str(int(time.time()))
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "content-type": "application/json",
            "webhook-id": key,
            "webhook-timestamp": stamp,
            "webhook-signature": sign(secret, key, stamp, body),
            "user-agent": "retentionkit-automations",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"webhook {url}: HTTP {exc.code}") from None
    except OSError as exc:
        raise DeliveryError(f"webhook {url}: {exc}") from None
    if not 200 <= status < 300:
        raise DeliveryError(f"webhook {url}: HTTP {status}")
