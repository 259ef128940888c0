"""Fixtures of the segment tests (``business`` and ``gen_db`` come from tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from retentionkit.workspace import Workspace


@pytest.fixture(scope="session")
def ws(gen_db: Path) -> Workspace:
    return Workspace(gen_db)
