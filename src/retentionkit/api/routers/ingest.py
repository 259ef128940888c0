"""POST /api/ingest/{table} — the CLI's ``ingest`` over HTTP (admin key; all or nothing).

The admin key is checked before any byte of the body is read, and the body streams with the
server's size limit (:mod:`retentionkit.web.uploads`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from retentionkit.api.routers._params import TableName
from retentionkit.web.auth import AdminAuth, ServiceDep, SettingsDep
from retentionkit.web.uploads import receive_upload, strip_folder

router = APIRouter(tags=["ingest"], dependencies=[AdminAuth])

_FORM_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "map": {"type": "array", "items": {"type": "string"}},
                        "set": {"type": "array", "items": {"type": "string"}},
                        **{
                            name: {"type": "string"}
                            for name in ("delimiter", "date_format", "timezone", "columns")
                        },
                        "encoding": {"type": "string", "default": "utf-8"},
                        **{
                            name: {"type": "boolean", "default": False}
                            for name in (
                                "no_header",
                                "generate_id",
                                "line_items",
                                "drop_missing_customer",
                            )
                        },
                    },
                }
            }
        },
    }
}


@router.post(
    "/ingest/{table}", summary="Load a file into a canonical table", openapi_extra=_FORM_DOC
)
async def ingest(
    table: TableName,  # type: ignore[valid-type]
    request: Request,
    svc: ServiceDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    """Validate the whole file, then upsert it on the primary key — or write nothing and answer
    422 with the one-sentence reason (which line, column, value and what was expected). Form
    fields as the CLI flags: file, map and set (repeatable), delimiter, date_format, timezone,
    no_header, columns, generate_id, line_items, drop_missing_customer, encoding."""
    from retentionkit.errors import RetentionkitError
    from retentionkit.schema.contracts import contract
    from retentionkit.service import IngestRequest, run
    from retentionkit.service.requests import parse_pairs

    contract(table)  # an unknown table is a 422 listing the valid ones, before any upload
    upload = await receive_upload(request, settings.max_upload_bytes)
    try:
        mapping = parse_pairs(upload.texts("map"), "--map")
        constants = parse_pairs(upload.texts("set"), "--set")
        columns = upload.text("columns")
        ingest_request = IngestRequest(
            table,
            upload.path,
            mapping=mapping,
            date_format=upload.text("date_format") or None,
            timezone=upload.text("timezone") or None,
            delimiter=upload.text("delimiter") or None,
            header=not upload.flag("no_header"),
            columns=columns or None,
            constants=constants,
            generate_id=upload.flag("generate_id"),
            line_items=upload.flag("line_items"),
            drop_missing_customer=upload.flag("drop_missing_customer"),
            encoding=upload.text("encoding") or "utf-8",
        )
        report = await run_in_threadpool(svc.write, lambda ws: run(ws, ingest_request).report)
    except RetentionkitError as exc:
        exc.args = (strip_folder(str(exc), upload),)
        raise
    finally:
        upload.cleanup()
    result = report.as_dict()
    result["source"] = Path(upload.filename or result["source"]).name
    return result
