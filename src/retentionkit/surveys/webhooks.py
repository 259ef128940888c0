"""Standard Webhooks verification (https://www.standardwebhooks.com, spec v1.0.0).

The sender signs ``"{webhook-id}.{webhook-timestamp}.{body}"`` with HMAC-SHA256 keyed by the
base64-decoded part of its ``whsec_…`` secret and sends ``webhook-signature: v1,<base64>``
(several space-separated signatures are allowed, one must match). A timestamp more than
:data:`TOLERANCE` away from now is refused (replay protection); a ``webhook-id`` already
accepted is answered 200 and stored once (:func:`retentionkit.surveys.answers.write_answer`).

Payload: ``{"customer_id", "score", "responded_at", "comment"}``, or, with a per-survey
mapping, the same fields picked from another tool's JSON by simple JSON paths
(``$.a.b[0].c``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Any

from retentionkit.errors import AuthError, InputError

__all__ = [
    "FIELDS",
    "TOLERANCE",
    "check_mapping",
    "extract",
    "sign",
    "verify",
]

#: Largest accepted clock difference between sender and server.
TOLERANCE = dt.timedelta(minutes=5)
#: Fields of an answer payload (and keys of a mapping).
FIELDS = ("customer_id", "score", "responded_at", "comment")
_PATH = re.compile(r"^\$((\.[A-Za-z0-9_-]+)|(\[\d+\]))+$")
_STEP = re.compile(r"\.([A-Za-z0-9_-]+)|\[(\d+)\]")


def _key(secret: str) -> bytes:
    try:
        return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        raise InputError("The webhook secret is not a 'whsec_' + base64 string.") from None


def sign(secret: str, webhook_id: str, timestamp: int | str, body: bytes) -> str:
    """The ``v1,<base64>`` signature of ``body`` (what a sender puts in webhook-signature)."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(
    secret: str, headers: Mapping[str, str], body: bytes, now: dt.datetime | None = None
) -> str:
    """The webhook-id of a correctly signed, fresh delivery; otherwise an AuthError (401)."""
    webhook_id = headers.get("webhook-id", "").strip()
    stamp = headers.get("webhook-timestamp", "").strip()
    given = headers.get("webhook-signature", "").strip()
    if not (webhook_id and stamp and given):
        raise AuthError(
            "A webhook needs the headers webhook-id, webhook-timestamp and webhook-signature."
        )
    if len(webhook_id) > 200:
        raise AuthError("The webhook-id header is longer than 200 characters.")
    try:
        sent = dt.datetime.fromtimestamp(int(stamp), dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise AuthError(
            f"webhook-timestamp {stamp[:20]!r} is not a Unix time in seconds."
        ) from None
    if abs((now or dt.datetime.now(dt.UTC)) - sent) > TOLERANCE:
        raise AuthError("webhook-timestamp is more than 5 minutes away from the server's clock.")
    expected = sign(secret, webhook_id, stamp, body).encode()
    for candidate in given.split():
        if hmac.compare_digest(candidate.encode(), expected):
            return webhook_id
    raise AuthError("The webhook signature does not match this survey's secret.")


def check_mapping(mapping: Mapping[str, str]) -> dict[str, str]:
    """A payload mapping: keys among :data:`FIELDS`, values JSON paths such as ``$.a.b[0]``."""
    out = {}
    for field, path in mapping.items():
        if field not in FIELDS:
            raise InputError(f"Mapping key {field!r} is not one of: {', '.join(FIELDS)}.")
        if not _PATH.match(str(path)):
            raise InputError(
                f"Mapping {field} = {path!r} is not a JSON path like '$.data.score' or "
                "'$.answers[0].value'."
            )
        out[field] = str(path)
    return out


def _at(document: Any, path: str) -> Any:
    node = document
    for key, index in _STEP.findall(path):
        if key and isinstance(node, dict):
            node = node.get(key)
        elif index and isinstance(node, list) and int(index) < len(node):
            node = node[int(index)]
        else:
            return None
    return node


def extract(document: Any, mapping: Mapping[str, str]) -> dict[str, Any]:
    """The answer fields of a JSON ``document``: by ``mapping`` when given, else its keys."""
    if not mapping:
        if not isinstance(document, dict):
            raise InputError("The webhook body must be a JSON object with customer_id and score.")
        return {f: document.get(f) for f in FIELDS}
    return {f: _at(document, mapping[f]) if f in mapping else None for f in FIELDS}
