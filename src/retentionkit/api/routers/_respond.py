"""The one way a router answers: a result's records as JSON."""

from __future__ import annotations

import json
from collections.abc import Hashable

from fastapi import Response
from starlette.concurrency import run_in_threadpool

from retentionkit.service import Request, Result
from retentionkit.service.serialize import dump_json, frame_records
from retentionkit.web.service import MISSING, WorkspaceService

__all__ = ["records_response"]

#: A response's parts as cached: the body and the extra headers (immutable).
Encoded = tuple[bytes, tuple[tuple[str, str], ...]]


def _encode(result: Result) -> Encoded:
    assert result.frame is not None
    headers: tuple[tuple[str, str], ...] = ()
    if result.model_used is not None:
        headers = (
            ("X-Retentionkit-Model", str(result.model_used)),
            ("X-Retentionkit-Model-Status", str(result.model_status)),
            # the sentences the CLI prints as "warning: …" (a customer sample, no credible
            # model, left-out spend …) as a JSON list, \u-escaped: header values are ASCII
            ("X-Retentionkit-Warnings", json.dumps(result.warnings, ensure_ascii=True)),
        )
    return dump_json(frame_records(result.frame)).encode("utf-8"), headers


def _response(encoded: Encoded) -> Response:
    body, headers = encoded
    return Response(body, media_type="application/json", headers=dict(headers))


async def records_response(svc: WorkspaceService, request: Request) -> Response:
    """``svc.request(request)``'s frame as the JSON records ``--format json`` prints for the
    same request; a result that names its model (CLV, at-risk) also sends it in the headers
    ``X-Retentionkit-Model`` and ``X-Retentionkit-Model-Status``, and its warnings as a JSON
    list in ``X-Retentionkit-Warnings``. Encoded once per data
    version: a
    repeated request is answered from the encoded body on the event loop (no worker thread,
    no copy of the result, no JSON encoding); the first one computes in a worker thread.
    Authentication has run before (the router's dependencies), for every request."""
    key: Hashable = ("json-records", request)
    encoded = svc.peek(key)
    if encoded is MISSING:
        encoded = await run_in_threadpool(svc.derived, key, lambda: _encode(svc.request(request)))
    return _response(encoded)
