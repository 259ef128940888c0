"""Dashboard pages (server-rendered Jinja2, autoescaped) mounted by
:func:`retentionkit.api.main.create_app`."""

from __future__ import annotations

import datetime as dt
import time
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from retentionkit.api.deps import COOKIE_NAME, ServiceDep, SettingsDep, get_keystore, require_read
from retentionkit.api.keys import KeyStore
from retentionkit.dashboard.goals_views import GOALS_NAV, goal_view, goals_view
from retentionkit.dashboard.views import Filters, Page, pages_for

__all__ = ["environment", "render_error", "router"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
router = APIRouter(include_in_schema=False)
Period = Literal["day", "week", "month", "quarter", "year"]


@lru_cache(maxsize=1)
def environment() -> Any:
    """The Jinja2 environment shared by the dashboard and the HTML report (autoescape on)."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def _render(
    template: str, code: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> HTMLResponse:
    context.setdefault("nav", [*((p.path, p.title) for p in pages_for()), GOALS_NAV])
    context.setdefault("inline", None)
    body = environment().get_template(template).render(**context)
    return HTMLResponse(body, status_code=code, headers=headers)


def render_error(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> HTMLResponse:
    return _render(
        "error.html",
        code=status,
        headers=headers,
        title=f"Error {status}",
        status=status,
        message=message,
        current=request.url.path,
    )


def _page_view(page: Page, svc: Any, filters: Filters, request: Request) -> HTMLResponse:
    t0 = time.perf_counter()
    view = page.build(svc, filters)
    took = time.perf_counter() - t0
    return _render(
        "page.html",
        headers={"Server-Timing": f"build;dur={took * 1000:.1f}"},
        title=page.title,
        page=page,
        v=view,
        f=filters,
        current=page.path,
    )


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
    def handler(
        request: Request,
        svc: ServiceDep,
        period: PeriodQ = None,
        from_: FromQ = None,
        to: ToQ = None,
        segment: SegmentQ = None,
        metric: Annotated[list[str] | None, Query()] = None,
        kind: Annotated[str | None, Query(max_length=40)] = None,
    ) -> HTMLResponse:
        filters = _filters(page, period, from_, to, segment, metric, kind)
        return _page_view(page, svc, filters, request)

    handler.__name__ = f"page_{page.slug}"
    router.add_api_route(
        page.path,
        handler,
        methods=["GET"],
        response_class=HTMLResponse,
        dependencies=[Depends(require_read)],
    )


def _register_pages() -> None:
    for page in pages_for():
        _add_page(page)


_register_pages()


@router.get("/goals", response_class=HTMLResponse, dependencies=[Depends(require_read)])
def goals_page(svc: ServiceDep) -> HTMLResponse:
    return _render("goals.html", title="Goals", v=goals_view(svc), current="/goals")


@router.get("/goals/{name}", response_class=HTMLResponse, dependencies=[Depends(require_read)])
def goal_page(name: str, svc: ServiceDep) -> HTMLResponse:
    return _render("goal.html", title=name, v=goal_view(svc, name), current="/goals")


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
