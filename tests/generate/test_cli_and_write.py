"""``retentionkit generate`` and ``write_business``: files, formats, errors, atomicity."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from retentionkit.cli import generate_cmd
from retentionkit.errors import ConfigError, InputError
from retentionkit.generate import TABLES, generate_business, generate_tables, write_business
from retentionkit.generate import business as business_module
from retentionkit.schema.contracts import CONTRACTS


@pytest.fixture
def cli() -> typer.Typer:
    app = typer.Typer()
    generate_cmd.register(app)

    @app.callback()
    def _root() -> None:  # keep "generate" a named subcommand
        pass

    return app


def test_generate_writes_one_parquet_file_per_table(cli: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "data"
    result = CliRunner().invoke(
        cli, ["generate", "--out", str(out), "--customers", "200", "--months", "6"]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.parquet" for t in TABLES)
    for name in TABLES:
        columns = pq.read_schema(out / f"{name}.parquet").names
        assert columns[: len(CONTRACTS[name].names)] == CONTRACTS[name].names
    assert "customers" in result.output and "rows" in result.output
    assert not list(tmp_path.glob(".*.tmp"))


def test_generate_csv_matches_the_frames(cli: typer.Typer, tmp_path: Path) -> None:
    out = tmp_path / "csv"
    args = [
        "generate",
        "--out",
        str(out),
        "--customers",
        "100",
        "--months",
        "3",
        "--seed",
        "3",
        "--kind",
        "saas",
        "--format",
        "csv",
        "--start",
        "2024-05-01",
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    frames = generate_business(100, 3, seed=3, kind="saas", start="2024-05-01")
    subs = pd.read_csv(out / "subscriptions.csv", parse_dates=["started_at", "ended_at"])
    assert len(subs) == len(frames["subscriptions"])
    assert subs["started_at"].iloc[0] == frames["subscriptions"]["started_at"].iloc[0]
    assert (out / "customers.csv").read_text().splitlines()[0] == (
        '"customer_id","signed_up_at","country","channel","email","language","plan"'
    )
    assert len(pd.read_csv(out / "orders.csv")) == 0


def test_generate_function_returns_counts(tmp_path: Path) -> None:
    counts = generate_cmd.generate(
        out=tmp_path / "o",
        customers=50,
        months=2,
        seed=1,
        kind="ecommerce",
        start="2023-01-01",
        fmt="parquet",
    )
    assert list(counts) == list(TABLES)
    assert counts["customers"] == 50 and counts["subscriptions"] == 0
    assert pq.read_metadata(tmp_path / "o" / "orders.parquet").num_rows == counts["orders"]


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (["--customers", "0"], ConfigError, "--customers must be at least 1"),
        (["--months", "700"], ConfigError, "--months must be between 1 and 600"),
        (["--kind", "shop"], ConfigError, "--kind 'shop' is not one of"),
        (["--format", "xlsx"], ConfigError, "--format 'xlsx' is not one of: parquet, csv"),
        (["--start", "01/02/2023"], ConfigError, "--start '01/02/2023' is not a date"),
    ],
)
def test_bad_options(
    cli: typer.Typer, tmp_path: Path, args: list[str], error: type, message: str
) -> None:
    out = tmp_path / "never"
    result = CliRunner().invoke(cli, ["generate", "--out", str(out), *args])
    assert isinstance(result.exception, error)
    assert message in str(result.exception)
    assert not out.exists()


def test_out_that_is_a_file_is_an_input_error(cli: typer.Typer, tmp_path: Path) -> None:
    target = tmp_path / "file.txt"
    target.write_text("keep me")
    result = CliRunner().invoke(cli, ["generate", "--out", str(target), "--customers", "5"])
    assert isinstance(result.exception, InputError)
    assert "is a file; give a directory" in str(result.exception)
    assert target.read_text() == "keep me"


def test_main_maps_errors_to_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from retentionkit.cli.app import main

    code = main(["generate", "--out", str(tmp_path / "x"), "--months", "0"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.strip() == "error: --months must be between 1 and 600, got 0."


def test_interrupted_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tables = generate_tables(30, 2, seed=0)
    real = business_module._write_one
    calls = {"n": 0}

    def failing(table: object, path: Path, fmt: str) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        real(table, path, fmt)  # type: ignore[arg-type]

    monkeypatch.setattr(business_module, "_write_one", failing)
    with pytest.raises(KeyboardInterrupt):
        write_business(tables, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_rewrite_into_an_existing_directory_keeps_other_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    first = write_business(generate_tables(30, 2, seed=0), out)
    size = first["orders"].stat().st_size
    write_business(generate_tables(60, 2, seed=1), out)
    assert (out / "notes.txt").read_text() == "mine"
    assert first["orders"].stat().st_size != size
    assert pq.read_metadata(out / "customers.parquet").num_rows == 60
    assert not list(tmp_path.glob(".*.tmp"))


def test_write_business_accepts_pandas_frames(tmp_path: Path) -> None:
    frames = generate_business(20, 2, seed=0)
    paths = write_business(frames, tmp_path / "p", fmt="csv")
    assert set(paths) == set(TABLES)
    back = pd.read_csv(paths["orders"])
    assert len(back) == len(frames["orders"])
    with pytest.raises(ConfigError):
        write_business(frames, tmp_path / "q", fmt="json")
