"""The CLI shell: every command module registers, errors become one line, start-up is light."""

from __future__ import annotations

import importlib
import subprocess
import sys

from retentionkit.cli.app import COMMAND_MODULES, main


def test_every_command_module_imports_and_registers() -> None:
    for name in COMMAND_MODULES:
        module = importlib.import_module(name)
        assert callable(module.register), name


def test_help_lists_commands(capsys) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("init", "ingest", "metrics", "calc", "generate"):
        assert command in out


def test_cli_import_does_not_load_heavy_libraries() -> None:
    code = (
        "import sys, retentionkit.cli.app as a; "
        "heavy = [m for m in ('pandas', 'ibis', 'duckdb', 'numpy', 'scipy', 'sklearn', "
        "'fastapi', 'plotly') if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "", f"imported at CLI start-up: {out}"


def test_user_error_is_one_line_without_traceback(tmp_path, capsys) -> None:
    rc = main(["--db", str(tmp_path / "none.duckdb"), "metrics"])
    err = capsys.readouterr().err
    assert rc != 0
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert "does not exist" in err


def test_unknown_metric_lists_valid_names(tmp_path, capsys) -> None:
    import pandas as pd

    from retentionkit.workspace import Workspace

    db = tmp_path / "w.duckdb"
    ws = Workspace(db)
    ws.ingest(
        "orders",
        pd.DataFrame(
            {
                "order_id": ["1"],
                "customer_id": ["a"],
                "ordered_at": ["2024-01-05"],
                "amount": [10.0],
            }
        ),
    )
    del ws
    rc = main(["--db", str(db), "metrics", "--metric", "nope"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "valid metrics: crr, churn_rate" in err


def test_unknown_option_is_a_usage_error_not_an_internal_error(capsys) -> None:
    rc = main(["metrics", "--no-such-flag"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "No such option" in err and "internal error" not in err


def test_load_dir_is_all_or_nothing(tmp_path, capsys) -> None:
    from retentionkit.generate import generate_business, write_business

    folder = tmp_path / "data"
    write_business(generate_business(customers=60, months=4, seed=2), folder)
    db = tmp_path / "w.duckdb"
    (folder / "tickets.parquet").unlink()
    (folder / "tickets.csv").write_text("ticket_id,customer_id,opened_at\nT1,,2024-01-01\n")
    rc = main(["--db", str(db), "load-dir", str(folder)])
    err = capsys.readouterr().err
    assert rc == 2 and "tickets.csv, line 2, column customer_id" in err
    assert not db.exists()  # nothing was written, not even the orders validated before
    (folder / "tickets.csv").write_text("ticket_id,customer_id,opened_at\nT1,C1,2024-01-01\n")
    assert main(["--db", str(db), "load-dir", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "orders" in out and "tickets: 1 inserted" in out


def _one_line_error(capsys, args: list[str], needle: str) -> None:
    capsys.readouterr()
    rc = main(args)
    err = capsys.readouterr().err
    assert rc not in (0, 70), err
    assert needle in err and "internal error" not in err
    assert len(err.strip().splitlines()) == 1


def test_user_mistakes_found_by_qa_are_one_sentence(tmp_path, capsys) -> None:
    db = str(tmp_path / "q.duckdb")
    orders = tmp_path / "o.csv"
    orders.write_text("order_id,customer_id,ordered_at,amount\n1,a,2024-01-01,5\n")
    _one_line_error(
        capsys,
        ["--db", db, "ingest", "orders", str(orders), "--date-format", "%Q"],
        "--date-format '%Q' is not a valid strftime format",
    )
    assert main(["--db", db, "ingest", "orders", str(orders)]) == 0
    _one_line_error(
        capsys,
        ["--db", db, "churn", "at-risk", "--as-of", "2024-13-01"],
        "--as-of '2024-13-01' is not a date",
    )
    answers = tmp_path / "n.csv"
    answers.write_text(
        "response_id,survey,score,responded_at\nr1,nps,9,2024-01-01\nr2,nps,7.5,2024-01-02\n"
    )
    _one_line_error(
        capsys,
        ["--db", db, "ingest", "survey_responses", str(answers)],
        "line 3, column score: '7.5' is not a whole number",
    )
    _one_line_error(
        capsys,
        ["calc", "csat", "--satisfied", "600", "--responses", "500"],
        "--satisfied 600 cannot exceed --responses 500",
    )
    surveys_only = str(tmp_path / "s.duckdb")
    answers.write_text("response_id,survey,score,responded_at\nr1,csat,4,2024-01-01\n")
    assert main(["--db", surveys_only, "ingest", "survey_responses", str(answers)]) == 0
    _one_line_error(
        capsys,
        ["--db", surveys_only, "churn", "evaluate"],
        "needs the orders or subscriptions table",
    )


def test_load_dir_skips_empty_tables_and_names_ignored_files(tmp_path, capsys) -> None:
    from retentionkit.generate import generate_business, write_business

    folder = tmp_path / "shop"
    write_business(generate_business(customers=50, months=4, seed=3, kind="ecommerce"), folder)
    (folder / "widgets.csv").write_text("a\n1\n")
    capsys.readouterr()
    assert main(["--db", str(tmp_path / "e.duckdb"), "load-dir", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "subscriptions.parquet → no rows, skipped" in out
    assert "ignored: widgets.csv" in out
