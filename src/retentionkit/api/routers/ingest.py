"""POST /api/ingest/{table} — the CLI's ``ingest`` over HTTP (admin key; all or nothing)."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, UploadFile

from retentionkit.api.routers._params import TableName
from retentionkit.service import IngestRequest, run
from retentionkit.service.requests import parse_pairs
from retentionkit.web.auth import AdminAuth, ServiceDep

router = APIRouter(tags=["ingest"], dependencies=[AdminAuth])

#: Largest accepted upload (bytes).
MAX_UPLOAD = 1 << 30
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _safe_name(filename: str | None) -> str:
    """The upload's base name made safe for the file system, keeping its suffix (the readers
    choose CSV/Parquet/JSON by it, and messages name the file the user sent)."""
    name = _UNSAFE.sub("_", Path((filename or "").replace("\\", "/")).name).lstrip(".")
    return name[-120:] or "upload"


@router.post("/ingest/{table}", summary="Load a file into a canonical table")
def ingest(
    table: TableName,  # type: ignore[valid-type]
    svc: ServiceDep,
    file: Annotated[UploadFile, File(description="CSV/TSV, Parquet, JSON or NDJSON.")],
    map: Annotated[list[str], Form(description="SOURCE=TARGET (repeatable).")] = [],  # noqa: B006
    set: Annotated[list[str], Form(description="COLUMN=VALUE (repeatable).")] = [],  # noqa: B006
    delimiter: Annotated[str | None, Form()] = None,
    date_format: Annotated[str | None, Form()] = None,
    timezone: Annotated[str | None, Form()] = None,
    no_header: Annotated[bool, Form()] = False,
    columns: Annotated[str | None, Form()] = None,
    generate_id: Annotated[bool, Form()] = False,
    line_items: Annotated[bool, Form()] = False,
    drop_missing_customer: Annotated[bool, Form()] = False,
    encoding: Annotated[str, Form()] = "utf-8",
) -> dict[str, Any]:
    """Validate the whole file, then upsert it on the primary key — or write nothing and answer
    422 with the one-sentence reason (which line, column, value and what was expected)."""
    from retentionkit.errors import RetentionkitError

    mapping = parse_pairs(map, "--map")
    constants = parse_pairs(set, "--set")
    folder = tempfile.mkdtemp(prefix="retentionkit-upload-")
    tmp = os.path.join(folder, _safe_name(file.filename))
    try:
        size = 0
        with open(tmp, "wb") as out:
            while chunk := file.file.read(1 << 20):
                size += len(chunk)
                if size > MAX_UPLOAD:
                    raise HTTPException(413, f"The upload is larger than {MAX_UPLOAD >> 20} MB.")
                out.write(chunk)
        request = IngestRequest(
            table,
            Path(tmp),
            mapping=mapping,
            date_format=date_format,
            timezone=timezone,
            delimiter=delimiter,
            header=not no_header,
            columns=columns,
            constants=constants,
            generate_id=generate_id,
            line_items=line_items,
            drop_missing_customer=drop_missing_customer,
            encoding=encoding,
        )
        report = svc.write(lambda ws: run(ws, request).report)
    except RetentionkitError as exc:
        # messages name the user's file, never the server's temporary folder
        exc.args = (str(exc).replace(folder + os.sep, ""),)
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result = report.as_dict()
    result["source"] = Path(file.filename or result["source"]).name
    return result
