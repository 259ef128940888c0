"""Links in automation emails: the survey link of ``feedback_request`` (the one call into
:mod:`retentionkit.surveys`, imported lazily) and the signed unsubscribe link.

An unsubscribe token is ``itsdangerous.URLSafeSerializer`` over ``[customer_id]`` with the
workspace's link secrets (the surveys' ``survey_secrets``: one secret store, rotated by
``surveys rotate-secret``) and its own salt; it does not expire (RFC 8058 one-click links must
keep working). ``GET /u/{token}`` shows a confirmation form, ``POST /u/{token}`` records the
opt-out (the List-Unsubscribe-Post one-click form posts there too).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from itsdangerous import BadSignature, URLSafeSerializer

from retentionkit.errors import RetentionkitError

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.workspace import Workspace

__all__ = ["InvalidUnsubscribeError", "read_unsubscribe", "survey_url", "unsubscribe_url"]

_SALT = "retentionkit.unsubscribe.v1"


class InvalidUnsubscribeError(RetentionkitError):
    """A tampered or truncated unsubscribe link."""

    exit_code = 2
    http_status = 404


def _secrets(ws: Workspace) -> list[str]:
    from retentionkit.surveys.store import link_secrets

    return link_secrets(ws)


def survey_url(ws: Workspace, survey: str, customer_id: str, base_url: str) -> str:
    """A signed 30-day link for ``customer_id`` to answer ``survey``."""
    from retentionkit.surveys.links import survey_link

    return survey_link(ws, survey, customer_id, expires="30d", base_url=base_url).url


def unsubscribe_url(ws: Workspace, customer_id: str, base_url: str) -> str:
    token = URLSafeSerializer(_secrets(ws), salt=_SALT).dumps([customer_id])
    return f"{base_url.rstrip('/')}/u/{token}"


def read_unsubscribe(ws: Workspace, token: str) -> str:
    """The customer id of a valid unsubscribe token; otherwise InvalidUnsubscribeError."""
    try:
        (customer,) = URLSafeSerializer(_secrets(ws), salt=_SALT).loads(token)
    except (BadSignature, TypeError, ValueError):
        raise InvalidUnsubscribeError("This unsubscribe link is not valid.") from None
    return str(customer)
