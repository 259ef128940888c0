"""The composition root: the web application (REST API + dashboard) and the HTML report, as
the ``retentionkit serve`` and ``retentionkit report`` commands start them. The only package
that imports several faces; no face and no core package imports it."""

from __future__ import annotations

from typing import Any

__all__ = ["create_app", "start_first_page", "write_report"]


def __getattr__(name: str) -> Any:
    """Imported on first use: ``serve`` starts the warm-up (:mod:`.warmup`) before FastAPI and
    the report's modules are loaded."""
    if name == "create_app":
        from retentionkit.server.app import create_app

        return create_app
    if name == "start_first_page":
        from retentionkit.server.warmup import start_first_page

        return start_first_page
    if name == "write_report":
        from retentionkit.report import write_report

        return write_report
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
