"""The survey tables of a workspace, created on first use in one transaction:

* ``surveys``: one row per survey definition (its webhook secret included: an HMAC needs it);
* ``survey_secrets``: the link-signing secrets, oldest first (``rotate-secret`` appends one;
  links signed with an older secret stay valid until they expire);
* ``webhook_deliveries_seen``: (survey, webhook-id) of every accepted webhook delivery, so a
  replay is stored once.

SQL is written in DuckDB's dialect with bound parameters and runs through
:func:`retentionkit.backends.sql` (translated for PostgreSQL), always inside
:func:`retentionkit.backends.transaction`.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
from typing import TYPE_CHECKING, Any

from retentionkit import backends
from retentionkit.backends import transaction
from retentionkit.clock import utcnow  # re-exported: callers use store.utcnow
from retentionkit.errors import InputError, UnknownNameError
from retentionkit.surveys.definitions import Survey

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.workspace import Workspace

__all__ = [
    "add_secret",
    "delete_survey",
    "ensure_tables",
    "get_survey",
    "insert_survey",
    "link_secrets",
    "list_surveys",
    "mark_delivery",
    "new_webhook_secret",
    "record_links",
    "utcnow",
    "webhook_secret",
]

_DDL = (
    """CREATE TABLE IF NOT EXISTS surveys (
        name VARCHAR PRIMARY KEY, type VARCHAR NOT NULL, scale_min INTEGER NOT NULL,
        scale_max INTEGER NOT NULL, question VARCHAR, translations VARCHAR NOT NULL,
        comment BOOLEAN NOT NULL, mapping VARCHAR NOT NULL, company VARCHAR,
        webhook_secret VARCHAR NOT NULL,
        created_at TIMESTAMP NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS survey_secrets (
        secret VARCHAR PRIMARY KEY, created_at TIMESTAMP NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS survey_links (
        survey VARCHAR NOT NULL, link_id VARCHAR NOT NULL, customer_id VARCHAR NOT NULL,
        issued_at TIMESTAMP NOT NULL, expires_at TIMESTAMP NOT NULL,
        PRIMARY KEY (survey, link_id))""",
    """CREATE TABLE IF NOT EXISTS webhook_deliveries_seen (
        survey VARCHAR NOT NULL, webhook_id VARCHAR NOT NULL, received_at TIMESTAMP NOT NULL,
        PRIMARY KEY (survey, webhook_id))""",
)
_READY_KEY = "survey_tables"
#: Per-connection cache of the link secrets and survey definitions (the answer route reads
#: them on every post); every write of this module clears it. Safe for a DuckDB file (one
#: process owns it while it is open for writing); on PostgreSQL another process may change a
#: survey, which this process sees after its next own survey write or restart.
_CACHE_ATTR = "_retentionkit_survey_cache"


def _cache(ws: Workspace) -> dict[str, Any]:
    if backends.backend_name(ws.con) == "postgres":
        return {}  # other processes write too: read the table every time (a new dict)
    cache = getattr(ws.con, _CACHE_ATTR, None)
    if cache is None:
        cache = {}
        setattr(ws.con, _CACHE_ATTR, cache)
    return cache


def _forget(ws: Workspace) -> None:
    _cache(ws).clear()


def _sql(ws: Workspace, query: str, params: list[Any] | None = None) -> Any:
    """One statement (DuckDB dialect, ``?`` parameters) on the workspace's backend."""
    return backends.sql(ws.con, query, params)


def ensure_tables(ws: Workspace) -> None:
    """Create the survey tables and the first link secret when missing (once per connection)."""

    def first_secret() -> None:
        if not _sql(ws, "SELECT count(*) FROM survey_secrets").fetchone()[0]:
            _sql(
                ws,
                "INSERT INTO survey_secrets VALUES (?, ?)",
                [secrets.token_urlsafe(32), utcnow()],
            )

    backends.ensure_tables(ws.con, _READY_KEY, _DDL, first_secret)


def link_secrets(ws: Workspace, *, create: bool = True) -> list[str]:
    """The link-signing secrets, oldest first (itsdangerous signs with the last one); without
    ``create`` a workspace without survey tables has none (and stays unchanged)."""
    if not create and not _exists(ws):
        return []
    ensure_tables(ws)
    cache = _cache(ws)
    if "secrets" not in cache:
        rows = _sql(ws, "SELECT secret FROM survey_secrets ORDER BY created_at, secret").fetchall()
        cache["secrets"] = [r[0] for r in rows]
    return list(cache["secrets"])


def add_secret(ws: Workspace) -> int:
    """Append a new link secret (``surveys rotate-secret``); returns how many are kept."""
    ensure_tables(ws)
    _forget(ws)
    with transaction(ws.con, data=True):
        _sql(ws, "INSERT INTO survey_secrets VALUES (?, ?)", [secrets.token_urlsafe(32), utcnow()])
        return int(_sql(ws, "SELECT count(*) FROM survey_secrets").fetchone()[0])


def new_webhook_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` + base64 of 24 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


_COLUMNS = (
    "name, type, scale_min, scale_max, question, translations, comment, mapping, company, "
    "created_at"
)


def _survey(row: tuple[Any, ...]) -> Survey:
    name, kind, lo, hi, question, translations, comment, mapping, company, created = row
    return Survey(
        name=name,
        type=kind,
        scale_min=int(lo),
        scale_max=int(hi),
        question=question,
        translations=json.loads(translations),
        comment=bool(comment),
        mapping=json.loads(mapping),
        company=company,
        created_at=created.isoformat(timespec="seconds") + "Z",
    )


def insert_survey(ws: Workspace, survey: Survey, webhook_secret: str) -> Survey:
    """Store a new survey; an existing name is an error."""
    ensure_tables(ws)
    with transaction(ws.con, data=True):
        if _sql(ws, "SELECT 1 FROM surveys WHERE name = ?", [survey.name]).fetchone():
            raise InputError(
                f"Survey {survey.name} already exists; delete it first with "
                f"'retentionkit surveys delete {survey.name}' or choose another name."
            )
        _sql(
            ws,
            f"INSERT INTO surveys ({_COLUMNS}, webhook_secret) VALUES ({', '.join('?' * 11)})",
            [
                survey.name,
                survey.type,
                survey.scale_min,
                survey.scale_max,
                survey.question,
                json.dumps(survey.translations, ensure_ascii=False),
                survey.comment,
                json.dumps(survey.mapping),
                survey.company,
                utcnow(),
                webhook_secret,
            ],
        )
    return get_survey(ws, survey.name)


def _exists(ws: Workspace) -> bool:
    """Whether the survey tables exist (remembered on the connection once they do)."""
    if getattr(ws.con, f"_retentionkit_ready_{_READY_KEY}", False):
        return True
    if "surveys" in ws.con.list_tables():
        ensure_tables(ws)  # every table of a workspace that has ``surveys``; marks the connection
        return True
    return False


def list_surveys(ws: Workspace) -> list[Survey]:
    """Every survey by name (reading creates nothing)."""
    if not _exists(ws):
        return []
    rows = _sql(ws, f"SELECT {_COLUMNS} FROM surveys ORDER BY name").fetchall()
    return [_survey(r) for r in rows]


def get_survey(ws: Workspace, name: str) -> Survey:
    """The survey ``name``; an unknown one lists the surveys there are."""
    cached = _cache(ws).get(("survey", name))
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    row = (
        None
        if not _exists(ws)
        else _sql(ws, f"SELECT {_COLUMNS} FROM surveys WHERE name = ?", [name]).fetchone()
    )
    if row is None:
        known = [s.name for s in list_surveys(ws)]
        raise UnknownNameError(
            f"Unknown survey {name!r}; "
            + (
                f"expected one of: {', '.join(known)}."
                if known
                else "no survey exists yet; "
                "create one with 'retentionkit surveys create NAME --type nps'."
            )
        )
    survey = _cache(ws)[("survey", name)] = _survey(row)
    return survey


def webhook_secret(ws: Workspace, name: str) -> str:
    get_survey(ws, name)
    return str(_sql(ws, "SELECT webhook_secret FROM surveys WHERE name = ?", [name]).fetchone()[0])


def delete_survey(ws: Workspace, name: str) -> None:
    """Forget the definition (its links stop working); its answers stay in survey_responses."""
    get_survey(ws, name)
    _forget(ws)
    with transaction(ws.con, data=True):
        _sql(ws, "DELETE FROM surveys WHERE name = ?", [name])
        _sql(ws, "DELETE FROM webhook_deliveries_seen WHERE survey = ?", [name])
        _sql(ws, "DELETE FROM survey_links WHERE survey = ?", [name])


def record_links(ws: Workspace, survey: str, rows: list[tuple[str, str, dt.datetime]]) -> None:
    """Remember issued links (link id, customer id, aware expiry): the response rate's base."""
    import pandas as pd

    if not rows:
        return
    now = utcnow()
    frame = pd.DataFrame(
        {
            "survey": survey,
            "link_id": [r[0] for r in rows],
            "customer_id": [r[1] for r in rows],
            "issued_at": now,
            "expires_at": [r[2].replace(tzinfo=None) for r in rows],
        }
    )
    with transaction(ws.con, data=True):
        ws.con.insert("survey_links", frame)


def mark_delivery(ws: Workspace, survey: str, webhook_id: str) -> bool:
    """Record a webhook delivery; False when that webhook-id was seen before (call inside the
    transaction that stores its answer)."""
    seen = _sql(
        ws,
        "SELECT 1 FROM webhook_deliveries_seen WHERE survey = ? AND webhook_id = ?",
        [survey, webhook_id],
    ).fetchone()
    if seen:
        return False
    _sql(ws, "INSERT INTO webhook_deliveries_seen VALUES (?, ?, ?)", [survey, webhook_id, utcnow()])
    return True
