"""The public survey answer page, ``GET /s/{token}`` and ``POST /s/{token}`` (no key: the
signed token is the credential; nothing else becomes public).

* language: ``?lang=``, else the customer's ``language`` attribute, else Accept-Language, else
  English (:func:`retentionkit.surveys.i18n.choose_language`);
* POST takes ``application/x-www-form-urlencoded`` fields ``score`` and ``comment``, at most
  ``max_body`` bytes (413), refuses a cross-site post (``Origin`` / ``Sec-Fetch-Site``, 403),
  and is rate limited per client IP and per token (429); the answer is committed before the
  thank-you page is sent, on the workspace service's write path (so the KPI cache is cleared),
  in a group commit with the answers posted at the same moment
  (:class:`retentionkit.web.batcher.GroupCommit`);
* a tampered or unknown token gets the localised "link not valid" page (404), an expired one
  "link expired" (410); nothing is written;
* every response carries a strict CSP (no script at all), ``X-Content-Type-Options``,
  ``Referrer-Policy: no-referrer`` and ``frame-ancestors 'none'``; all text is autoescaped;
  the page never redirects.
"""

from __future__ import annotations

import functools
import threading
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from retentionkit.errors import InputError
from retentionkit.pages.render import render
from retentionkit.surveys.answers import MAX_COMMENT
from retentionkit.surveys.i18n import choose_language, translator
from retentionkit.surveys.links import ExpiredLinkError, InvalidLinkError
from retentionkit.surveys.service import AnswerLink, OpenLink, answer_links, run
from retentionkit.web.auth import service_for
from retentionkit.web.batcher import GroupCommit
from retentionkit.web.ratelimit import AppLimits, app_limits
from retentionkit.web.settings import app_settings

__all__ = ["SECURITY_HEADERS", "router"]

router = APIRouter(include_in_schema=False)

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
_state_lock = threading.Lock()


def _limits(request: Request) -> AppLimits:
    return app_limits(request.app)


def _service(request: Request) -> Any:
    return service_for(request, app_settings(request.app))


def _committer(request: Request) -> GroupCommit[AnswerLink]:
    """The app's group commit of answers for its workspace service (created on first use)."""
    svc = _service(request)
    with _state_lock:
        committers = request.app.state.__dict__.setdefault("survey_committers", {})
        committer = committers.get(id(svc))
        if committer is None or committer.svc is not svc:
            committer = committers[id(svc)] = GroupCommit(svc, answer_links)
        return committer  # type: ignore[no-any-return]


def _lang(request: Request) -> str:
    return choose_language(
        request.query_params.get("lang"), None, request.headers.get("accept-language")
    )


def _page(template: str, status: int, lang: str, **context: Any) -> HTMLResponse:
    body = render(template, lang=lang, **context)
    return HTMLResponse(body, status_code=status, headers=SECURITY_HEADERS)


def _message(kind: str, status: int, lang: str) -> HTMLResponse:
    return HTMLResponse(_message_body(kind, lang), status_code=status, headers=SECURITY_HEADERS)


@functools.cache
def _message_body(kind: str, lang: str) -> str:
    """The page of a fixed message (thanks, not valid, expired, busy), rendered once per
    language."""
    _ = translator(lang).gettext
    texts = {
        "invalid": (
            "This link is not valid",
            "Please check that the whole link was copied, or ask us for a new one.",
        ),
        "expired": (
            "This link has expired",
            "Survey links are valid for a limited time. Please ask us for a new one.",
        ),
        "thanks": (
            "Thank you!",
            "Your answer has been saved. You can change it with the same link until it expires.",
        ),
        "busy": ("Survey", "Too many answers in a short time. Please try again in a minute."),
    }
    heading, text = texts[kind]
    return render(
        "survey/message.html",
        lang=lang,
        kind=kind,
        title=_(heading),
        heading=_(heading),
        text=_(text),
    )


def _link_error(exc: Exception, lang: str) -> HTMLResponse:
    if isinstance(exc, ExpiredLinkError):
        return _message("expired", 410, lang)
    return _message("invalid", 404, lang)


def _form(
    view: dict[str, Any],
    status: int,
    *,
    error: str | None = None,
    chosen: str | None = None,
    comment: str | None = None,
) -> HTMLResponse:
    lang = view["lang"]
    _ = translator(lang).gettext
    return _page(
        "survey/answer.html",
        status,
        lang,
        title=_("Survey"),
        question=view["question"],
        scale=view["scale"],
        low_label=view["low_label"],
        high_label=view["high_label"],
        comment=view["comment"],
        comment_label=_("Anything you would like to tell us? (optional)"),
        send=_("Send"),
        error=error,
        chosen=chosen,
        comment_text=comment,
        max_comment=MAX_COMMENT,
    )


@router.get("/s/{token}", response_class=HTMLResponse)
def answer_page(request: Request, token: str) -> HTMLResponse:
    """The question and its scale as big buttons, in the visitor's language."""
    lang = _lang(request)
    if not _limits(request).ip.allow(_client(request)):
        return _message("busy", 429, lang)
    svc = _service(request)
    req = OpenLink(
        token[:2000],
        lang=request.query_params.get("lang"),
        accept_language=request.headers.get("accept-language"),
    )
    try:
        view = svc.run(lambda ws: run(ws, req))
    except (InvalidLinkError, ExpiredLinkError) as exc:
        return _link_error(exc, lang)
    return _form(view, 200)


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _foreign_origin(request: Request) -> bool:
    """A cross-site form post: ``Sec-Fetch-Site`` says so, or ``Origin`` names another site.

    With ``Referrer-Policy: no-referrer`` browsers send ``Origin: null`` even for the page's
    own form, so a ``null`` origin is accepted only when ``Sec-Fetch-Site: same-origin``
    vouches for it."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return True
    origin = request.headers.get("origin")
    if origin is None:
        return False
    if origin == "null":
        return site != "same-origin"
    own = f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"
    return origin.rstrip("/").lower() != own.lower()


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is longer than ``limit`` bytes (read no further)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/s/{token}", response_class=HTMLResponse)
async def answer(request: Request, token: str) -> HTMLResponse:
    """Store the answer (replacing this link's earlier one) and thank the customer."""
    lang = _lang(request)
    limits = _limits(request)
    if _foreign_origin(request):
        return HTMLResponse(
            "Cross-origin form posts are not accepted.", status_code=403, headers=SECURITY_HEADERS
        )
    if not limits.ip.allow(_client(request)) or not limits.token.allow(token[:2000]):
        return _message("busy", 429, lang)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("application/x-www-form-urlencoded", ""):
        return HTMLResponse(
            "The answer must be sent as an HTML form (application/x-www-form-urlencoded).",
            status_code=415,
            headers=SECURITY_HEADERS,
        )
    body = await _read_body(request, limits.limits.max_body)
    if body is None:
        return HTMLResponse(
            f"The answer is larger than {limits.limits.max_body:,} bytes.",
            status_code=413,
            headers=SECURITY_HEADERS,
        )
    try:
        fields = parse_qs(body.decode("utf-8"), max_num_fields=10, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        fields = None
    if fields is None:
        return HTMLResponse(
            "The form is not valid UTF-8 form data.", status_code=400, headers=SECURITY_HEADERS
        )
    score = (fields.get("score") or [""])[0]
    comment = (fields.get("comment") or [None])[0]
    svc = _service(request)
    try:
        await _committer(request).submit(AnswerLink(token[:2000], score, comment))
    except (InvalidLinkError, ExpiredLinkError) as exc:
        return _link_error(exc, lang)
    except InputError as exc:
        return await run_in_threadpool(_invalid_answer, svc, token, request, exc, score, comment)
    return _message("thanks", 200, lang)


def _invalid_answer(
    svc: Any, token: str, request: Request, exc: InputError, score: str, comment: str | None
) -> HTMLResponse:
    """The form again (422) with a localised reason: no score, a score off the scale, or a
    comment that is too long."""
    req = OpenLink(
        token[:2000],
        lang=request.query_params.get("lang"),
        accept_language=request.headers.get("accept-language"),
    )
    try:
        view = svc.run(lambda ws: run(ws, req))
    except (InvalidLinkError, ExpiredLinkError) as err:
        return _link_error(err, _lang(request))
    _ = translator(view["lang"]).gettext
    if "comment" in str(exc):
        error = _("Your comment is too long; please keep it under {limit} characters.").format(
            limit=MAX_COMMENT
        )
    else:
        error = _("Please choose a score from {min} to {max}.").format(
            min=view["scale"][0], max=view["scale"][-1]
        )
    return _form(view, 422, error=error, chosen=score, comment=comment)
