"""Uploads: authenticate first, then stream the body with a size limit (issue 11).

The ingest route declares no ``File``/``Form`` parameters, so FastAPI reads nothing before its
dependencies (the admin key check) have run. :func:`receive_upload` then parses the multipart
body from a ``receive`` wrapper that counts bytes: a declared ``Content-Length`` over the limit
is refused before reading, and a body that crosses the limit is refused (413) at that chunk,
so at most ``limit`` bytes are ever spooled. The file is saved under a safe name (the readers
choose CSV/Parquet/JSON by its suffix) in a private temporary folder.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request

__all__ = ["DEFAULT_MAX_UPLOAD_BYTES", "Upload", "receive_upload", "safe_name"]

#: Largest accepted upload by default (1 GiB); ``serve --max-upload-mb`` changes it.
DEFAULT_MAX_UPLOAD_BYTES = 1 << 30
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


def safe_name(filename: str | None) -> str:
    """The upload's base name made safe for the file system, keeping its suffix (the readers
    choose CSV/Parquet/JSON by it, and messages name the file the user sent)."""
    name = _UNSAFE.sub("_", Path((filename or "").replace("\\", "/")).name).lstrip(".")
    return name[-120:] or "upload"


def too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"The upload is larger than the server's limit of {limit:,} bytes.")


@dataclass
class Upload:
    """A received upload: the saved file, the name the client gave it and the form fields."""

    path: Path
    filename: str
    folder: str
    fields: dict[str, list[str]] = field(default_factory=dict)

    def text(self, name: str, default: str | None = None) -> str | None:
        values = self.fields.get(name)
        return values[-1] if values else default

    def texts(self, name: str) -> list[str]:
        return list(self.fields.get(name, []))

    def flag(self, name: str) -> bool:
        """A form boolean as FastAPI reads one (true/false, 1/0, yes/no, on/off)."""
        value = (self.text(name) or "").strip().lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise HTTPException(422, f"Form field {name!r} must be true or false, not {value!r}.")

    def cleanup(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


async def receive_upload(request: Request, limit: int, file_field: str = "file") -> Upload:
    """Parse a ``multipart/form-data`` body of at most ``limit`` bytes into an :class:`Upload`
    (413 past the limit, 400 for a body that is not multipart form data, 422 without a file)."""
    from starlette.datastructures import UploadFile
    from starlette.formparsers import MultiPartException

    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise HTTPException(
            400, "The upload must be multipart/form-data with the file in a 'file' field."
        )
    received = 0
    receive = request.receive

    async def counting_receive() -> Any:
        nonlocal received
        message = await receive()
        if message.get("type") == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise too_large(limit)
        return message

    limited = Request(request.scope, counting_receive)
    try:
        form = await limited.form(max_files=1, max_fields=200)
    except MultiPartException as exc:
        raise HTTPException(400, f"The upload is not valid multipart form data ({exc}).") from None
    folder = tempfile.mkdtemp(prefix="retentionkit-upload-")
    try:
        fields: dict[str, list[str]] = {}
        upload = None
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                if key == file_field:
                    upload = value
            else:
                fields.setdefault(key, []).append(value)
        if upload is None:
            raise HTTPException(422, f"The upload needs the file in a {file_field!r} field.")
        target = Path(folder) / safe_name(upload.filename)
        with open(target, "wb") as out:
            shutil.copyfileobj(upload.file, out, 1 << 20)
        return Upload(target, Path(upload.filename or target.name).name, folder, fields)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        await form.close()


def strip_folder(message: str, upload: Upload) -> str:
    """Messages name the user's file, never the server's temporary folder."""
    return message.replace(upload.folder + os.sep, "")
