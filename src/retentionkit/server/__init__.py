"""The composition root: the web application (REST API + dashboard) and the HTML report, as
the ``retentionkit serve`` and ``retentionkit report`` commands start them. The only package
that imports several faces; no face and no core package imports it."""

from __future__ import annotations

from retentionkit.report import write_report
from retentionkit.server.app import create_app, start_first_page

__all__ = ["create_app", "start_first_page", "write_report"]
