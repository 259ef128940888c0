"""Shared fixtures of the CLV model tests: the published data sets shipped in tests/data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="session")
def cdnow() -> pd.DataFrame:
    """CDNOW 2,357-customer calibration summary (weeks): ID, x, t_x, T, zbar."""
    return pd.read_csv(DATA / "cdnow" / "cdnow_customers_summary_with_transactions.csv")


@pytest.fixture(scope="session")
def cdnow_summary() -> pd.DataFrame:
    """CDNOW summary in lifetimes' layout: ID, frequency, recency, T."""
    return pd.read_csv(DATA / "cdnow" / "cdnow_customers_summary.csv")


@pytest.fixture(scope="session")
def sbg_paper() -> pd.DataFrame:
    return pd.read_csv(DATA / "sbg" / "sbg_paper.csv")


@pytest.fixture(scope="session")
def donations() -> pd.DataFrame:
    return pd.read_csv(DATA / "donations" / "donations.csv")


@pytest.fixture(scope="session")
def lifetimes_reference() -> dict[str, Any]:
    return json.loads((DATA / "lifetimes_reference.json").read_text(encoding="utf-8"))
