"""Shared fixtures: a small workspace with orders, customers and a survey; free ports."""

from __future__ import annotations

import socket
from pathlib import Path

import pandas as pd
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(folder: Path, smtp_port: int, extra: str = "") -> None:
    (folder / "retentionkit.toml").write_text(
        f"""[smtp]
host = "127.0.0.1"
port = {smtp_port}
from = "Shop <shop@example.com>"
starttls = false

[automations]
quiet_hours = ""
{extra}
""",
        encoding="utf-8",
    )


def load_shop(ws, n: int, *, start: str = "2026-01-05 10:00") -> None:  # type: ignore[no-untyped-def]
    """``n`` customers (ids C0001 …, emails, languages en/pl/ru/zh), one order each, a day
    apart, and a csat survey named feedback."""
    from retentionkit.surveys.service import CreateSurvey, run

    ids = [f"C{i:04d}" for i in range(1, n + 1)]
    langs = ["en", "pl", "ru", "zh"]
    ws.ingest(
        "customers",
        pd.DataFrame(
            {
                "customer_id": ids,
                "email": [f"{c.lower()}@example.com" for c in ids],
                "language": [langs[i % 4] for i in range(n)],
            }
        ),
    )
    base = pd.Timestamp(start)
    ws.ingest(
        "orders",
        pd.DataFrame(
            {
                "order_id": [f"O{i:04d}" for i in range(1, n + 1)],
                "customer_id": ids,
                "ordered_at": [base + pd.Timedelta(hours=7 * i) for i in range(n)],
                "amount": [10.0 + i for i in range(n)],
            }
        ),
    )
    run(ws, CreateSurvey("feedback", "csat"))


@pytest.fixture
def port() -> int:
    return free_port()
