"""One typed, frozen request per survey operation and one service function, :func:`run`
(the pattern of :mod:`retentionkit.service`): the CLI, the REST API and the answer page build
a request from their input, and ``run(ws, request)`` answers it. A request validates its
options when built; ``writes`` tells the web server to run it on its write path (every lane
stopped, the result cache cleared, so nps/csat/survey_rate see an answer on the next request).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from retentionkit.backends import sql
from retentionkit.errors import ConfigError, InputError, RetentionkitError
from retentionkit.surveys import store
from retentionkit.surveys.answers import (
    Answer,
    answer_row,
    as_answer,
    clean_comment,
    write_answer,
    write_rows,
)
from retentionkit.surveys.definitions import SURVEY_TYPES, Survey, check_name, parse_scale
from retentionkit.surveys.i18n import LANGUAGES, choose_language, translator
from retentionkit.surveys.links import (
    LinkClaims,
    SurveyLink,
    expiry,
    make_links,
    read_token,
)

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.workspace import Workspace

__all__ = [
    "AnswerLink",
    "CreateSurvey",
    "DeleteSurvey",
    "ListSurveys",
    "OpenLink",
    "ReceiveWebhook",
    "RotateSecret",
    "ShowSurvey",
    "SurveyLinks",
    "SurveyRequest",
    "answer_links",
    "page_text",
    "run",
    "utc_iso",
]


class SurveyRequest:
    """Base of the survey requests."""

    writes: ClassVar[bool] = False


@dataclass(frozen=True)
class CreateSurvey(SurveyRequest):
    name: str
    type: str
    scale: str | None = None
    question: str | None = None
    #: (language, question) pairs overriding the catalogs' standard question.
    translations: tuple[tuple[str, str], ...] = ()
    comment: bool = True
    company: str | None = None
    #: (answer field, JSON path) pairs for another tool's webhook payload.
    mapping: tuple[tuple[str, str], ...] = ()
    writes: ClassVar[bool] = True

    def __post_init__(self) -> None:
        check_name(self.name)
        if self.type not in SURVEY_TYPES:
            raise ConfigError(f"--type {self.type!r} is not one of: {', '.join(SURVEY_TYPES)}.")
        parse_scale(self.type, self.scale)
        for lang, _ in self.translations:
            if lang not in LANGUAGES:
                raise InputError(
                    f"Translation language {lang!r} is not one of: {', '.join(LANGUAGES)}."
                )
        from retentionkit.surveys.webhooks import check_mapping

        check_mapping(dict(self.mapping))
        for text in (self.question, self.company, *(q for _, q in self.translations)):
            if text is not None and not (0 < len(text.strip()) <= 300):
                raise InputError(f"Survey text {text[:40]!r} must have 1 to 300 characters.")


@dataclass(frozen=True)
class ListSurveys(SurveyRequest):
    pass


@dataclass(frozen=True)
class ShowSurvey(SurveyRequest):
    name: str


@dataclass(frozen=True)
class DeleteSurvey(SurveyRequest):
    name: str
    writes: ClassVar[bool] = True


@dataclass(frozen=True)
class SurveyLinks(SurveyRequest):
    name: str
    customers: tuple[str, ...] = ()
    #: (attribute, value) of the customers table.
    segment: tuple[str, str] | None = None
    all: bool = False
    expires: str = "30d"
    base_url: str | None = None
    writes: ClassVar[bool] = True

    def __post_init__(self) -> None:
        chosen = sum((bool(self.customers), self.segment is not None, self.all))
        if chosen != 1:
            raise ConfigError("Choose the customers with one of --customer, --segment or --all.")
        expiry(self.expires)
        if self.base_url is not None and not self.base_url.startswith(("http://", "https://")):
            raise ConfigError(f"--base-url {self.base_url!r} must start with http:// or https://.")


@dataclass(frozen=True)
class RotateSecret(SurveyRequest):
    writes: ClassVar[bool] = True


@dataclass(frozen=True)
class OpenLink(SurveyRequest):
    """What the answer page shows for a token (in the chosen language)."""

    token: str
    lang: str | None = None
    accept_language: str | None = None


@dataclass(frozen=True)
class AnswerLink(SurveyRequest):
    token: str
    score: str
    comment: str | None = None
    writes: ClassVar[bool] = True


@dataclass(frozen=True)
class ReceiveWebhook(SurveyRequest):
    name: str
    headers: tuple[tuple[str, str], ...]
    body: bytes = field(repr=False)
    writes: ClassVar[bool] = True


# -- operations ----------------------------------------------------------------------------


def _create(ws: Workspace, req: CreateSurvey) -> dict[str, Any]:
    lo, hi = parse_scale(req.type, req.scale)
    survey = Survey(
        name=req.name,
        type=req.type,  # type: ignore[arg-type]
        scale_min=lo,
        scale_max=hi,
        question=req.question.strip() if req.question else None,
        translations={k: v.strip() for k, v in req.translations},
        comment=req.comment,
        mapping=dict(req.mapping),
        company=req.company.strip() if req.company else None,
    )
    secret = store.new_webhook_secret()
    stored = store.insert_survey(ws, survey, secret)
    return {"survey": stored, "webhook_secret": secret}


def _customer_source(ws: Workspace) -> Any:
    for table in ("customers", "orders", "subscriptions"):
        if ws.has_table(table):
            return ws.table(table)
    from retentionkit.errors import MissingTableError

    raise MissingTableError(
        "Survey links need customers; ingest the customers (or orders) table first with "
        "'retentionkit ingest customers FILE'."
    )


def _customer_ids(ws: Workspace, req: SurveyLinks) -> list[str]:
    table = _customer_source(ws)
    if req.all:
        ids = table.select("customer_id").distinct().order_by("customer_id").execute()
        return [str(c) for c in ids["customer_id"]]
    if req.segment is not None:
        attr, value = req.segment
        if not ws.has_table("customers") or attr not in ws.table("customers").columns:
            raise InputError(
                f"--segment {attr}={value}: the customers table has no column {attr!r}."
            )
        c = ws.table("customers")
        ids = c.filter(c[attr].cast("string") == value).select("customer_id").execute()
        if ids.empty:
            raise InputError(f"--segment {attr}={value}: no customer has {attr} = {value!r}.")
        return sorted(str(x) for x in ids["customer_id"])
    known = table.filter(table.customer_id.isin(list(req.customers))).select("customer_id")
    found = set(known.execute()["customer_id"].astype(str))
    missing = [c for c in req.customers if c not in found]
    if missing:
        raise InputError(
            f"--customer {missing[0]}: no customer with that id in the workspace's "
            f"{table.get_name()} table."
        )
    return list(dict.fromkeys(req.customers))


def _links(ws: Workspace, req: SurveyLinks) -> list[SurveyLink]:
    store.get_survey(ws, req.name)
    return make_links(
        ws, req.name, _customer_ids(ws, req), expires=req.expires, base_url=req.base_url
    )


def _claims(ws: Workspace, token: str) -> tuple[LinkClaims, Survey]:
    from retentionkit.errors import UnknownNameError
    from retentionkit.surveys.links import InvalidLinkError

    claims = read_token(store.link_secrets(ws, create=False), token)
    try:
        survey = store.get_survey(ws, claims.survey)
    except UnknownNameError:  # deleted since the link was sent
        raise InvalidLinkError("This survey link is not valid.") from None
    return claims, survey


def _customer_language(ws: Workspace, customer_id: str) -> str | None:
    if not ws.has_table("customers") or "language" not in ws.table("customers").columns:
        return None
    row = sql(
        ws.con, "SELECT language FROM customers WHERE customer_id = ? LIMIT 1", [customer_id]
    ).fetchone()
    return str(row[0]) if row and row[0] is not None else None


_STANDARD = {
    "nps": ("Not at all likely", "Extremely likely"),
    "csat": ("Very dissatisfied", "Very satisfied"),
    "custom": ("Poor", "Excellent"),
}


def page_text(survey: Survey, lang: str) -> dict[str, Any]:
    """The question, scale and labels of ``survey``'s answer page in ``lang``."""
    _ = translator(lang).gettext
    if lang in survey.translations:
        question = survey.translations[lang]
    elif survey.question:
        question = survey.question
    elif survey.type == "nps":
        question = (
            _("How likely are you to recommend {company} to a friend or colleague?").format(
                company=survey.company
            )
            if survey.company
            else _("How likely are you to recommend us to a friend or colleague?")
        )
    elif survey.type == "csat":
        question = _("How satisfied were you with your recent purchase?")
    else:
        question = _("How would you rate your experience with us?")
    low, high = _STANDARD[survey.type]
    return {
        "question": question,
        "scale": list(survey.scale),
        "low_label": _(low),
        "high_label": _(high),
        "comment": survey.comment,
    }


def _open(ws: Workspace, req: OpenLink) -> dict[str, Any]:
    claims, survey = _claims(ws, req.token)
    lang = choose_language(
        req.lang, _customer_language(ws, claims.customer_id), req.accept_language
    )
    return {"lang": lang, "survey": survey.name, **page_text(survey, lang)}


def answer_links(ws: Workspace, reqs: list[AnswerLink]) -> list[Answer | RetentionkitError]:
    """Answer several links at once: each is checked on its own (its result is the error that
    refused it), the accepted ones are written in one statement, committed before this
    returns (group commit for the answer route)."""
    results: list[Answer | RetentionkitError] = []
    rows = []
    for req in reqs:
        try:
            claims, survey = _claims(ws, req.token)
            row = answer_row(
                survey,
                response_id=claims.response_id,
                customer_id=claims.customer_id,
                score=survey.check_score(req.score, "score"),
                comment=clean_comment(req.comment, "comment"),
                touchpoint="link",
            )
        except RetentionkitError as exc:
            results.append(exc)
            continue
        rows.append(row)
        results.append(as_answer(row))
    write_rows(ws, rows)
    return results


def _answer(ws: Workspace, req: AnswerLink) -> Answer:
    result = answer_links(ws, [req])[0]
    if isinstance(result, RetentionkitError):
        raise result
    return result


def _webhook(ws: Workspace, req: ReceiveWebhook) -> dict[str, Any]:
    import hashlib

    import pandas as pd

    from retentionkit.surveys.webhooks import extract, verify

    survey = store.get_survey(ws, req.name)
    headers = {k.lower(): v for k, v in req.headers}
    webhook_id = verify(store.webhook_secret(ws, req.name), headers, req.body)
    try:
        document = json.loads(req.body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(
            f"The webhook body is not valid JSON ({exc.__class__.__name__})."
        ) from None
    fields = extract(document, survey.mapping)
    score = survey.check_score(fields["score"], "score")
    customer = fields["customer_id"]
    if customer is None or not str(customer).strip():
        raise InputError("The webhook payload has no customer_id.")
    when = None
    if fields["responded_at"] is not None:
        try:
            stamp = pd.Timestamp(str(fields["responded_at"]))
        except ValueError:
            raise InputError(
                f"responded_at {str(fields['responded_at'])[:40]!r} is not an ISO 8601 time."
            ) from None
        if stamp.tzinfo is not None:
            stamp = stamp.tz_convert("UTC").tz_localize(None)
        when = stamp.to_pydatetime()
    response_id = "w-" + hashlib.sha256(f"{req.name}\x1f{webhook_id}".encode()).hexdigest()[:24]
    stored = write_answer(
        ws,
        survey,
        response_id=response_id,
        customer_id=str(customer).strip()[:200],
        score=score,
        comment=clean_comment(fields["comment"], "comment"),
        touchpoint="webhook",
        responded_at=when,
        delivery=webhook_id,
    )
    return {"stored": stored is not None, "response_id": response_id, "webhook_id": webhook_id}


def _show(ws: Workspace, req: ShowSurvey) -> dict[str, Any]:
    from retentionkit.surveys.summary import summarize

    return summarize(ws, store.get_survey(ws, req.name))


def _delete(ws: Workspace, req: DeleteSurvey) -> dict[str, Any]:
    store.delete_survey(ws, req.name)
    return {"deleted": req.name}


OPERATIONS: dict[type, Callable[[Workspace, Any], Any]] = {
    CreateSurvey: _create,
    ListSurveys: lambda ws, req: store.list_surveys(ws),
    ShowSurvey: _show,
    DeleteSurvey: _delete,
    SurveyLinks: _links,
    RotateSecret: lambda ws, req: {"secrets": store.add_secret(ws)},
    OpenLink: _open,
    AnswerLink: _answer,
    ReceiveWebhook: _webhook,
}


def run(ws: Workspace, request: SurveyRequest) -> Any:
    """Answer ``request`` on ``ws`` with the operation registered for its type; on a workspace
    owned by a running ``retentionkit serve`` (``ws.remote``), in that server."""
    remote = getattr(ws, "remote", None)
    if remote is not None:
        return remote.run(request)
    return OPERATIONS[type(request)](ws, request)


def utc_iso(when: dt.datetime) -> str:
    """``2026-12-30T04:44:05Z`` for an aware or a naive-UTC time."""
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return when.isoformat(timespec="seconds") + "Z"
