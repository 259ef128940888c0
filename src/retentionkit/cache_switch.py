"""One switch for every cache of derived data: ``RETENTIONKIT_CACHE=off`` (or ``0``, ``no``,
``false``) turns off the persistent result cache (:mod:`retentionkit.service.result_cache`)
and the in-process memo of fitted CLV choices (:mod:`retentionkit.clv.memo`), so that a
benchmark or a check measures the computation itself. Imports nothing."""

from __future__ import annotations

import os

__all__ = ["caches_enabled"]


def caches_enabled() -> bool:
    """False when ``RETENTIONKIT_CACHE`` is ``off`` (or ``0``, ``no``, ``false``)."""
    value = os.environ.get("RETENTIONKIT_CACHE", "on").strip().lower()
    return value not in ("off", "0", "no", "false")
