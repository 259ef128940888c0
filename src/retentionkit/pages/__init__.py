"""The dashboard's pages as view models, shared by the live dashboard
(:mod:`retentionkit.dashboard`) and the self-contained HTML report (:mod:`retentionkit.report`):
one module per page (``build(service, filters) -> dict``), the Plotly chart specs
(:mod:`~retentionkit.pages.charts`), the Jinja templates and static assets
(:mod:`~retentionkit.pages.render`). Not a face: it never imports one."""

from __future__ import annotations

from retentionkit.pages.common import Filters
from retentionkit.pages.registry import (
    PAGES,
    Page,
    page_html,
    page_key,
    pages_for,
    warm,
    warm_first,
)

__all__ = ["PAGES", "Filters", "Page", "page_html", "page_key", "pages_for", "warm", "warm_first"]
