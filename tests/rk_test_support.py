"""Helpers several test modules share (importable as ``rk_test_support``: tests/conftest.py
puts this folder on the path): random order frames, a shop large enough for DuckDB to
aggregate on several threads, and a call counter."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest


def random_orders(start: int, n: int, seed: int, customers: int = 40) -> pd.DataFrame:
    """``n`` orders with ids from ``start``, over 2024, of up to ``customers`` customers."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(start, start + n)],
            "customer_id": [f"c{c}" for c in rng.integers(0, customers, n)],
            "ordered_at": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 365 * 24, n), unit="h"),
            "amount": np.round(rng.gamma(2.0, 20.0, n), 2),
        }
    )


def parallel_shop(seed: int, customers: int, n: int = 300_000) -> tuple[Any, pd.DataFrame]:
    """An in-memory workspace of ``n`` orders (more rows than two of DuckDB's row groups, so
    its aggregations run on several threads) with uniform 2-decimal amounts, and the frame."""
    from retentionkit.config import Settings
    from retentionkit.workspace import Workspace

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(n)],
            "customer_id": [f"c{i}" for i in rng.integers(0, customers, n)],
            "ordered_at": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 365 * 24, n), unit="h"),
            "amount": np.round(rng.uniform(0, 1000, n), 2),
        }
    )
    ws = Workspace(":memory:", settings=Settings())
    ws.ingest("orders", frame)
    return ws, frame


def count_calls(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[int]:
    """Replace ``module.name`` with a wrapper counting its calls; the count is ``[0]``."""
    calls = [0]
    real = getattr(module, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls
