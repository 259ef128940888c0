"""Churn risk: a supervised model on per-customer features, its metrics and input reading.

``ChurnModel`` is the modelling core shared by ``retentionkit churn train/score`` (a customer
table the user already has) and the workspace pipeline (features built as of a cutoff).
Submodules import pandas and scikit-learn; this package module itself stays light and loads them
on first attribute access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["ChurnModel", "read_manifest"]

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit.churn.model import ChurnModel, read_manifest


def __getattr__(name: str) -> Any:
    if name in __all__:
        from retentionkit.churn import model

        return getattr(model, name)
    raise AttributeError(f"module 'retentionkit.churn' has no attribute {name!r}")
