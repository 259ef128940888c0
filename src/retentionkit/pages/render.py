"""The Jinja2 environment (autoescape on) over the page templates, and their static assets."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

__all__ = ["STATIC_DIR", "TEMPLATES", "environment", "render"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent / "static"


@lru_cache(maxsize=1)
def environment() -> Any:
    """The Jinja2 environment shared by the dashboard and the HTML report."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def render(template: str, **context: Any) -> str:
    """``template`` rendered with ``context``; the navigation defaults to every page."""
    from retentionkit.pages.registry import pages_for

    context.setdefault("nav", [(p.path, p.title) for p in pages_for()])
    context.setdefault("inline", None)
    return str(environment().get_template(template).render(**context))
