"""Fixtures of the cohort tests (``business`` and ``gen_db`` come from tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from retentionkit.workspace import Workspace


@pytest.fixture(scope="session")
def ws(gen_db: Path) -> Workspace:
    return Workspace(gen_db)


@pytest.fixture(scope="session")
def reference_cohorts():  # type: ignore[no-untyped-def]
    """The independent pandas implementation in reference.py (loaded by path: the tests run
    in importlib mode, without packages)."""
    import importlib.util

    path = Path(__file__).with_name("reference.py")
    spec = importlib.util.spec_from_file_location("cohorts_reference", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.reference_cohorts
