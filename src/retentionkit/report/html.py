"""Render every dashboard page into one HTML document."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.workspace import Workspace

__all__ = ["build_report", "write_report"]

STATIC = Path(__file__).resolve().parents[1] / "dashboard" / "static"


def _inline_script(text: str) -> Markup:
    """Script text safe to place between <script> tags."""
    return Markup(text.replace("</script", "<\\/script").replace("<!--", "<\\!--"))


def _inline_style(text: str) -> Markup:
    return Markup(text.replace("</style", "<\\/style"))


def build_report(
    ws: Workspace, *, period: str = "month", start: str | None = None, end: str | None = None
) -> str:
    """The report's HTML: the same sections as the dashboard, each built by the same view."""
    from retentionkit.api.main import plotly_js_path
    from retentionkit.api.service import WorkspaceService
    from retentionkit.dashboard.views import Filters, pages_for
    from retentionkit.dashboard.web import environment
    from retentionkit.errors import RetentionkitError

    svc = WorkspaceService(workspace=ws)
    sections: list[dict[str, Any]] = []
    filters = Filters(period=period, start=start, end=end)
    for page in pages_for():
        try:
            view, error = page.build(svc, filters), None
        except RetentionkitError as exc:  # e.g. no subscriptions: say so in that section
            view, error = None, str(exc)
        sections.append({"page": page, "view": view, "error": error})
    from retentionkit.dashboard.goals_views import GOALS_PAGE, goals_view

    sections.append({"page": GOALS_PAGE, "view": goals_view(svc), "error": None})
    inline = {
        "css": _inline_style((STATIC / "app.css").read_text(encoding="utf-8")),
        "js": _inline_script((STATIC / "app.js").read_text(encoding="utf-8")),
        "plotly": _inline_script(plotly_js_path().read_text(encoding="utf-8")),
    }
    return (
        environment()
        .get_template("report.html")
        .render(
            title="Retention report",
            nav=[(f"#{s['page'].slug}", s["page"].title) for s in sections],
            current=None,
            inline=inline,
            sections=sections,
            f=filters,
            generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            source=ws.path.name if ws.path else "",
        )
    )


def write_report(
    ws: Workspace,
    out: Path | str,
    *,
    period: str = "month",
    start: str | None = None,
    end: str | None = None,
) -> int:
    """Write the report to ``out`` atomically; returns its size in bytes."""
    body = build_report(ws, period=period, start=start, end=end).encode("utf-8")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=out.name, suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(body)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(body)
