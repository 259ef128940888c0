"""``retentionkit segments`` end to end in every format, and bad input as one sentence."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from retentionkit.cli.app import main
from retentionkit.errors import MissingTableError
from retentionkit.segments.rfm import RFM_SEGMENTS
from retentionkit.segments.summary import SUMMARY_COLUMNS
from retentionkit.workspace import Workspace


def _run(db: Path, *args: str) -> int:
    return main(["--db", str(db), "segments", *args])


def test_json(gen_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(gen_db, "--format", "json", "--as-of", "2024-03-31") == 0
    rows = json.loads(capsys.readouterr().out)
    assert set(rows[0]) == set(SUMMARY_COLUMNS)
    assert {r["segment"] for r in rows} <= set(RFM_SEGMENTS)
    assert sum(r["share"] for r in rows) == pytest.approx(100.0)


def test_csv_attribute(gen_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(gen_db, "--scheme", "channel", "--format", "csv") == 0
    frame = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert tuple(frame.columns) == SUMMARY_COLUMNS
    assert frame["customers"].sum() > 0


@pytest.mark.parametrize("scheme", ["rfm", "rfm_score", "country"])
def test_table(gen_db: Path, capsys: pytest.CaptureFixture[str], scheme: str) -> None:
    assert _run(gen_db, "--scheme", scheme) == 0
    out = capsys.readouterr().out
    assert "revenue_share" in out and f"segments: {scheme}" in out
    if scheme == "rfm":
        assert "champions" in out


def test_metrics_and_cohorts_accept_rfm(gen_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "--db",
            str(gen_db),
            "metrics",
            "-m",
            "crr",
            "--segment",
            "rfm",
            "--last",
            "1",
            "--format",
            "json",
        ]
    )
    assert code == 0
    assert {r["segment"] for r in json.loads(capsys.readouterr().out)} <= set(RFM_SEGMENTS)
    code = main(["--db", str(gen_db), "cohorts", "--segment", "rfm", "--format", "json"])
    assert code == 0
    assert {r["segment"] for r in json.loads(capsys.readouterr().out)} <= set(RFM_SEGMENTS)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--scheme", "zodiac"], "Unknown segment 'zodiac'; valid segments:"),
        (["--as-of", "2024-02-31"], "--as-of '2024-02-31' is not a date"),
        (["--as-of", "1999-01-01"], "choose a later --as-of"),
        (["--format", "html"], "--format 'html' is not one of: table, csv, json"),
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


def test_missing_orders_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "empty.duckdb"
    Workspace(db).con.disconnect()
    code = _run(db)
    err = capsys.readouterr().err
    assert code == MissingTableError.exit_code
    assert "orders table" in err and err.count("\n") == 1
