"""A subscriptions-only workspace: the overview shows the KPIs the engine computes there
(the dashboard asks the same rule as the engine which metrics apply)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def subs_db(tmp_path_factory: pytest.TempPathFactory, business: dict) -> Path:
    from retentionkit.workspace import Workspace

    db = tmp_path_factory.mktemp("subs") / "subs.duckdb"
    ws = Workspace(db)
    for table in ("customers", "subscriptions"):
        ws.ingest(table, business[table])
    ws.con.disconnect()
    return db


def test_subscriptions_only_overview_shows_retention_and_churn(subs_db: Path) -> None:
    from retentionkit.pages import Filters, overview
    from retentionkit.web.service import WorkspaceService
    from retentionkit.workspace import Workspace

    ws = Workspace(subs_db)
    try:
        view = overview.build(WorkspaceService(workspace=ws), Filters())
        engine = set(ws.metrics(last=1)["metric"])
    finally:
        ws.con.disconnect()
    shown = {card["name"] for card in view["cards"]}
    assert {"crr", "churn_rate", "active_customers", "new_customers", "mrr"} <= shown
    assert shown <= engine
