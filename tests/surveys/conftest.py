"""Fixtures for the survey tests: a private copy of the shared small business (tests write to
it), a workspace with an NPS survey, and a TestClient over the web app."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def db(shop_db: Path, tmp_path: Path) -> Path:
    target = tmp_path / "shop.duckdb"
    shutil.copy(shop_db, target)
    return target


@pytest.fixture
def ws(db: Path) -> Iterator:
    from retentionkit.surveys.service import CreateSurvey, run
    from retentionkit.workspace import Workspace

    workspace = Workspace(db)
    made = run(workspace, CreateSurvey("q4", "nps", company="Acme"))
    workspace.webhook_secret = made["webhook_secret"]  # type: ignore[attr-defined]
    yield workspace
    workspace.con.disconnect()


@pytest.fixture
def customer(ws) -> str:  # type: ignore[no-untyped-def]
    frame = ws.table("customers").select("customer_id").limit(1).execute()
    return str(frame["customer_id"].iloc[0])


@pytest.fixture
def make_client(ws) -> Iterator:  # type: ignore[no-untyped-def]
    """``make_client(limits=RateLimits(...))`` → a TestClient serving ``ws`` (the same
    connection, so the test sees every write at once)."""
    from fastapi.testclient import TestClient

    from retentionkit.server import create_app
    from retentionkit.web.auth import app_service
    from retentionkit.web.ratelimit import RateLimits
    from retentionkit.web.service import WorkspaceService
    from retentionkit.web.settings import WebSettings

    clients = []

    def make(limits: RateLimits | None = None) -> TestClient:
        settings = WebSettings(db=ws.path, warm_cache=False)
        app = create_app(settings)
        app.state.services[settings] = WorkspaceService(workspace=ws)
        app.state.survey_limits = limits or RateLimits(ip_rate=0, token_rate=0)
        assert app_service(app, settings).ws is ws
        client = TestClient(app, base_url="http://127.0.0.1:8000")
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.__exit__(None, None, None)
