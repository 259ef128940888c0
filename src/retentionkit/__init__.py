"""retentionkit: customer retention analytics that closes the loop.

``import retentionkit as rk`` stays light: the heavy parts load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["Workspace", "__version__", "errors"]

if TYPE_CHECKING:  # pragma: no cover
    from retentionkit import errors
    from retentionkit.workspace import Workspace


def __getattr__(name: str) -> Any:
    if name == "Workspace":
        from retentionkit.workspace import Workspace

        return Workspace
    if name == "errors":
        from retentionkit import errors

        return errors
    raise AttributeError(f"module 'retentionkit' has no attribute {name!r}")
