"""Fixtures for the churn tests: the bundled Telco table and small synthetic customer tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

TELCO = Path(__file__).resolve().parents[1] / "data" / "telco" / "Telco-Customer-Churn.csv"


def synthetic_customers(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """Customers whose churn depends on tenure (short = risky) and plan (monthly = risky).

    Everything is text, as a CSV export gives it: tenure has blanks, ``charges`` is a number
    stored as text, ``noise`` carries no signal.
    """
    rng = np.random.default_rng(seed)
    tenure = rng.integers(0, 72, n)
    plan = rng.choice(["monthly", "yearly", "two-year"], n, p=[0.5, 0.3, 0.2])
    charges = rng.uniform(20, 110, n).round(2)
    noise = rng.choice(["a", "b"], n)
    logit = 0.8 - 0.06 * tenure + np.where(plan == "monthly", 1.5, -1.0)
    churn = rng.random(n) < 1 / (1 + np.exp(-logit))
    tenure_text = [" " if i % 37 == 5 else str(t) for i, t in enumerate(tenure)]
    return pd.DataFrame(
        {
            "customer": [f"C{i:04d}" for i in range(n)],
            "tenure": tenure_text,
            "plan": plan,
            "charges": [f"{c:.2f}" for c in charges],
            "noise": noise,
            "churned": np.where(churn, "Yes", "No"),
        }
    )


@pytest.fixture
def customers() -> pd.DataFrame:
    return synthetic_customers()


@pytest.fixture
def customers_csv(tmp_path: Path, customers: pd.DataFrame) -> Path:
    path = tmp_path / "customers.csv"
    customers.to_csv(path, index=False)
    return path


@pytest.fixture
def telco_path() -> Path:
    return TELCO
