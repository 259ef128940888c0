"""``retentionkit goals …`` with the exact names of issue 14: add, update, list, show,
evaluate, delete; every format; bad input as one line on stderr, exit 2, nothing written."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from retentionkit.cli.app import app, main
from retentionkit.goals import RECORD_KEYS


def cli(db: Path, *args: str) -> str:
    result = CliRunner().invoke(app, ["--db", str(db), "goals", *args])
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def add_crr(db: Path, *extra: str) -> str:
    return cli(
        db, "add", "retention", "--metric", "crr", "--target", "70", "--by", "2024-06-30",
        "--start", "2023-10-15", *extra,
    )  # fmt: skip


def test_add_list_show_evaluate_delete(goals_db: Path) -> None:
    out = add_crr(goals_db, "--owner", "Ana", "--note", "CRR up", "--period", "month")
    assert "retention" in out and "crr (month)" in out
    cli(goals_db, "add", "us", "--metric", "new_customers", "--target", "40", "--by",
        "2024-02-29", "--start", "2023-10-01", "--segment", "country=US", "--direction", "up",
        "--start-value", "20", "--kind", "metric")  # fmt: skip
    table = cli(goals_db, "evaluate", "--as-of", "2024-01-31")
    assert "goals as of 2024-01-31" in table and "━" in table  # Rich progress bars
    records = json.loads(cli(goals_db, "list", "--format", "json"))
    assert [r["name"] for r in records] == ["retention", "us"]
    assert list(records[0])[: len(RECORD_KEYS)] == list(RECORD_KEYS)
    assert records[1]["segment"] == "country=US" and records[1]["start_value"] == 20
    assert records[0]["as_of"] == "2024-01-31"
    frame = pd.read_csv(io.StringIO(cli(goals_db, "list", "--format", "csv")))
    assert list(frame["name"]) == ["retention", "us"]
    assert "━" in cli(goals_db, "list")
    detail = json.loads(cli(goals_db, "show", "retention", "--format", "json"))
    assert [h["as_of"] for h in detail["history"]] == ["2023-10-15", "2024-01-31"]
    assert "history" in cli(goals_db, "show", "retention")
    history = pd.read_csv(io.StringIO(cli(goals_db, "show", "retention", "--format", "csv")))
    assert list(history["as_of"]) == ["2023-10-15", "2024-01-31"]
    again = json.loads(cli(goals_db, "evaluate", "--as-of", "2024-01-31", "--format", "json"))
    assert again == records  # idempotent
    cli(goals_db, "update", "retention", "--target", "75", "--by", "2024-05-31",
        "--as-of", "2024-01-31")  # fmt: skip
    updated = json.loads(cli(goals_db, "list", "--format", "json"))[0]
    assert updated["target"] == 75 and updated["due"] == "2024-05-31"
    assert "Deleted goal us." in cli(goals_db, "delete", "us")
    assert [r["name"] for r in json.loads(cli(goals_db, "list", "--format", "json"))] == [
        "retention"
    ]


def test_custom_goal_by_hand(goals_db: Path) -> None:
    cli(goals_db, "add", "launch", "--kind", "yes_no", "--target", "yes", "--by", "2024-12-31",
        "--start", "2024-01-01")  # fmt: skip
    cli(goals_db, "update", "launch", "--current", "yes")
    (rec,) = json.loads(cli(goals_db, "list", "--format", "json"))
    assert rec["status"] == "achieved" and rec["current"] == 1.0


def _tables(db: Path) -> dict[str, list]:
    from retentionkit.workspace import Workspace

    from .conftest import goal_tables

    ws = Workspace(db)
    try:
        return goal_tables(ws)
    finally:
        ws.con.disconnect()


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["add", "x", "--metric", "bogus", "--target", "1", "--by", "2024-06-30"],
         "Unknown metric 'bogus'; valid metrics: crr,"),
        (["add", "retention", "--metric", "crr", "--target", "80", "--by", "2024-06-30",
          "--start", "2023-10-15"], "A goal named 'retention' already exists"),
        (["add", "x", "--metric", "crr", "--target", "50", "--by", "2024-06-30",
          "--start", "2023-10-15"], "already reached at the start"),
        (["add", "x", "--metric", "crr", "--target", "80", "--by", "2023-01-01",
          "--start", "2023-10-15"], "must be after the start"),
        (["add", "x", "--metric", "crr", "--target", "80", "--by", "2024-06-30",
          "--start", "2023-10-15", "--segment", "country=Atlantis"], "does not exist"),
        (["update", "retention", "--current", "80"], "--current applies only to custom goals"),
        (["add", "x", "--metric", "crr", "--target", "80", "--by", "2024-06-30",
          "--period", "week"], "--period 'week' is not one of: month, quarter, year."),
        (["show", "nope"], "No goal named 'nope'"),
        (["list", "--format", "xml"], "--format 'xml' is not one of"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    goals_db: Path, capsys: pytest.CaptureFixture[str], args: list[str], text: str
) -> None:
    add_crr(goals_db)
    before = _tables(goals_db)
    rc = main(["--db", str(goals_db), "goals", *args])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert text in err and err.count("\n") == 1 and "Traceback" not in err
    assert _tables(goals_db) == before
