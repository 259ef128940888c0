"""Web settings: which workspace to serve, where to listen, who may read.

``retentionkit serve`` builds a :class:`WebSettings` and passes it to
:func:`retentionkit.server.create_app`; without one the app calls :func:`get_settings`, which
reads the environment once (``RETENTIONKIT_DB``, ``RETENTIONKIT_CONFIG``, ``RETENTIONKIT_HOST``,
``RETENTIONKIT_PUBLIC_READ``, ``RETENTIONKIT_REQUIRE_READ_KEY``). Tests override it with
``app.dependency_overrides`` or pass settings to ``create_app``; :func:`app_settings` is the
app's.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from retentionkit.web.uploads import DEFAULT_MAX_UPLOAD_BYTES

__all__ = ["WebSettings", "app_settings", "get_settings", "is_loopback"]


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (only this machine can connect)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class WebSettings:
    #: A DuckDB file, or a database URL (``postgresql://…``) as text.
    db: Path | str = Path("retentionkit.duckdb")
    config_path: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    #: Serve reads without a key even on a non-loopback address.
    public_read: bool = False
    #: Reads need a key even on loopback (``serve --require-read-key``): a reverse proxy on the
    #: same machine forwards everyone's requests from 127.0.0.1.
    require_read_key: bool = False
    #: API key file; default ``<db>.keys.json``.
    keys_path: Path | None = None
    #: Compute the default dashboard pages in the background at start-up.
    warm_cache: bool = True
    #: Largest accepted upload in bytes (POST /api/ingest); ``serve --max-upload-mb``.
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES

    @property
    def reads_need_key(self) -> bool:
        if self.require_read_key:
            return True
        return not (self.public_read or is_loopback(self.host))

    @property
    def has_workspace(self) -> bool:
        """A database URL, or a DuckDB file that exists (background jobs wait for one)."""
        return (isinstance(self.db, str) and "://" in self.db) or Path(self.db).exists()

    def key_file(self) -> Path:
        from retentionkit.web.keys import keys_path_for

        return self.keys_path or keys_path_for(self.db)


def _db(text: str) -> Path | str:
    """A URL stays text (``Path`` would fold its ``//``); anything else is a file path."""
    return text if "://" in text else Path(text)


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


@lru_cache(maxsize=1)
def get_settings() -> WebSettings:
    """Settings from the environment (cached; ``get_settings.cache_clear()`` to re-read)."""
    config = os.environ.get("RETENTIONKIT_CONFIG")
    return WebSettings(
        db=_db(os.environ.get("RETENTIONKIT_DB", "retentionkit.duckdb")),
        config_path=Path(config) if config else None,
        host=os.environ.get("RETENTIONKIT_HOST", "127.0.0.1"),
        public_read=_flag("RETENTIONKIT_PUBLIC_READ"),
        require_read_key=_flag("RETENTIONKIT_REQUIRE_READ_KEY"),
    )


def app_settings(app: Any) -> WebSettings:
    """``app``'s settings: those given to ``create_app`` (``app.state.settings``), else
    :func:`get_settings` or what replaces it in ``app.dependency_overrides`` (tests).

    Not a dependency override: FastAPI rebuilds the dependency tree of every request while
    ``app.dependency_overrides`` is not empty (signature inspection, a fifth of a cached
    request's CPU time)."""
    given = getattr(app.state, "settings", None)
    if isinstance(given, WebSettings):
        return given
    settings: WebSettings = app.dependency_overrides.get(get_settings, get_settings)()
    return settings
