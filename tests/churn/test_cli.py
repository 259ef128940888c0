"""``retentionkit churn train`` / ``churn score`` end to end through ``main()``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest

from retentionkit.cli.app import main

from .conftest import synthetic_customers

TRAIN = ["churn", "train", "--id", "customer", "--label", "churned"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One model trained through the CLI, shared by the scoring tests."""
    folder = tmp_path_factory.mktemp("churn_model")
    data = folder / "customers.csv"
    synthetic_customers().to_csv(data, index=False)
    path = folder / "churn.rkm"
    args = [*TRAIN, "--features", str(data), "--model-out", str(path), "--format", "json"]
    assert main(args) == 0
    return path


def test_train_prints_report_table(
    customers_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "m.rkm"
    code, out, err = run(capsys, *TRAIN, "--features", str(customers_csv), "--model-out", str(path))
    assert code == 0, err
    assert path.exists()
    for text in ("ROC-AUC", "PR-AUC", "lift in top 10 %", "Brier score", "Reliability", "tenure"):
        assert text in out


def test_train_json_report(
    customers_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "m.rkm"
    code, out, _ = run(
        capsys,
        *TRAIN,
        "--features",
        str(customers_csv),
        "--model-out",
        str(path),
        "--format",
        "json",
    )
    assert code == 0
    report = json.loads(out)
    assert report["n_rows"] == 400
    assert report["n_features"] == 4
    assert report["model"] in {c["name"] for c in report["candidates"]}
    assert set(report["validation"]) >= {"roc_auc", "pr_auc", "lift_top10", "brier", "calibration"}
    assert report["model_file"] == str(path)


def test_score_csv_and_json(
    model_file: Path, customers_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["churn", "score", "--features", str(customers_csv), "--id", "customer"]
    code, out, err = run(capsys, *args, "--model", str(model_file))
    assert code == 0, err
    frame = pd.read_csv(io.StringIO(out))
    assert list(frame.columns) == ["customer_id", "risk", "reasons"]
    assert len(frame) == 400 and frame["customer_id"].is_unique
    assert frame["risk"].between(0, 1).all()
    assert frame["risk"].is_monotonic_decreasing
    assert frame["reasons"].str.count(" \\| ").max() == 2

    code, out, _ = run(capsys, *args, "--model", str(model_file), "--format", "json")
    assert code == 0
    records = json.loads(out)
    assert len(records) == 400
    assert isinstance(records[0]["reasons"], list) and len(records[0]["reasons"]) == 3


def test_score_handles_unseen_categories(
    model_file: Path, customers: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = customers.drop(columns=["churned"]).head(5).copy()
    new.loc[0, "plan"] = "brand-new-plan"
    path = tmp_path / "new.csv"
    new.to_csv(path, index=False)
    code, out, err = run(
        capsys,
        "churn",
        "score",
        "--features",
        str(path),
        "--id",
        "customer",
        "--model",
        str(model_file),
    )
    assert code == 0, err
    assert "C0000" in out


def expect_error(capsys: pytest.CaptureFixture[str], args: list[str], *fragments: str) -> str:
    code, out, err = run(capsys, *args)
    assert code == 2, (code, out, err)
    assert err.startswith("error: ")
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    for fragment in fragments:
        assert fragment in err
    return err


def test_bad_training_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "m.rkm")
    expect_error(
        capsys,
        [*TRAIN, "--features", str(tmp_path / "missing.csv"), "--model-out", out],
        "missing.csv does not exist",
    )
    dup = tmp_path / "dup.csv"
    dup.write_text("customer,x,churned\nA,1,Yes\nB,2,No\nA,3,No\n", encoding="utf-8")
    expect_error(
        capsys,
        [*TRAIN, "--features", str(dup), "--model-out", out],
        "Id 'A' appears 2 times",
        "lines 2 and 4",
    )
    bad = tmp_path / "bad.csv"
    bad.write_text("customer,x,churned\nA,1,Yes\nB,2,Maybe\n", encoding="utf-8")
    expect_error(capsys, [*TRAIN, "--features", str(bad), "--model-out", out], "'Maybe' on line 3")
    const = tmp_path / "const.csv"
    const.write_text("customer,x,churned\nA,1,No\nB,2,no\n", encoding="utf-8")
    expect_error(capsys, [*TRAIN, "--features", str(const), "--model-out", out], "on all 2 rows")
    nolabel = tmp_path / "nolabel.csv"
    nolabel.write_text("customer,x\nA,1\nB,2\n", encoding="utf-8")
    expect_error(
        capsys, [*TRAIN, "--features", str(nolabel), "--model-out", out], "has no column 'churned'"
    )
    nofeat = tmp_path / "nofeat.csv"
    nofeat.write_text(
        "customer,same,churned\n"
        + "".join(f"C{i},x,{'Yes' if i % 2 else 'No'}\n" for i in range(20)),
        encoding="utf-8",
    )
    expect_error(
        capsys,
        [*TRAIN, "--features", str(nofeat), "--model-out", out],
        "no usable feature columns",
        "same: it has the same value on every row",
    )
    assert not Path(out).exists()


def test_bad_scoring_input(
    model_file: Path, customers: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fewer = tmp_path / "fewer.csv"
    customers.drop(columns=["plan"]).to_csv(fewer, index=False)
    expect_error(
        capsys,
        [
            "churn",
            "score",
            "--features",
            str(fewer),
            "--id",
            "customer",
            "--model",
            str(model_file),
        ],
        "does not match the model",
        "lacks the feature column plan",
    )
    magic, header, payload = model_file.read_bytes().split(b"\n", 2)
    manifest = json.loads(header)
    manifest["format_version"] = 99
    old = tmp_path / "old.rkm"
    old.write_bytes(magic + b"\n" + json.dumps(manifest).encode() + b"\n" + payload)
    csv = tmp_path / "c.csv"
    customers.to_csv(csv, index=False)
    expect_error(
        capsys,
        ["churn", "score", "--features", str(csv), "--id", "customer", "--model", str(old)],
        "model format version 99",
    )
    text_tenure = customers.copy()
    text_tenure.loc[3, "tenure"] = "three"
    text_tenure.to_csv(csv, index=False)
    expect_error(
        capsys,
        ["churn", "score", "--features", str(csv), "--id", "customer", "--model", str(model_file)],
        "'three' on line 5",
    )
    expect_error(
        capsys,
        ["churn", "score", "--features", str(csv), "--id", "nope", "--model", str(model_file)],
        "has no column 'nope' (given as --id)",
    )
