"""Which optional library features this installation has (pages and routes are wired to them)."""

from __future__ import annotations

import importlib.util

__all__ = ["FEATURE_MODULES", "available_features"]

#: Workspace method → the module that implements it (both must exist for a page or route).
FEATURE_MODULES = {
    "cohorts": "retentionkit.cohorts.table",
    "rfm": "retentionkit.clv.rfm",
    "clv": "retentionkit.clv.workflow",
    "churn": "retentionkit.churn.pipeline",
    "segments": "retentionkit.segments.summary",
}


def available_features() -> set[str]:
    """Library functions present in this installation."""
    from retentionkit.workspace import Workspace

    have = set()
    for name, module in FEATURE_MODULES.items():
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:  # pragma: no cover - parent package missing
            found = False
        if found and callable(getattr(Workspace, name, None)):
            have.add(name)
    return have
