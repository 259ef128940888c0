"""Render every dashboard page into one HTML document."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.web.service import WorkspaceService
    from retentionkit.workspace import Workspace

__all__ = ["build_report", "render_report", "write_report"]


def _inline_script(text: str) -> Markup:
    """Script text safe to place between <script> tags."""
    return Markup(text.replace("</script", "<\\/script").replace("<!--", "<\\!--"))


def _inline_style(text: str) -> Markup:
    return Markup(text.replace("</style", "<\\/style"))


def build_report(
    ws: Workspace, *, period: str = "month", start: str | None = None, end: str | None = None
) -> str:
    """The report's HTML: the same sections as the dashboard, each built by the same view. On a
    workspace owned by a running ``retentionkit serve`` (``ws.remote``) the server renders it
    from its own cache (a ``ReportRequest`` through the local route) and it comes back here."""
    remote = getattr(ws, "remote", None)
    if remote is not None:
        from retentionkit.service import ReportRequest

        html: str = remote.run(ReportRequest(period=period, start=start, end=end))
        return html
    from retentionkit.web.service import WorkspaceService

    svc = WorkspaceService(workspace=ws)
    source = ws.path.name if ws.path else ""
    return render_report(svc, period=period, start=start, end=end, source=source)


def render_report(
    svc: WorkspaceService,
    *,
    period: str = "month",
    start: str | None = None,
    end: str | None = None,
    source: str = "",
) -> str:
    """The report's HTML built with ``svc`` (the report's own service over one workspace, or
    the running server's, which answers from its cache)."""
    from retentionkit.errors import RetentionkitError
    from retentionkit.pages import Filters, pages_for
    from retentionkit.pages.render import STATIC_DIR, render
    from retentionkit.web.assets import plotly_js_path

    sections: list[dict[str, Any]] = []
    filters = Filters(period=period, start=start, end=end)
    for page in pages_for():
        try:
            view, error = page.build(svc, filters), None
        except RetentionkitError as exc:  # e.g. no subscriptions: say so in that section
            view, error = None, str(exc)
        sections.append({"page": page, "view": view, "error": error})
    inline = {
        "css": _inline_style((STATIC_DIR / "app.css").read_text(encoding="utf-8")),
        "js": _inline_script((STATIC_DIR / "app.js").read_text(encoding="utf-8")),
        "plotly": _inline_script(plotly_js_path().read_text(encoding="utf-8")),
    }
    return render(
        "report.html",
        title="Retention report",
        nav=[(f"#{s['page'].slug}", s["page"].title) for s in sections],
        current=None,
        inline=inline,
        sections=sections,
        f=filters,
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        source=source,
    )


def write_report(
    ws: Workspace,
    out: Path | str,
    *,
    period: str = "month",
    start: str | None = None,
    end: str | None = None,
) -> int:
    """Write the report to ``out`` atomically; returns its size in bytes. This process writes
    the file (relative paths are this process's), also when a server rendered the HTML."""
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
