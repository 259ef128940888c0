"""``retentionkit cohorts`` end to end: every format, and one sentence for bad input."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from retentionkit.cli.app import main
from retentionkit.errors import MissingTableError
from retentionkit.workspace import Workspace


def _run(db: Path, *args: str) -> int:
    return main(["--db", str(db), "cohorts", *args])


def test_json_records(gen_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(gen_db, "--format", "json", "--kind", "revenue") == 0
    rows = json.loads(capsys.readouterr().out)
    assert set(rows[0]) == {"cohort", "offset", "size", "value"}
    assert rows[0]["cohort"] == "2023-01-01" and rows[0]["offset"] == 0
    assert rows[0]["value"] == 100.0
    assert len(rows) == 18 * 19 // 2


def test_json_with_segment(gen_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = _run(gen_db, "--format", "json", "--segment", "country", "--period", "quarter")
    assert code == 0
    rows = json.loads(capsys.readouterr().out)
    assert set(rows[0]) == {"segment", "cohort", "offset", "size", "value"}


def test_csv(gen_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = _run(
        gen_db,
        "--format",
        "csv",
        "--period",
        "week",
        "--from",
        "2024-01-01",
        "--to",
        "2024-03-01",
        "--customer-definition",
        "contractual",
    )
    assert code == 0
    frame = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert list(frame.columns) == ["cohort", "offset", "size", "value"]
    assert frame["cohort"].min() == "2024-01-01"  # a Monday
    assert frame["cohort"].max() == "2024-02-26"


@pytest.mark.parametrize("kind", ["customers", "unbounded", "revenue", "cumulative_revenue"])
def test_table(gen_db: Path, capsys: pytest.CaptureFixture[str], kind: str) -> None:
    assert _run(gen_db, "--kind", kind, "--period", "quarter") == 0
    out = capsys.readouterr().out
    assert "2023-Q1" in out and "size" in out
    if kind != "cumulative_revenue":
        assert "100.0%" in out


def test_html_to_stdout_and_file(
    gen_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(gen_db, "--format", "html") == 0
    page = capsys.readouterr().out
    assert page.startswith("<!DOCTYPE html>") and "heatmap" in page
    out = tmp_path / "cohorts.html"
    assert _run(gen_db, "--format", "html", "--kind", "unbounded", "--out", str(out)) == 0
    text = out.read_text(encoding="utf-8")
    # self-contained: plotly.js is inlined, no script is loaded from elsewhere
    assert "<script src=" not in text and len(text) > 1_000_000
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--kind", "churn"], "--kind 'churn' is not one of: customers, unbounded, revenue"),
        (["--period", "day"], "--period 'day' is not one of: week, month, quarter"),
        (["--from", "2024-02-30"], "--from '2024-02-30' is not a date"),
        (["--to", "soon"], "--to 'soon' is not a date"),
        (["--from", "2024-03-01", "--to", "2024-01-01"], "must be after --from"),
        (["--from", "2031-01-01"], "No customer was acquired from 2031-01-01"),
        (["--to", "2020-01-01"], "No customer was acquired before 2020-01-01"),
        (["--format", "xlsx"], "--format 'xlsx' is not one of: table, csv, json, html"),
        (["--segment", "nope"], "Unknown segment 'nope'"),
        (["--customer-definition", "vibes"], "--customer-definition 'vibes' is not one of"),
    ],
)
def test_bad_input_is_one_sentence(
    gen_db: Path, capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    code = _run(gen_db, *args)
    err = capsys.readouterr().err
    assert code != 0
    assert needle in err
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.parametrize("definition", ["activity", "contractual"])
def test_missing_table(tmp_path: Path, capsys: pytest.CaptureFixture[str], definition: str) -> None:
    db = tmp_path / "empty.duckdb"
    Workspace(db).con.disconnect()
    code = _run(db, "--customer-definition", definition)
    err = capsys.readouterr().err
    assert code == MissingTableError.exit_code
    table = "orders" if definition == "activity" else "subscriptions"
    assert f"need the {table} table" in err and err.count("\n") == 1
