"""The workspace's clock: naive UTC timestamps (docs/architecture.md, storage types)."""

from __future__ import annotations

import datetime as dt

__all__ = ["utcnow"]


def utcnow() -> dt.datetime:
    """Now in UTC, naive (the workspace's timestamp convention)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
