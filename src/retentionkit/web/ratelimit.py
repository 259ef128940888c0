"""In-memory token buckets for the public survey routes (per client IP and per link token).

A bucket holds at most ``burst`` tokens and refills at ``rate`` tokens a second; a request
takes one token or is refused (HTTP 429). Buckets live in the server process (one ``serve``
owns the workspace), at most ``max_keys`` of them (least recently used dropped first).
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

__all__ = ["AppLimits", "RateLimits", "TokenBuckets", "app_limits", "rate_limits_from_env"]


class TokenBuckets:
    """Token buckets keyed by a string (thread-safe)."""

    def __init__(self, rate: float, burst: float, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self._lock = threading.Lock()
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, key: str, now: float | None = None) -> bool:
        """Take one token from ``key``'s bucket; False when it is empty."""
        if self.rate <= 0:  # 0 = no limit
            return True
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            allowed = tokens >= 1
            self._buckets[key] = (tokens - 1 if allowed else tokens, now)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return allowed


@dataclass(frozen=True)
class RateLimits:
    """Limits of the public survey routes: answers per second and burst, per client IP and
    per link (0 = unlimited), and the largest request body."""

    ip_rate: float = 5.0
    ip_burst: float = 30.0
    token_rate: float = 0.2
    token_burst: float = 5.0
    max_body: int = 8192


def rate_limits_from_env() -> RateLimits:
    """:class:`RateLimits` with any of ``RETENTIONKIT_SURVEY_IP_RATE``, ``…_IP_BURST``,
    ``…_TOKEN_RATE``, ``…_TOKEN_BURST``, ``…_MAX_BODY`` set in the environment."""
    from retentionkit.errors import ConfigError

    values: dict[str, float | int] = {}
    for field, kind in (
        ("ip_rate", float),
        ("ip_burst", float),
        ("token_rate", float),
        ("token_burst", float),
        ("max_body", int),
    ):
        name = f"RETENTIONKIT_SURVEY_{field.upper()}"
        raw = os.environ.get(name)
        if raw is None or not raw.strip():
            continue
        try:
            values[field] = kind(raw)
        except ValueError:
            raise ConfigError(f"{name}={raw!r} is not a number.") from None
        if values[field] < 0:
            raise ConfigError(f"{name}={raw!r} must not be negative.")
    return RateLimits(**values)  # type: ignore[arg-type]


class AppLimits:
    """The buckets of one app: per client IP and per link token."""

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        self.ip = TokenBuckets(limits.ip_rate, limits.ip_burst)
        self.token = TokenBuckets(limits.token_rate, limits.token_burst)


_app_lock = threading.Lock()


def app_limits(app: Any) -> AppLimits:
    """``app``'s buckets, made on first use from ``app.state.survey_limits`` (a
    :class:`RateLimits` set before the first request) or the environment."""
    with _app_lock:
        current = getattr(app.state, "survey_limits", None)
        if not isinstance(current, AppLimits):
            given = current if isinstance(current, RateLimits) else rate_limits_from_env()
            current = app.state.survey_limits = AppLimits(given)
        return current
