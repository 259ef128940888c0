"""Static assets served by the web app and inlined by the HTML report."""

from __future__ import annotations

import importlib.util
from pathlib import Path

__all__ = ["plotly_js_path"]


def plotly_js_path() -> Path:
    """``plotly.min.js`` shipped inside the installed plotly package (no CDN)."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover
        raise RuntimeError("the plotly package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"
