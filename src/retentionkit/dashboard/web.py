"""Dashboard pages (server-rendered Jinja2, autoescaped) mounted by
:func:`retentionkit.server.create_app`: one GET route per page of :mod:`retentionkit.pages`,
plus sign-in and sign-out."""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from retentionkit.pages import Filters, Page, page_html, page_key, pages_for
from retentionkit.pages.render import render
from retentionkit.service.options import Period
from retentionkit.web.auth import COOKIE_NAME, ServiceDep, SettingsDep, get_keystore, require_read
from retentionkit.web.keys import KeyStore
from retentionkit.web.service import MISSING, WorkspaceService

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _render(
    template: str, code: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> HTMLResponse:
    return HTMLResponse(render(template, **context), status_code=code, headers=headers)


async def _page_view(page: Page, svc: WorkspaceService, filters: Filters) -> HTMLResponse:
    """The rendered page; a cacheable page (:attr:`Page.cache`) is rendered once per data
    version and filters, and a repeated visit is answered on the event loop. The request's
    read access was checked before (the route's dependency), for every request. The header
    ``Server-Timing: build`` is the server's time for the page (a cache hit: the look-up)."""
    t0 = time.perf_counter()
    key = page_key(page, filters)
    html = svc.peek(key) if page.cache else MISSING
    if html is MISSING:
        if page.cache:
            html = await run_in_threadpool(svc.derived, key, lambda: page_html(page, svc, filters))
        else:
            html = await run_in_threadpool(page_html, page, svc, filters)
    took = time.perf_counter() - t0
    return HTMLResponse(html, headers={"Server-Timing": f"build;dur={took * 1000:.1f}"})


def _filters(
    page: Page,
    period: str | None,
    from_: dt.date | None,
    to: dt.date | None,
    segment: str | None,
    metric: list[str] | None = None,
    kind: str | None = None,
) -> Filters:
    return Filters(
        period=period or page.default_period,
        start=from_.isoformat() if from_ else None,
        end=to.isoformat() if to else None,
        segment=segment or None,
        metrics=tuple(m for m in (metric or []) if m),
        kind=kind or None,
    )


PeriodQ = Annotated[Period | None, Query()]
FromQ = Annotated[dt.date | None, Query(alias="from")]
ToQ = Annotated[dt.date | None, Query()]
SegmentQ = Annotated[str | None, Query(max_length=200)]


def _add_page(page: Page) -> None:
    async def handler(
        svc: ServiceDep,
        period: PeriodQ = None,
        from_: FromQ = None,
        to: ToQ = None,
        segment: SegmentQ = None,
        metric: Annotated[list[str] | None, Query()] = None,
        kind: Annotated[str | None, Query(max_length=40)] = None,
    ) -> HTMLResponse:
        filters = _filters(page, period, from_, to, segment, metric, kind)
        return await _page_view(page, svc, filters)

    handler.__name__ = f"page_{page.slug}"
    router.add_api_route(
        page.path,
        handler,
        methods=["GET"],
        response_class=HTMLResponse,
        dependencies=[Depends(require_read)],
    )


def _add_item_page(page: Page) -> None:
    """``{page.path}/{name}``: one page per item (e.g. per goal)."""
    assert page.build_item is not None and page.item_template is not None
    build_item, template = page.build_item, page.item_template

    def handler(name: str, svc: ServiceDep) -> HTMLResponse:
        return _render(template, title=name, v=build_item(svc, name), current=page.path)

    handler.__name__ = f"page_{page.slug}_item"
    router.add_api_route(
        f"{page.path}/{{name}}",
        handler,
        methods=["GET"],
        response_class=HTMLResponse,
        dependencies=[Depends(require_read)],
    )


def _register_pages() -> None:
    for page in pages_for():
        _add_page(page)
        if page.build_item is not None:
            _add_item_page(page)


_register_pages()

from retentionkit.dashboard.survey_pages import router as _survey_router  # noqa: E402

router.include_router(_survey_router)  # public: GET/POST /s/{token}

from retentionkit.dashboard.unsubscribe import router as _unsubscribe_router  # noqa: E402

router.include_router(_unsubscribe_router)  # public: GET/POST /u/{token}


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return _render("login.html", title="Sign in", current="/login", message=None)


@router.post("/login")
def login(
    request: Request,
    settings: SettingsDep,
    store: Annotated[KeyStore, Depends(get_keystore)],
    key: Annotated[str, Form(max_length=200)],
) -> Response:
    from retentionkit.errors import AuthError

    try:
        store.verify(key)
    except AuthError as exc:
        return _render("login.html", code=401, title="Sign in", current="/login", message=str(exc))
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        COOKIE_NAME,
        key,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=7 * 24 * 3600,
    )
    return response


@router.post("/logout")
def logout() -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE_NAME)
    return response
