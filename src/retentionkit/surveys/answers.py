"""Answers into the canonical ``survey_responses`` table (SPEC §2), one row per response_id.

A new answer with the response_id of an earlier one replaces it (delete + insert in one
transaction), so a link answered twice, or a webhook delivered twice, leaves one row. The
``nps``/``csat``/``survey_rate`` metrics and the churn features read the same table, so an
answer counts on their next request (the web server clears its cache on every write).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from retentionkit.backends import transaction
from retentionkit.errors import InputError
from retentionkit.schema.contracts import SURVEY_RESPONSES
from retentionkit.surveys.definitions import Survey
from retentionkit.surveys.store import mark_delivery, utcnow

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.workspace import Workspace

__all__ = ["MAX_COMMENT", "Answer", "clean_comment", "write_answer"]

#: Longest comment kept (characters).
MAX_COMMENT = 2000
_READY_ATTR = "_retentionkit_responses_ready"
_COLUMNS = (
    "response_id",
    "survey",
    "score",
    "responded_at",
    "customer_id",
    "comment",
    "touchpoint",
    "scale_min",
    "scale_max",
    "survey_name",
)
_DELETE = "DELETE FROM survey_responses WHERE response_id = ?"
_PLACEHOLDERS = ", ".join("?" * len(_COLUMNS))
_INSERT = f"INSERT INTO survey_responses ({', '.join(_COLUMNS)}) VALUES ({_PLACEHOLDERS})"


@dataclass(frozen=True)
class Answer:
    """One stored answer."""

    response_id: str
    survey: str
    customer_id: str | None
    score: float
    responded_at: dt.datetime
    comment: str | None


def clean_comment(raw: object, where: str) -> str | None:
    """The comment stripped (None when empty); longer than :data:`MAX_COMMENT` is an error."""
    if raw is None:
        return None
    text = str(raw).strip()
    if len(text) > MAX_COMMENT:
        raise InputError(
            f"{where}: the comment has {len(text):,} characters; at most {MAX_COMMENT:,} are kept."
        )
    return text or None


def _ensure_responses(ws: Workspace) -> None:
    if getattr(ws.con, _READY_ATTR, False):
        return
    from retentionkit.schema.store import ensure_table

    with transaction(ws.con):
        ensure_table(ws.con, SURVEY_RESPONSES, {})
    setattr(ws.con, _READY_ATTR, True)


def write_answer(
    ws: Workspace,
    survey: Survey,
    *,
    response_id: str,
    customer_id: str | None,
    score: float,
    comment: str | None,
    touchpoint: str,
    responded_at: dt.datetime | None = None,
    delivery: str | None = None,
) -> Answer | None:
    """Store (or replace) one answer of ``survey``, committed before this returns. With a
    webhook ``delivery`` id, a delivery seen before writes nothing and returns None (the check
    and the write share one transaction)."""
    _ensure_responses(ws)
    when = responded_at or utcnow()
    row = [
        response_id,
        survey.metric_survey,
        float(score),
        when,
        customer_id,
        comment if survey.comment else None,
        touchpoint,
        float(survey.scale_min),
        float(survey.scale_max),
        survey.name,
    ]
    with transaction(ws.con):
        if delivery is not None and not mark_delivery(ws, survey.name, delivery):
            return None
        ws.con.raw_sql(_DELETE, parameters=[response_id])
        ws.con.raw_sql(_INSERT, parameters=row)
    return Answer(response_id, survey.name, customer_id, float(score), when, row[5])
