"""Shared, generic fixtures: a fresh workspace path and the shared real-data folder."""

from __future__ import annotations

from pathlib import Path

import pytest

#: Real data sets kept next to the repository (not shipped in it); tests skip when missing.
SHARED_DATA = Path(__file__).resolve().parents[1] / "../shared/data"


@pytest.fixture
def tmp_db(tmp_path: Path) -> Path:
    """Path of a DuckDB workspace file that does not exist yet."""
    return tmp_path / "ws.duckdb"


@pytest.fixture
def shared_data() -> Path:
    """The shared real-data folder; skips the test when it is not there."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} not found")
    return SHARED_DATA.resolve()
