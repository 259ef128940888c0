"""Every command on every real data set (CLI ``main``, as a user types it): exit 0, output
without NaN; plus the models' plausibility on Online Retail."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from retentionkit.cli.app import main
from retentionkit.workspace import Workspace

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("realdata")]

COMMANDS = {
    "metrics month": ["metrics", "--period", "month", "--format", "json"],
    "metrics quarter": ["metrics", "--period", "quarter", "--format", "json"],
    "metrics year": ["metrics", "--period", "year", "--format", "json"],
    "cohorts": ["cohorts", "--format", "json"],
    "rfm": ["rfm", "--format", "json"],
    "segments": ["segments", "--format", "json"],
    "clv fit": ["clv", "fit", "--format", "json"],
    "clv predict": ["clv", "predict", "--horizon", "52", "--format", "json"],
    "churn at-risk": ["churn", "at-risk", "--format", "json"],
}


def _run(ws: Workspace, args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code = main(["--db", str(ws.path), *args])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "NaN" not in out.out and "nan," not in out.out.lower()
    return out.out


@pytest.mark.parametrize("name", ["cdnow", "retail", "olist", "hard"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_command(name: str, command: str, request, capsys) -> None:
    ws: Workspace = request.getfixturevalue(name)
    out = _run(ws, COMMANDS[command], capsys)
    json.loads(out)


@pytest.mark.parametrize("name", ["cdnow", "retail", "olist", "hard"])
def test_report_html(name: str, request, tmp_path, capsys) -> None:
    ws: Workspace = request.getfixturevalue(name)
    path = tmp_path / "report.html"
    _run(ws, ["report", "--html", str(path)], capsys)
    assert path.stat().st_size > 10_000


def test_retail_silent_customers_are_at_risk(retail: Workspace, capsys) -> None:
    """Customers silent for ≥ 5× their usual gap have a median risk ≥ 0.5 (the degenerate
    BG/NBD fit gave everyone P(alive) 1.00 and risk 0 %)."""
    out = _run(retail, ["churn", "at-risk", "--format", "json", "--min-risk", "0"], capsys)
    frame = pd.DataFrame(json.loads(out))
    orders = retail.sql("select customer_id, ordered_at from orders order by 1, 2")
    orders["ordered_at"] = pd.to_datetime(orders["ordered_at"])
    end = orders["ordered_at"].max()
    g = orders.groupby("customer_id")["ordered_at"]
    n = g.count()
    gap = (g.max() - g.min()).dt.days / (n - 1).where(n > 1)
    silent_days = (end - g.max()).dt.days
    silent = silent_days[(n > 2) & (silent_days >= 5 * gap)].index
    risky = frame[frame["customer_id"].astype(str).isin(set(map(str, silent)))]
    assert len(risky) >= 10
    assert risky["risk"].median() >= 0.5
