"""Shared dependencies: settings, the workspace service, the key store and authentication.

Auth model (docs/web.md): writes need an ``admin`` key; reads need a ``read`` (or ``admin``)
key unless the server listens on a loopback address or was started with ``--public-read``.
Keys come in ``Authorization: Bearer KEY``; for reads the dashboard also accepts the HttpOnly
cookie set by ``/login``. A cookie never authorises a write, so a cross-site form cannot ingest.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from retentionkit.errors import AuthError
from retentionkit.web.keys import ApiKey, KeyStore, TableKeyStore, keystore_for
from retentionkit.web.service import WorkspaceService
from retentionkit.web.settings import WebSettings, app_settings

__all__ = [
    "COOKIE_NAME",
    "AdminAuth",
    "ReadAuth",
    "ServiceDep",
    "SettingsDep",
    "app_service",
    "current_settings",
    "get_keystore",
    "get_service",
    "require_admin",
    "require_read",
    "service_for",
]

COOKIE_NAME = "retentionkit_key"
_registry_lock = threading.Lock()


async def current_settings(request: Request) -> WebSettings:
    """The app's settings (:func:`~retentionkit.web.settings.app_settings`). ``async``, so
    resolving it takes no worker-thread hop."""
    return app_settings(request.app)


SettingsDep = Annotated[WebSettings, Depends(current_settings)]


def app_service(app: Any, settings: WebSettings) -> WorkspaceService:
    """``app``'s service for ``settings`` (one per workspace, created on first use)."""
    services: dict[WebSettings, WorkspaceService] = app.state.services
    with _registry_lock:
        svc = services.get(settings)
        if svc is None:
            svc = services[settings] = WorkspaceService(settings.db, config=settings.config_path)
        return svc


def service_for(request: Request, settings: WebSettings) -> WorkspaceService:
    """The request's app's service for ``settings``."""
    return app_service(request.app, settings)


# The dependencies below are ``async``: FastAPI runs a plain ``def`` dependency in a worker
# thread, a hop that costs more than these dictionary look-ups. Nothing in them waits for I/O
# except a database key store's check, which :func:`require_read` sends to a worker thread.


async def get_service(request: Request, settings: SettingsDep) -> WorkspaceService:
    return service_for(request, settings)


async def get_keystore(request: Request, settings: SettingsDep) -> KeyStore:
    stores: dict[object, KeyStore] = request.app.state.keystores
    where = (settings.db, settings.keys_path)
    with _registry_lock:
        store = stores.get(where)
        if store is None:
            store = stores[where] = keystore_for(settings.db, settings.keys_path)
        return store


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("The Authorization header must look like 'Bearer KEY'.")
    return token.strip()


async def require_read(
    request: Request, settings: SettingsDep, store: Annotated[KeyStore, Depends(get_keystore)]
) -> ApiKey | None:
    """Reads: open on loopback / ``--public-read``, otherwise any valid key. A key file's
    check (a ``stat`` and a SHA-256) runs inline; a database's key table in a worker thread."""
    if not settings.reads_need_key:
        return None
    key = _bearer(request) or request.cookies.get(COOKIE_NAME)
    if isinstance(store, TableKeyStore):
        return await run_in_threadpool(store.verify, key)
    return store.verify(key)


def require_admin(request: Request, store: Annotated[KeyStore, Depends(get_keystore)]) -> ApiKey:
    """Writes: an ``admin`` key in the Authorization header (cookies do not count)."""
    record = store.verify(_bearer(request))
    if record.role != "admin":
        raise HTTPException(403, "This API key may only read; writes need an admin key.")
    return record


ServiceDep = Annotated[WorkspaceService, Depends(get_service)]
ReadAuth = Depends(require_read)
AdminAuth = Depends(require_admin)
