"""Fixtures for the web API tests: a small generated business in a DuckDB workspace (built once
per session, copied per test), an app over it and API keys."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def business_db(shop_db: Path) -> Path:
    """The shared small business of tests/conftest.py (``shop_db``)."""
    return shop_db


@pytest.fixture
def db(business_db: Path, tmp_path: Path) -> Path:
    """A private copy of the business workspace (tests may write to it)."""
    target = tmp_path / "shop.duckdb"
    shutil.copy(business_db, target)
    return target


@pytest.fixture
def make_client(db: Path) -> Iterator:
    """``make_client(**settings)`` → a TestClient over an app for the copied workspace."""
    from fastapi.testclient import TestClient

    from retentionkit.server import create_app
    from retentionkit.web.settings import WebSettings

    clients = []

    def make(**overrides: object) -> TestClient:
        settings = WebSettings(db=db, warm_cache=False, **overrides)  # type: ignore[arg-type]
        client = TestClient(create_app(settings))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client):  # type: ignore[no-untyped-def]
    """A client of a server on loopback (reads open, writes need an admin key)."""
    return make_client()


@pytest.fixture
def keys(db: Path) -> dict[str, str]:
    """An admin and a read key for the copied workspace."""
    from retentionkit.web.keys import KeyStore, keys_path_for

    store = KeyStore(keys_path_for(db))
    return {"admin": store.create("admin", "test admin")[0], "read": store.create("read")[0]}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def auth() -> object:
    return bearer


def row_counts(client) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Row counts of the client's workspace, read through the app's own service."""
    services = list(client.app.state.services.values())
    assert services, "the app has not opened its workspace yet"
    return services[0].run(lambda ws: ws.row_counts())


@pytest.fixture
def counts() -> object:
    return row_counts
