"""Surveys over HTTP.

* ``POST /api/surveys/{name}/responses``: answers from another tool, signed with the Standard
  Webhooks scheme and the survey's ``whsec_…`` secret (no API key: the signature is the
  credential; rate limited per client IP like the answer page, 429). 401 when the signature,
  the headers or the timestamp (±5 min) are wrong; a
  replayed ``webhook-id`` is answered 200 with ``"stored": false`` and written once.
* ``GET /api/surveys`` and ``GET /api/surveys/{name}``: the definitions and one survey's
  results (read key).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from retentionkit.surveys.service import ListSurveys, ReceiveWebhook, ShowSurvey, run
from retentionkit.web.auth import ReadAuth, ServiceDep
from retentionkit.web.ratelimit import app_limits

router = APIRouter(tags=["surveys"])

#: Largest accepted webhook body (bytes).
MAX_WEBHOOK_BODY = 65536


@router.get("/surveys", summary="Survey definitions", dependencies=[ReadAuth])
def list_surveys(svc: ServiceDep) -> list[dict[str, Any]]:
    return [
        {
            "name": s.name,
            "type": s.type,
            "scale_min": s.scale_min,
            "scale_max": s.scale_max,
            "comment": s.comment,
            "created_at": s.created_at,
        }
        for s in svc.run(lambda ws: run(ws, ListSurveys()))
    ]


@router.get("/surveys/{name}", summary="One survey's results", dependencies=[ReadAuth])
def show_survey(name: str, svc: ServiceDep) -> dict[str, Any]:
    """Answers, response rate, NPS / CSAT / mean score with its 95 % interval, comments."""
    return svc.run(lambda ws: run(ws, ShowSurvey(name)))  # type: ignore[no-any-return]


@router.post("/surveys/{name}/responses", summary="Receive a signed answer (Standard Webhooks)")
async def receive(name: str, request: Request, svc: ServiceDep) -> dict[str, Any]:
    """JSON ``{customer_id, score, responded_at, comment}`` (or the survey's mapped paths)
    with the headers ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature``."""
    if not app_limits(request.app).ip.allow(request.client.host if request.client else "-"):
        raise HTTPException(429, "Too many webhook deliveries from this address; retry later.")
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_WEBHOOK_BODY):
        raise HTTPException(413, f"The webhook body is larger than {MAX_WEBHOOK_BODY:,} bytes.")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_WEBHOOK_BODY:
            raise HTTPException(413, f"The webhook body is larger than {MAX_WEBHOOK_BODY:,} bytes.")
    headers = tuple(
        (k, request.headers[k])
        for k in ("webhook-id", "webhook-timestamp", "webhook-signature")
        if k in request.headers
    )
    req = ReceiveWebhook(name, headers, body)
    return await run_in_threadpool(svc.write, lambda ws: run(ws, req))  # type: ignore[no-any-return]
