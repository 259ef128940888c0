"""Generated businesses shared by the generator tests (2,000 customers: fast, yet stable)."""

from __future__ import annotations

import pandas as pd
import pytest

from retentionkit.generate import generate_business

START = pd.Timestamp("2023-01-01")
END = pd.Timestamp("2025-01-01")  # start + 24 months, exclusive
N = 2000


@pytest.fixture(scope="session")
def both() -> dict[str, pd.DataFrame]:
    return generate_business(N, 24, seed=42, kind="both")


@pytest.fixture(scope="session")
def ecommerce() -> dict[str, pd.DataFrame]:
    return generate_business(N, 24, seed=7, kind="ecommerce")


@pytest.fixture(scope="session")
def saas() -> dict[str, pd.DataFrame]:
    return generate_business(N, 24, seed=11, kind="saas")
