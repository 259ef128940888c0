"""Fixtures for the goals tests: a private copy of the shared small business (500 customers,
January 2023 to February 2024, every table) per test, opened as a workspace."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def goals_db(shop_db: Path, tmp_path: Path) -> Path:
    target = tmp_path / "shop.duckdb"
    shutil.copy(shop_db, target)
    return target


@pytest.fixture
def ws(goals_db: Path) -> Iterator[object]:
    from retentionkit.workspace import Workspace

    workspace = Workspace(goals_db)
    yield workspace
    workspace.con.disconnect()


def goal_tables(ws) -> dict[str, list]:  # type: ignore[no-untyped-def]
    """Contents of the two goal tables (empty lists when they do not exist)."""
    out = {}
    for name in ("goals", "goal_evaluations"):
        if name in ws.con.list_tables():
            frame = ws.con.table(name).execute()
            frame = frame.drop(columns=[c for c in ("updated_at", "evaluated_at") if c in frame])
            out[name] = sorted(map(repr, frame.to_dict("records")))
        else:
            out[name] = []
    return out
