"""Error responses of the web app: JSON ``{"detail": message}`` for the API, the error page for
a browser on a dashboard path. A :class:`~retentionkit.errors.RetentionkitError` becomes its
``http_status``; invalid query or form parameters become 422 with the reason."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from retentionkit.errors import AuthError, RetentionkitError

__all__ = ["ERROR_RESPONSES", "ErrorBody", "error_page", "error_response", "install_handlers"]


class ErrorBody(BaseModel):
    """The one body of every 4xx answer of the API: one sentence in ``detail``; ``errors``
    (where, what, which rule) only for invalid parameters (422 from request validation)."""

    detail: str
    errors: list[dict[str, Any]] | None = None


#: Declared on every API route (``include_router(..., responses=ERROR_RESPONSES)``), so the
#: OpenAPI document describes what is returned: 400 bad input, 401 no or wrong key, 403 key
#: without the right, 404 unknown path, 409 table not loaded, 413 upload too large, 422
#: invalid parameter or value (docs/web.md).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in (
        (400, "Bad input: one sentence naming the file, row, column or value"),
        (401, "Missing or wrong API key"),
        (403, "The key lacks the right"),
        (404, "Not found"),
        (409, "A table the request needs is not loaded; the sentence says which to ingest"),
        (413, "Upload too large"),
        (422, "Invalid parameter or value"),
    )
}


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(("/api", "/docs", "/openapi")) and "text/html" in (
        request.headers.get("accept", "")
    )


def _reason(errors: list[Any]) -> str:
    parts = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("query", "body", "path", "form")]
        where = ".".join(loc) or "request"
        got = err.get("input")
        shown = f" (got {got!r})" if isinstance(got, (str, int, float)) else ""
        parts.append(f"{where}: {err.get('msg', 'invalid value')}{shown}")
    return "Invalid parameter " + "; ".join(parts) + "."


def _plain(errors: Any) -> list[dict[str, Any]]:
    return [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type", "")}
        for e in errors
    ]


def error_page(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> HTMLResponse:
    """The dashboard's error page."""
    from retentionkit.pages.render import render

    body = render(
        "error.html",
        title=f"Error {status}",
        status=status,
        message=message,
        current=request.url.path,
    )
    return HTMLResponse(body, status_code=status, headers=headers)


def error_response(request: Request, status: int, message: str) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if _wants_html(request):
        return error_page(request, status, message, headers=headers)
    return JSONResponse({"detail": message}, status_code=status, headers=headers)


def install_handlers(app: FastAPI) -> None:
    """Map library errors, invalid parameters and HTTP errors to responses."""

    @app.exception_handler(RetentionkitError)
    async def _library_error(request: Request, exc: RetentionkitError) -> Response:
        status = exc.http_status if not isinstance(exc, AuthError) else 401
        return error_response(request, status, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if _wants_html(request):
            return error_response(request, 422, _reason(list(exc.errors())))
        return JSONResponse(
            {"detail": _reason(list(exc.errors())), "errors": _plain(exc.errors())},
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return error_response(request, exc.status_code, str(exc.detail))
