"""Fixtures for the dashboard tests: a small generated business (with a hostile customer
attribute) and, for the browser tests, a real uvicorn server on a free loopback port."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

HOSTILE = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def web_db(shop_db: Path) -> Path:
    """The shared small business of tests/conftest.py (``shop_db``)."""
    return shop_db


@pytest.fixture
def db_copy(web_db: Path, tmp_path: Path) -> Path:
    target = tmp_path / "shop.duckdb"
    shutil.copy(web_db, target)
    return target


def hostile_customers_csv() -> bytes:
    """The first 150 customers get a script tag as their country (upserted over the real rows,
    so the name shows up in every per-country view)."""
    rows = [f'C{i:06d},"{HOSTILE}",organic' for i in range(1, 151)]
    return ("customer_id,country,channel\n" + "\n".join(rows) + "\n").encode()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live_server(web_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of uvicorn serving the app (in a background thread) over a workspace whose
    customers include a hostile country name."""
    import uvicorn

    from retentionkit.server import create_app
    from retentionkit.web.keys import KeyStore, keys_path_for
    from retentionkit.web.settings import WebSettings

    db = tmp_path_factory.mktemp("live") / "shop.duckdb"
    shutil.copy(web_db, db)
    admin = KeyStore(keys_path_for(db)).create("admin")[0]
    port = _free_port()
    app = create_app(WebSettings(db=db, host="127.0.0.1", port=port, warm_cache=True))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    import httpx

    r = httpx.post(
        f"{base}/api/ingest/customers",
        files={"file": ("customers.csv", hostile_customers_csv(), "text/csv")},
        headers={"Authorization": f"Bearer {admin}"},
        timeout=60,
    )
    assert r.status_code == 200, r.text
    yield base
    server.should_exit = True
    thread.join(timeout=15)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} is absent: install Debian's chromium (make browser) to run the "
            "browser tests"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def hostile_csv() -> bytes:
    return hostile_customers_csv()


@pytest.fixture
def page_client(db_copy: Path, hostile_csv: bytes) -> Iterator[object]:
    """A TestClient over the copied workspace, after the hostile customers were ingested
    through the API."""
    from fastapi.testclient import TestClient

    from retentionkit.server import create_app
    from retentionkit.web.keys import KeyStore, keys_path_for
    from retentionkit.web.settings import WebSettings

    admin = KeyStore(keys_path_for(db_copy)).create("admin")[0]
    with TestClient(create_app(WebSettings(db=db_copy, warm_cache=False))) as client:
        r = client.post(
            "/api/ingest/customers",
            files={"file": ("customers.csv", hostile_csv, "text/csv")},
            headers={"Authorization": f"Bearer {admin}"},
        )
        assert r.status_code == 200, r.text
        yield client
