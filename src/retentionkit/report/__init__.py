"""The self-contained HTML report: the dashboard's pages in one file (inline CSS, inline
plotly.js from the installed plotly package, no network access needed to open it)."""

from __future__ import annotations

from retentionkit.report.html import build_report, render_report, write_report

__all__ = ["build_report", "render_report", "write_report"]
