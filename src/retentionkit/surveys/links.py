"""Signed per-customer survey links.

A token is ``itsdangerous.URLSafeTimedSerializer`` over ``[survey, customer_id, link_id,
expires_epoch]`` with the workspace's link secrets (a list: it signs with the newest and
accepts every one, so ``surveys rotate-secret`` leaves earlier links valid until they expire).
A changed character fails the HMAC (link not valid, 404); a link past ``expires_at`` is
expired (410). ``link_id`` is random per link, so the answer's ``response_id`` (derived from
survey, customer and link id) is one row per link: answering again replaces it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from itsdangerous import BadSignature, URLSafeTimedSerializer

from retentionkit.config import parse_duration_days
from retentionkit.errors import InputError, RetentionkitError
from retentionkit.surveys.store import get_survey, link_secrets, record_links

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.workspace import Workspace

__all__ = [
    "DEFAULT_BASE_URL",
    "ExpiredLinkError",
    "InvalidLinkError",
    "LinkClaims",
    "SurveyLink",
    "make_links",
    "read_token",
    "survey_link",
]

#: Where ``serve`` listens by default; ``--base-url`` for the public address.
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
_SALT = "retentionkit.survey-link.v1"


class InvalidLinkError(RetentionkitError):
    """A tampered, truncated or unknown survey link."""

    exit_code = 2
    http_status = 404


class ExpiredLinkError(RetentionkitError):
    """A survey link past its expiry."""

    exit_code = 2
    http_status = 410


@dataclass(frozen=True)
class SurveyLink:
    """One customer's link: ``url`` ends in ``/s/<token>``; ``expires_at`` is aware UTC."""

    customer_id: str
    url: str
    expires_at: dt.datetime


@dataclass(frozen=True)
class LinkClaims:
    """What a valid token says."""

    survey: str
    customer_id: str
    link_id: str
    expires_at: dt.datetime

    @property
    def response_id(self) -> str:
        """``s-`` + the first 24 hex digits of SHA-256(survey, customer, link id)."""
        key = "\x1f".join((self.survey, self.customer_id, self.link_id)).encode()
        return "s-" + hashlib.sha256(key).hexdigest()[:24]


def _serializer(keys: list[str]) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(keys, salt=_SALT)


def expiry(expires: str | dt.timedelta, now: dt.datetime | None = None) -> dt.datetime:
    """Aware UTC expiry ``expires`` from ``now`` ('30d', '12w' … or a timedelta)."""
    delta = (
        expires
        if isinstance(expires, dt.timedelta)
        else dt.timedelta(days=parse_duration_days(expires))
    )
    if delta <= dt.timedelta(0):
        raise InputError(f"--expires {expires} must be positive.")
    return ((now or dt.datetime.now(dt.UTC)) + delta).replace(microsecond=0)


def make_token(
    keys: list[str], survey: str, customer_id: str, expires_at: dt.datetime
) -> tuple[str, str]:
    """A new token and its random link id."""
    link_id = secrets.token_urlsafe(6)
    payload = [survey, customer_id, link_id, int(expires_at.timestamp())]
    return str(_serializer(keys).dumps(payload)), link_id


def make_links(
    ws: Workspace,
    survey: str,
    customer_ids: list[str],
    *,
    expires: str | dt.timedelta = "30d",
    base_url: str | None = None,
) -> list[SurveyLink]:
    """One signed link per customer (recorded in ``survey_links`` for the response rate)."""
    get_survey(ws, survey)
    expires_at = expiry(expires)
    keys = link_secrets(ws)
    base = (base_url or DEFAULT_BASE_URL).rstrip("/")
    links, issued = [], []
    for raw in customer_ids:
        customer = str(raw).strip()
        if not customer:
            raise InputError("A survey link needs a customer id; got an empty one.")
        token, link_id = make_token(keys, survey, customer, expires_at)
        links.append(SurveyLink(customer, f"{base}/s/{token}", expires_at))
        issued.append((link_id, customer, expires_at))
    record_links(ws, survey, issued)
    return links


def survey_link(
    ws: Workspace,
    survey: str,
    customer_id: str,
    *,
    expires: str | dt.timedelta = "30d",
    base_url: str | None = None,
) -> SurveyLink:
    """A signed link for ``customer_id`` to answer ``survey`` (which must exist), valid for
    ``expires``; ``base_url`` is the public address of ``retentionkit serve``."""
    return make_links(ws, survey, [customer_id], expires=expires, base_url=base_url)[0]


def read_token(keys: list[str], token: str, now: dt.datetime | None = None) -> LinkClaims:
    """The claims of ``token``: InvalidLinkError when the signature does not match any secret
    (or the payload is malformed), ExpiredLinkError when it is past its expiry."""
    if not keys:
        raise InvalidLinkError("This survey link is not valid.")
    try:
        payload = _serializer(keys).loads(token)
        survey, customer, link_id, exp = payload
        claims = LinkClaims(
            str(survey), str(customer), str(link_id), dt.datetime.fromtimestamp(int(exp), dt.UTC)
        )
    except (BadSignature, TypeError, ValueError, OverflowError):
        raise InvalidLinkError("This survey link is not valid.") from None
    if (now or dt.datetime.now(dt.UTC)) >= claims.expires_at:
        raise ExpiredLinkError("This survey link has expired.")
    return claims
