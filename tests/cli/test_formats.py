"""Every command that prints results accepts ``--format table|csv|json`` (docs/cli.md)."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from retentionkit.cli.app import main

FORMATS = ("table", "csv", "json")


def _commands(db: Path, tmp: Path) -> dict[str, list[str]]:
    data = tmp / "data"
    if not data.exists():
        from retentionkit.generate import generate_business, write_business

        write_business(generate_business(customers=60, months=6, seed=1), data, fmt="csv")
    return {
        "metrics": ["--db", str(db), "metrics", "--last", "2"],
        "calc": ["calc", "crr", "--start", "100", "--end", "90", "--new", "10"],
        "cohorts": ["--db", str(db), "cohorts", "--period", "quarter"],
        "rfm": ["--db", str(db), "rfm"],
        "segments": ["--db", str(db), "segments"],
        "ingest": [
            "--db",
            str(tmp / "new.duckdb"),
            "ingest",
            "customers",
            str(data / "customers.csv"),
        ],
        "load-dir": ["--db", str(tmp / "dir.duckdb"), "load-dir", str(data)],
        "keys list": ["--db", str(db), "keys", "list"],
    }


def _check(out: str, fmt: str) -> None:
    assert out.strip(), "no output"
    if fmt == "json":
        json.loads(out)
    elif fmt == "csv":
        frame = pd.read_csv(io.StringIO(out))
        assert len(frame.columns) >= 1
        assert not any("{" in str(c) for c in frame.columns)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "name", ["metrics", "calc", "cohorts", "rfm", "segments", "ingest", "load-dir", "keys list"]
)
def test_command_accepts_every_format(
    name: str, fmt: str, gen_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "ws.duckdb"
    shutil.copy(gen_db, db)
    if name == "keys list":
        from retentionkit.web.keys import KeyStore, keys_path_for

        KeyStore(keys_path_for(db)).create("read", "test")
    args = _commands(db, tmp_path)[name]
    for extra in (["--format", fmt],):
        code = main([*args, *extra])
        captured = capsys.readouterr()
        assert code == 0, captured.err
        _check(captured.out, fmt)


def test_metrics_csv_has_component_columns(gen_db: Path, capsys) -> None:
    assert (
        main(["--db", str(gen_db), "metrics", "-m", "crr", "--last", "2", "--format", "csv"]) == 0
    )
    frame = pd.read_csv(io.StringIO(capsys.readouterr().out))
    assert {"components.start", "components.end", "components.new"} <= set(frame.columns)
    assert "components" not in frame.columns


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "args",
    [
        ["clv", "fit"],
        ["clv", "predict", "--horizon", "12"],
        ["clv", "evaluate", "--calibration-end", "2024-01-01", "--observation-end", "2024-06-30"],
        ["churn", "at-risk", "--top", "5"],
    ],
    ids=["clv fit", "clv predict", "clv evaluate", "churn at-risk"],
)
def test_model_commands_accept_every_format(
    args: list[str], fmt: str, gen_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--db", str(gen_db), *args, "--format", fmt])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    _check(captured.out, fmt)


@pytest.mark.slow
@pytest.mark.parametrize("fmt", FORMATS)
def test_churn_train_and_score_accept_every_format(
    fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    n = 200
    tenure = rng.integers(1, 60, n)
    table = pd.DataFrame(
        {
            "id": [f"c{i}" for i in range(n)],
            "tenure": tenure,
            "charges": rng.normal(50, 10, n).round(2),
            "churned": np.where(tenure < 12, "Yes", "No"),
        }
    )
    path = tmp_path / "customers.csv"
    table.to_csv(path, index=False)
    model = tmp_path / "model.json"
    base = ["churn", "train", "--features", str(path), "--id", "id", "--label", "churned"]
    assert main([*base, "--model-out", str(model), "--format", fmt]) == 0
    _check(capsys.readouterr().out, fmt)
    score = ["churn", "score", "--features", str(path), "--id", "id"]
    assert main([*score, "--model-file", str(model), "--format", fmt]) == 0
    _check(capsys.readouterr().out, fmt)
    assert main([*score, "--model", str(model), "--format", fmt]) == 0  # the old, hidden name
    _check(capsys.readouterr().out, fmt)
