"""The one way a router answers: a result's records as JSON."""

from __future__ import annotations

from fastapi import Response

from retentionkit.service import Result
from retentionkit.service.serialize import dump_json, frame_records

__all__ = ["json_records"]


def json_records(result: Result) -> Response:
    """``result.frame`` as the JSON records ``--format json`` prints for the same request; a
    result that names its model (CLV, at-risk) also sends it in the headers
    ``X-Retentionkit-Model`` and ``X-Retentionkit-Model-Status``."""
    assert result.frame is not None
    headers = {}
    if result.model_used is not None:
        headers["X-Retentionkit-Model"] = str(result.model_used)
        headers["X-Retentionkit-Model-Status"] = str(result.model_status)
    return Response(
        dump_json(frame_records(result.frame)), media_type="application/json", headers=headers
    )
