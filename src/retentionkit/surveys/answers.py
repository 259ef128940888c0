"""Answers into the canonical ``survey_responses`` table (SPEC §2), one row per response_id.

A new answer with the response_id of an earlier one replaces it (one ``MERGE`` statement), so
a link answered twice, or a webhook delivered twice, leaves one row. The
``nps``/``csat``/``survey_rate`` metrics and the churn features read the same table, so an
answer counts on their next request (the web server clears its cache on every write).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from retentionkit.backends import sql, transaction
from retentionkit.errors import InputError
from retentionkit.schema.contracts import SURVEY_RESPONSES
from retentionkit.surveys.definitions import Survey
from retentionkit.surveys.store import mark_delivery, utcnow

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.workspace import Workspace

__all__ = [
    "MAX_COMMENT",
    "Answer",
    "answer_row",
    "as_answer",
    "clean_comment",
    "write_answer",
    "write_rows",
]

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
_TYPES = (
    "VARCHAR",
    "VARCHAR",
    "DOUBLE",
    "TIMESTAMP",
    "VARCHAR",
    "VARCHAR",
    "VARCHAR",
    "DOUBLE",
    "DOUBLE",
    "VARCHAR",
)
_SOURCE_ROW = "(" + ", ".join(f"?::{t}" for t in _TYPES) + ")"


@functools.lru_cache(maxsize=64)
def _merge_sql(rows: int) -> str:
    """One ``MERGE`` of ``rows`` answers: insert each, or replace the row of its response_id
    (one statement, so one commit, however many answers)."""
    return (
        "MERGE INTO survey_responses USING (SELECT * FROM (VALUES "
        + ", ".join([_SOURCE_ROW] * rows)
        + f") AS v({', '.join(_COLUMNS)})) AS new "
        + "ON survey_responses.response_id = new.response_id WHEN MATCHED THEN UPDATE SET "
        + ", ".join(f"{c} = new.{c}" for c in _COLUMNS[1:])
        + f" WHEN NOT MATCHED THEN INSERT ({', '.join(_COLUMNS)}) VALUES "
        + f"({', '.join('new.' + c for c in _COLUMNS)})"
    )


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


def answer_row(
    survey: Survey,
    *,
    response_id: str,
    customer_id: str | None,
    score: float,
    comment: str | None,
    touchpoint: str,
    responded_at: dt.datetime | None = None,
) -> list[object]:
    """The survey_responses values of one answer, in :data:`_COLUMNS` order."""
    return [
        response_id,
        survey.metric_survey,
        float(score),
        responded_at or utcnow(),
        customer_id,
        comment if survey.comment else None,
        touchpoint,
        float(survey.scale_min),
        float(survey.scale_max),
        survey.name,
    ]


def write_rows(ws: Workspace, rows: list[list[object]]) -> None:
    """Store answer rows in one statement (committed when it returns); of several rows with one
    response_id the last wins."""
    if not rows:
        return
    _ensure_responses(ws)
    unique = list({str(r[0]): r for r in rows}.values())
    with transaction(ws.con, data=True):
        sql(ws.con, _merge_sql(len(unique)), [v for r in unique for v in r])


def as_answer(row: list[object]) -> Answer:
    return Answer(
        str(row[0]),
        str(row[9]),
        row[4],
        float(row[2]),
        row[3],
        row[5],  # type: ignore[arg-type]
    )


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
    row = answer_row(
        survey,
        response_id=response_id,
        customer_id=customer_id,
        score=score,
        comment=comment,
        touchpoint=touchpoint,
        responded_at=responded_at,
    )
    if delivery is None:
        write_rows(ws, [row])
    else:
        _ensure_responses(ws)
        with transaction(ws.con, data=True):
            if not mark_delivery(ws, survey.name, delivery):
                return None
            sql(ws.con, _merge_sql(1), row)
    return as_answer(row)
