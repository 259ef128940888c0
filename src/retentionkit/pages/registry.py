"""The dashboard's pages, in navigation order, and the cache warm-up."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from retentionkit.pages import (
    at_risk,
    automations,
    clv,
    cohorts,
    feedback,
    goals,
    mrr,
    overview,
    segments,
    trends,
)
from retentionkit.pages.common import PERIOD_CHOICES, Filters
from retentionkit.service.features import available_features
from retentionkit.service.options import COHORT_PERIODS

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.web.service import WorkspaceService

__all__ = ["PAGES", "Page", "page_html", "page_key", "pages_for", "warm", "warm_first"]


@dataclass(frozen=True)
class Page:
    slug: str
    path: str
    title: str
    build: Callable[[WorkspaceService, Filters], dict[str, Any]]
    feature: str | None = None  # the Workspace method the page needs
    default_period: str = "month"
    periods: tuple[str, ...] = PERIOD_CHOICES
    lane: str = "main"  # where its slowest call runs (warm-up order)
    options: dict[str, Any] = field(default_factory=dict)
    #: One page per item at ``{path}/{name}`` (e.g. one per goal): its view model and template.
    build_item: Callable[[WorkspaceService, str], dict[str, Any]] | None = None
    item_template: str | None = None
    #: Its view is a function of the data version and the filters alone (every call it makes
    #: goes through the service's result cache), so the dashboard may keep the rendered page
    #: per data version. False for a page that reads live state (the automations' next due
    #: actions depend on the clock).
    cache: bool = True


PAGES: list[Page] = [
    Page("overview", "/", "Overview", overview.build),
    Page("trends", "/trends", "Trends", trends.build),
    Page("cohorts", "/cohorts", "Cohorts", cohorts.build, "cohorts", periods=COHORT_PERIODS),
    Page("mrr", "/mrr", "MRR movements", mrr.build),
    Page("feedback", "/feedback", "NPS & CSAT", feedback.build, default_period="quarter"),
    Page("clv", "/clv", "CLV", clv.build, "clv", periods=(), lane="slow"),
    Page("at-risk", "/at-risk", "At risk", at_risk.build, "churn", periods=(), lane="slow"),
    Page("segments", "/segments", "Segments", segments.build, "segments", periods=()),
    Page(
        "goals",
        "/goals",
        "Goals",
        goals.build,
        periods=(),
        build_item=goals.build_item,
        item_template="goal.html",
    ),
    Page("automations", "/automations", "Automations", automations.build, periods=(), cache=False),
]


def pages_for(features: set[str] | None = None) -> list[Page]:
    """The pages whose library function exists."""
    have = available_features() if features is None else features
    return [p for p in PAGES if p.feature is None or p.feature in have]


def page_html(page: Page, svc: WorkspaceService, filters: Filters) -> str:
    """The dashboard page for ``filters``: its view model rendered into ``page.html``."""
    from retentionkit.pages.render import render

    view = page.build(svc, filters)
    return render("page.html", title=page.title, page=page, v=view, f=filters, current=page.path)


def page_key(page: Page, filters: Filters) -> tuple[str, str, Filters]:
    """The key of ``page``'s rendered HTML for ``filters`` in the service's derived cache
    (:meth:`~retentionkit.web.service.WorkspaceService.derived`), for a cacheable page."""
    return ("page", page.slug, filters)


def warm_first(svc: WorkspaceService) -> None:
    """Render the first page of the navigation (the overview) for its default filters into
    the cache, before anything else (:func:`warm` then finds it there)."""
    page = pages_for()[0]
    filters = Filters(period=page.default_period)
    with contextlib.suppress(Exception):  # a page without its tables: it will explain itself
        svc.derived(page_key(page, filters), partial(page_html, page, svc, filters))


#: Pages warmed before the others of their lane: the at-risk list is what a team acts on, and
#: its ``model="auto"`` choice is the CLV page's too (kept in-process by
#: :mod:`retentionkit.clv.memo`), so the CLV page after it costs its predictions only.
WARM_FIRST = ("at-risk",)


def warm(svc: WorkspaceService, lane: str | None = None) -> None:
    """Fill the cache with the default view of every page (and the period switch), rendered
    for a cacheable page; with ``lane``, only the pages whose slow call runs there."""
    for page in sorted(pages_for(), key=lambda p: p.slug not in WARM_FIRST):
        if lane is not None and page.lane != lane:
            continue
        periods = PERIOD_CHOICES if page.slug in ("overview", "trends") else (page.default_period,)
        for period in periods:
            if svc.closing:  # the server is stopping: no more pages
                return
            filters = Filters(period=period)
            try:
                if page.cache:
                    key = page_key(page, filters)
                    svc.derived(key, partial(page_html, page, svc, filters))
                else:
                    page.build(svc, filters)
            except Exception:  # a page without its tables: it will explain itself
                continue
