"""The one way a router answers: a result's records as JSON."""

from __future__ import annotations

from fastapi import Response

from retentionkit.service import Result
from retentionkit.service.serialize import dump_json, frame_records

__all__ = ["json_records"]


def json_records(result: Result) -> Response:
    """``result.frame`` as the JSON records ``--format json`` prints for the same request."""
    assert result.frame is not None
    return Response(dump_json(frame_records(result.frame)), media_type="application/json")
