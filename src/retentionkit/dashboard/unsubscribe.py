"""The public unsubscribe page of automation emails: ``GET /u/{token}`` asks for a
confirmation (so a mail scanner following links unsubscribes nobody), ``POST /u/{token}``
records the opt-out (also the RFC 8058 one-click POST of ``List-Unsubscribe-Post``). No key:
the signed token is the credential (:mod:`retentionkit.automations.links`)."""

from __future__ import annotations

import html

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from retentionkit.automations.service import Unsubscribe, run
from retentionkit.web.auth import ServiceDep

router = APIRouter(include_in_schema=False)

_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>Unsubscribe</title>"
    "<meta name='viewport' content='width=device-width, initial-scale=1'></head>"
    "<body style='font-family:sans-serif;max-width:32rem;margin:3rem auto'>{body}</body></html>"
)
_HEADERS = {"Content-Security-Policy": "default-src 'none'; form-action 'self'"}


def _page(body: str, code: int = 200) -> HTMLResponse:
    return HTMLResponse(_PAGE.format(body=body), status_code=code, headers=_HEADERS)


@router.get("/u/{token}", response_class=HTMLResponse)
def confirm(token: str, svc: ServiceDep) -> HTMLResponse:
    svc.run(lambda ws: run(ws, Unsubscribe(token, confirm=False)))
    return _page(
        "<p>Stop receiving these emails?</p>"
        f"<form method='post' action='/u/{html.escape(token)}'>"
        "<button type='submit'>Unsubscribe</button></form>"
    )


@router.post("/u/{token}", response_class=HTMLResponse)
async def unsubscribe(token: str, svc: ServiceDep) -> HTMLResponse:
    await run_in_threadpool(svc.write, lambda ws: run(ws, Unsubscribe(token, confirm=True)))
    return _page("<p>You are unsubscribed; you will not receive these emails any more.</p>")
